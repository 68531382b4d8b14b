"""SimulatorStore on its own: version rules, effect log, persistence, test-only mutators."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from igate_sync.upstream.simulator import SimulatorStore
from igate_sync.upstream.simulator.store import ListingQuery, StoredReply
from tests.unit.simulator.builders import AGENCY, dossier, event

NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[SimulatorStore]:
    with SimulatorStore() as opened:
        yield opened


def test_version_rules(store: SimulatorStore) -> None:
    newer = dossier(GhiChu="v2", NgayCapNhat="20210312000000")
    assert store.apply_dossier(dossier(), AGENCY, NOW) == "created"
    assert store.apply_dossier(dossier(), AGENCY, NOW) == "unchanged"
    assert store.apply_dossier(newer, AGENCY, NOW) == "updated"
    assert store.apply_dossier(dossier(), AGENCY, NOW) == "stale"
    assert store.get_dossier(newer["MaHoSo"]) == newer
    assert [(e.kind, e.ref, e.at) for e in store.effects()] == [
        ("created", dossier()["PhienBan"], NOW),
        ("updated", newer["PhienBan"], NOW),
    ]


def test_events_need_their_dossier(store: SimulatorStore) -> None:
    assert store.apply_event(event(), NOW) == "missing"
    store.apply_dossier(dossier(), AGENCY, NOW)
    assert store.apply_event(event(), NOW) == "created"
    assert store.apply_event(event(), NOW) == "unchanged"


def test_sqlite_file_survives_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "gateway.sqlite3"
    with SimulatorStore(path) as first:
        first.apply_dossier(dossier(), AGENCY, NOW)
        first.apply_event(event(), NOW)
        first.remember_reply("c", "/p", "key-0001", StoredReply("h", '{"ok":1}'), NOW)
        first.save_token("tok", "c", NOW)
        before = first.snapshot()
    with SimulatorStore(path) as second:
        assert second.get_dossier(dossier()["MaHoSo"]) == dossier()
        assert second.events_of(dossier()["MaHoSo"]) == [event()]
        assert second.find_reply("c", "/p", "key-0001") == StoredReply("h", '{"ok":1}')
        token = second.find_token("tok")
        assert token is not None and token.issued_at == NOW
        assert second.snapshot() == before
        assert len(second.effects()) == 2


def test_memory_stores_are_separate() -> None:
    with SimulatorStore() as first, SimulatorStore() as second:
        first.apply_dossier(dossier(), AGENCY, NOW)
        assert second.get_dossier(dossier()["MaHoSo"]) is None


def test_atomic_rolls_back_everything(store: SimulatorStore) -> None:
    def apply_then_fail() -> None:
        with store.atomic():
            store.apply_dossier(dossier(), AGENCY, NOW)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        apply_then_fail()
    assert store.get_dossier(dossier()["MaHoSo"]) is None
    assert store.effects() == []
    assert store.snapshot()["results"] == {}


def test_delete_dossier_behind_the_clients_back(store: SimulatorStore) -> None:
    store.apply_dossier(dossier(), AGENCY, NOW)
    store.apply_event(event(), NOW)
    assert store.delete_dossier(dossier()["MaHoSo"]) is True
    assert store.get_dossier(dossier()["MaHoSo"]) is None
    assert store.events_of(dossier()["MaHoSo"]) == []
    assert store.delete_dossier(dossier()["MaHoSo"]) is False
    assert store.apply_dossier(dossier(), AGENCY, NOW) == "created"


def test_put_raw_dossier_is_unvalidated_and_unlogged(store: SimulatorStore) -> None:
    raw = {**dossier(), "TrangThaiHoSo": "99", "PhienBan": "f" * 64}
    store.put_raw_dossier(raw)
    assert store.get_dossier(raw["MaHoSo"]) == raw
    assert store.effects() == []
    page = store.list_dossiers(ListingQuery(ma_don_vi=AGENCY))
    assert [row["TrangThaiHoSo"] for row in page.items] == ["99"]
    assert store.apply_dossier(dossier(), AGENCY, NOW) == "updated"


def test_revoked_token_is_gone(store: SimulatorStore) -> None:
    store.save_token("tok", "c", NOW)
    store.revoke_token("tok")
    assert store.find_token("tok") is None


def test_counters(store: SimulatorStore) -> None:
    store.count("request", "/x", "200")
    store.count("request", "/x", "200")
    store.count("replay", "total")
    assert store.counter("request", "/x", "200") == 2
    assert store.counter("request", "/x", "500") == 0
    snapshot = store.snapshot()
    assert snapshot["requests"] == {"/x": {"200": 2}}
    assert snapshot["replays"] == 1
