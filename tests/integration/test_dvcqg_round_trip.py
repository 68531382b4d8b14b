"""The real dvcqg-adapter client against the real simulator over loopback, with lost replies.

The simulator's effect log proves that nothing was applied twice: after a lost reply the
client looks the dossier up (TraCuuHoSo) instead of resending what the gateway already holds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from igate_sync.upstream.base import PushRequest
from igate_sync.upstream.dvcqg import DvcqgAdapterClient
from igate_sync.upstream.simulator import (
    FaultPlan,
    FaultRule,
    RunningSimulator,
    running_simulator,
)
from tests.unit.simulator.builders import AGENCY, CLIENT_ID, CLIENT_SECRET, dossier, event
from tests.unit.simulator.conftest import ManualClock, make_settings
from tests.unit.upstream.test_retry import FakeTime

DSTCODE = "000.00.00.G22"
INTEGRATION = "/integration"


def text(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def dossiers(*objs: dict[str, Any]) -> PushRequest:
    return PushRequest("dossiers", "unused-key", AGENCY, tuple(text(o) for o in objs))


def events(*objs: dict[str, Any]) -> PushRequest:
    return PushRequest("events", "unused-key", AGENCY, tuple(text(o) for o in objs))


def lose(sim: RunningSimulator, *ordinals: int, kind: str = "lost_reply") -> None:
    """Fault the given /integration calls (counted from now, 1-based)."""
    rule = FaultRule(kind, at=ordinals, paths=(INTEGRATION,))  # type: ignore[arg-type]
    sim.set_faults(FaultPlan(rules=(rule,)))


def calls(sim: RunningSimulator, service: str) -> int:
    """How many calls of the service the adapter answered with error_code 0 or 3."""
    return sim.store.counter("dvcqg", service, "0") + sim.store.counter("dvcqg", service, "3")


def effects(sim: RunningSimulator) -> list[tuple[str, str, str]]:
    return [(e.kind, e.ma_ho_so, e.ref) for e in sim.store.effects()]


@pytest.fixture
def sim_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(sim_clock: ManualClock) -> Iterator[RunningSimulator]:
    with running_simulator(make_settings(), clock=sim_clock) as running:
        yield running


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(sim: RunningSimulator, time_: FakeTime) -> Iterator[DvcqgAdapterClient]:
    with DvcqgAdapterClient(
        sim.base_url,
        CLIENT_ID,
        CLIENT_SECRET,
        DSTCODE,
        timeout_s=5.0,
        clock=time_.clock,
        sleep=time_.sleep,
        rng=random.Random(7),
    ) as c:
        yield c


def test_lost_create_reply_is_not_applied_twice(
    sim: RunningSimulator, client: DvcqgAdapterClient, time_: FakeTime
) -> None:
    first, second = dossier(1), dossier(2)
    lose(sim, 1)
    results = client.push(dossiers(first, second))
    assert [(r.ma_ho_so, r.outcome) for r in results] == [
        (first["MaHoSo"], "unchanged"),
        (second["MaHoSo"], "unchanged"),
    ]
    assert effects(sim) == [
        ("created", first["MaHoSo"], first["PhienBan"]),
        ("created", second["MaHoSo"], second["PhienBan"]),
    ]
    assert sim.store.snapshot()["faults"] == {"lost_reply": {INTEGRATION: 1}}
    assert calls(sim, "DongBoHoSoMC") == 1  # applied once, never resent
    assert calls(sim, "TraCuuHoSo") == 2
    assert len(time_.sleeps) == 1


def test_lost_update_reply_is_not_applied_twice(
    sim: RunningSimulator, client: DvcqgAdapterClient
) -> None:
    client.push(dossiers(dossier(1)))
    newer = dossier(1, TrangThaiHoSo="9", NgayCapNhat="20210312080000")
    lose(sim, 2)  # 1: the create answers "đã tồn tại"; 2: the update, applied, reply lost
    [result] = client.push(dossiers(newer))
    assert result.outcome == "unchanged"
    assert [(kind, ref) for kind, _, ref in effects(sim)] == [
        ("created", dossier(1)["PhienBan"]),
        ("updated", newer["PhienBan"]),
    ]
    assert sim.store.get_dossier(newer["MaHoSo"]) == newer


def test_reset_before_applying_is_resent_after_the_lookup(
    sim: RunningSimulator, client: DvcqgAdapterClient
) -> None:
    lose(sim, 1, kind="reset")
    [result] = client.push(dossiers(dossier(1)))
    assert result.outcome == "created"
    assert [kind for kind, _, _ in effects(sim)] == ["created"]
    assert calls(sim, "TraCuuHoSo") == 1
    assert calls(sim, "DongBoHoSoMC") == 1


def test_create_update_and_stale_through_the_real_adapter(
    sim: RunningSimulator, client: DvcqgAdapterClient
) -> None:
    newer = dossier(1, TrangThaiHoSo="9", NgayCapNhat="20210312080000")
    older = dossier(2, GhiChu="cũ", NgayCapNhat="20210310080000")
    assert [r.outcome for r in client.push(dossiers(dossier(1), dossier(2)))] == [
        "created",
        "created",
    ]
    results = client.push(dossiers(newer, older, dossier(3)))
    assert [r.outcome for r in results] == ["updated", "stale", "created"]
    assert client.get_dossier(newer["MaHoSo"]) == newer
    assert client.get_dossier(dossier(4)["MaHoSo"]) is None
    # creates go first, then the updates of what the gateway held
    assert [kind for kind, _, _ in effects(sim)] == ["created", "created", "created", "updated"]


def test_events_in_chunks_with_a_lost_reply(
    sim: RunningSimulator, client: DvcqgAdapterClient
) -> None:
    client.push(dossiers(dossier(1)))
    lose(sim, 2)  # the second chunk of ten
    results = client.push(events(*(event(1, stt) for stt in range(1, 24))))
    assert [r.stt for r in results] == [str(n) for n in range(1, 24)]
    assert [r.outcome for r in results[10:20]] == ["unchanged"] * 10
    event_effects = [ref for kind, _, ref in effects(sim) if kind == "event_created"]
    assert event_effects == [str(n) for n in range(1, 24)]
    assert calls(sim, "CapNhatTienDoHoSoMC") == 4


def test_expired_session_is_renewed(
    sim: RunningSimulator, sim_clock: ManualClock, client: DvcqgAdapterClient
) -> None:
    sim.set_faults(FaultPlan(token_expiry_s=60))
    client.push(dossiers(dossier(1)))
    sim_clock.advance(61)
    assert [r.outcome for r in client.push(dossiers(dossier(2)))] == ["created"]
    assert sim.store.counter("dvcqg", "login", "0") == 2
    assert sim.store.counter("dvcqg", "DongBoHoSoMC", "-1") == 1
