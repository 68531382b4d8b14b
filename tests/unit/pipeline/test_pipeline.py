"""The sync cycle against the port fakes: a real SQLite state store, an in-memory source
and the in-memory gateway."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from igate_sync.adapters.fake import InMemoryAdapter
from igate_sync.errors import BatchTooLarge, UpstreamUnavailable
from igate_sync.pipeline import Sync, push, run_cycle
from igate_sync.store import control
from igate_sync.store import tables as t
from igate_sync.upstream.fake import FakeGateway
from tests.conftest import FakeClock
from tests.factories import T0, code, dossier, later, quarantined, small_sync


@pytest.fixture
def source() -> InMemoryAdapter:
    return InMemoryAdapter("motcua")


@pytest.fixture(params=[False, True], ids=["pull-then-push", "push-while-pulling"])
def sync(
    state_engine: Engine, gateway: FakeGateway, clock: FakeClock, request: pytest.FixtureRequest
) -> Sync:
    """Every test runs both ways: pushing after the pull, and from a second thread while
    pulling (what the CLI wires with a SQLite state database)."""
    return small_sync(state_engine, gateway, clock, event_batch_size=4, overlap=request.param)


def created(gw: FakeGateway) -> list[str]:
    return [e[2] for e in gw.effects if e[:2] == ("dossier", "created")]


def pushed_events(gw: FakeGateway) -> list[tuple[str, str]]:
    return [(e[2], e[3]) for e in gw.effects if e[0] == "event"]


def states(engine: Engine, table: t.Table = t.outbox_dossiers) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.state, func.count()).group_by(table.c.state)).all())


def test_first_cycle_pushes_every_dossier_second_pushes_nothing(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    for n in range(1, 8):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    first = run_cycle(sync, [source])
    assert sorted(created(gateway)) == [code(n) for n in range(1, 8)]
    assert first.pushed.dossiers["created"] == 7
    effects_before = len(gateway.effects)
    second = run_cycle(sync, [source])
    assert second.pulled["motcua"].read == 0
    assert second.pushed.batches == 0
    assert len(gateway.effects) == effects_before


def test_changed_row_pushes_exactly_its_new_version(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    for n in range(1, 5):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    run_cycle(sync, [source])
    edited = dossier(3, changed=later(60), TrangThaiHoSo="9")
    source.put(edited, changed=later(60))
    result = run_cycle(sync, [source])
    assert result.pushed.dossiers == {"updated": 1}
    assert gateway.effects[-1][1:3] == ("updated", code(3))
    stored = gateway.get_dossier(code(3))
    assert stored is not None
    assert stored["PhienBan"] == edited.phien_ban
    assert stored["NgayCapNhat"] == "20210311100000"  # the source's change time


def test_change_the_cursor_misses_is_found_by_the_scan_with_a_later_version_time(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway, clock: FakeClock
) -> None:
    source.put(dossier(1, changed=T0), changed=T0)
    run_cycle(sync, [source])
    # A child row changed: new content, but the change column was not bumped.
    source._rows["1"] = (T0.isoformat(), dossier(1, changed=T0, GhiChu="bổ sung"))
    assert run_cycle(sync, [source]).pushed.batches == 0
    clock.advance(3600)
    result = run_cycle(sync, [source], scan_interval=timedelta(seconds=60))
    assert result.pushed.dossiers == {"updated": 1}
    stored = gateway.get_dossier(code(1))
    assert stored is not None
    assert stored["GhiChu"] == "bổ sung"
    assert stored["NgayCapNhat"] > "20210311090000"


def test_newer_version_supersedes_an_unsent_older_one(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    from igate_sync.pipeline import pull

    source.put(dossier(1, changed=T0), changed=T0)
    pull(sync, source)
    source.put(dossier(1, changed=later(5), TrangThaiHoSo="9"), changed=later(5))
    pull(sync, source)
    push(sync)
    assert [e[1] for e in gateway.effects] == ["created"]
    assert states(sync.engine) == {"superseded": 1, "confirmed": 1}


def test_unanswered_batch_is_repeated_with_the_same_key_and_applied_once(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway, clock: FakeClock
) -> None:
    for n in range(1, 4):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    gateway.fail_next(1, UpstreamUnavailable("reply lost"), apply_then_fail=True)
    first = run_cycle(sync, [source])
    assert first.upstream_unavailable
    # Pulling first, the batch holds all three; pushing while pulling, it may hold the
    # first chunk's two: either way it was stored, but we never heard back.
    lost = gateway.requests[0]
    assert len(created(gateway)) == len(lost.items) >= 2
    assert states(sync.engine)["in_flight"] == len(lost.items)
    clock.advance(60)
    second = run_cycle(sync, [source])
    assert not second.upstream_unavailable
    assert second.pushed.dossiers == {"created": 3}  # the lost reply replayed, and the rest
    assert sorted(created(gateway)) == [code(1), code(2), code(3)]  # each applied once
    repeats = [r for r in gateway.requests if r.idempotency_key == lost.idempotency_key]
    assert len(repeats) == 2  # the repeat: same key...
    assert repeats[1].items == lost.items  # ...and the same body


def test_no_request_before_retry_after_even_in_a_new_cycle(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway, clock: FakeClock
) -> None:
    source.put(dossier(1, changed=T0), changed=T0)
    deadline = clock() + timedelta(minutes=10)
    gateway.fail_next(1, UpstreamUnavailable("429", not_before=deadline))
    assert run_cycle(sync, [source]).upstream_unavailable
    calls = len(gateway.requests)
    clock.advance(300)
    assert run_cycle(sync, [source]).upstream_unavailable
    assert len(gateway.requests) == calls
    assert control.hold_until(sync.engine) == deadline
    clock.advance(301)
    assert not run_cycle(sync, [source]).upstream_unavailable
    assert created(gateway) == [code(1)]


def test_rejected_item_does_not_block_the_others(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    for n in range(1, 4):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    gateway.reject(code(2), "NgayHenTra", "sai")
    result = run_cycle(sync, [source])
    assert result.pushed.dossiers == {"created": 2, "rejected": 1}
    with sync.engine.connect() as conn:
        error = conn.execute(
            select(t.outbox_dossiers.c.last_error).where(t.outbox_dossiers.c.state == "rejected")
        ).scalar_one()
    assert json.loads(error) == [{"Truong": "NgayHenTra", "MoTa": "sai"}]
    assert run_cycle(sync, [source]).pushed.batches == 0  # not retried until it changes


def test_events_follow_their_confirmed_dossier_in_order_once(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    source.put(dossier(1, changed=T0, events=6), changed=T0)
    source.put(dossier(2, changed=later(1), events=2), changed=later(1))
    run_cycle(sync, [source])
    kinds = [e[0] for e in gateway.effects]
    assert kinds[:2] == ["dossier", "dossier"]
    events = pushed_events(gateway)
    assert events == [(code(1), str(s)) for s in range(1, 7)] + [(code(2), "1"), (code(2), "2")]
    source.put(dossier(1, changed=later(9), events=7, TrangThaiHoSo="9"), changed=later(9))
    run_cycle(sync, [source])
    events = pushed_events(gateway)
    assert events[-1] == (code(1), "7")
    assert len(events) == 9


def test_batch_too_large_is_split_and_everything_still_arrives(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    for n in range(1, 4):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    gateway.fail_next(1, BatchTooLarge("413"))
    result = run_cycle(sync, [source])
    assert sorted(created(gateway)) == [code(1), code(2), code(3)]
    assert result.pushed.batches >= 2


def test_quarantine_recorded_then_cleared_when_the_row_is_fixed(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    source.put(quarantined(1), changed=T0)
    first = run_cycle(sync, [source])
    assert first.pulled["motcua"].quarantined == {"unknown_status": 1}
    with sync.engine.connect() as conn:
        assert conn.execute(select(t.quarantine.c.reason)).scalars().all() == ["unknown_status"]
    source.put(dossier(1, changed=later(1)), changed=later(1))
    run_cycle(sync, [source])
    with sync.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.quarantine)).scalar_one() == 0
    assert created(gateway) == [code(1)]


def test_version_time_never_goes_backwards(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    source.put(dossier(1, changed=later(30)), changed=later(30))
    run_cycle(sync, [source])
    # The source's change time moves back (a clock fixed on the desk PC): first-read time wins.
    source.put(dossier(1, changed=later(10), GhiChu="x"), changed=later(40))
    run_cycle(sync, [source])
    stored = gateway.get_dossier(code(1))
    assert stored is not None
    assert stored["GhiChu"] == "x"
    assert stored["NgayCapNhat"] > "20210311093000"


def test_circuit_opens_doubles_its_hold_then_closes_on_success(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway, clock: FakeClock
) -> None:
    source.put(dossier(1, changed=T0), changed=T0)
    holds = []
    for _ in range(3):
        gateway.fail_next(1, UpstreamUnavailable("502"))
        assert run_cycle(sync, [source]).upstream_unavailable
        assert control.circuit_state(sync.engine, clock()) == "open"
        held = control.hold_until(sync.engine)
        assert held is not None
        holds.append((held - clock()).total_seconds())
        clock.now = held
        assert control.circuit_state(sync.engine, clock()) == "half_open"
    assert holds == [30, 60, 120]
    assert not run_cycle(sync, [source]).upstream_unavailable
    assert control.circuit_state(sync.engine, clock()) == "closed"
    assert created(gateway) == [code(1)]


def test_a_poison_item_is_isolated_and_never_blocks_the_queue(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway, clock: FakeClock
) -> None:
    # Given up on after three lone failures at once (the defaults ask for 10 over 24 hours).
    sync = replace(sync, dead_after=3, dead_after_age=timedelta(0))
    for n in range(1, 8):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    gateway.poison(code(2), UpstreamUnavailable("502 on this batch"))
    assert run_cycle(sync, [source]).upstream_unavailable  # first batch fails: can't tell yet
    assert created(gateway) == []
    for minute in range(8, 12):  # more cycles, each with new work that proves the gateway up
        clock.advance(3600)
        source.put(dossier(minute, changed=later(minute)), changed=later(minute))
        run_cycle(sync, [source])
    assert sorted(created(gateway)) == sorted(code(n) for n in range(1, 12) if n != 2)
    assert states(sync.engine).get("dead") == 1
    with sync.engine.connect() as conn:
        dead = conn.execute(
            select(t.outbox_dossiers.c.ma_ho_so).where(t.outbox_dossiers.c.state == "dead")
        ).scalar_one()
    assert dead == code(2)

    gateway.heal()
    assert sync.outbox.retry_dead(clock()) == 1
    clock.advance(3600)
    assert not run_cycle(sync, [source]).upstream_unavailable
    assert code(2) in created(gateway)
    assert "dead" not in states(sync.engine)


def test_a_batch_the_gateway_refuses_as_malformed_does_not_stop_the_rest(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway
) -> None:
    from igate_sync.errors import UpstreamProtocolError

    for n in range(1, 7):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    gateway.poison(code(5), UpstreamProtocolError("400"))
    result = run_cycle(sync, [source])
    assert not result.upstream_unavailable
    assert sorted(created(gateway)) == sorted(code(n) for n in (1, 2, 3, 4, 6))
    assert states(sync.engine).get("dead") == 1


def test_transient_failures_never_kill_an_item_by_default(
    sync: Sync, source: InMemoryAdapter, gateway: FakeGateway, clock: FakeClock
) -> None:
    for n in range(1, 5):
        source.put(dossier(n, changed=later(n)), changed=later(n))
    gateway.poison(code(2), UpstreamUnavailable("500"))
    outcomes = []
    for minute in range(5, 20):
        clock.advance(600)
        source.put(dossier(minute, changed=later(minute)), changed=later(minute))
        outcomes.append(run_cycle(sync, [source]).outcome)
    assert "dead" not in states(sync.engine)
    assert outcomes[-1] == "incomplete"  # sync says work remains: exit 1, not "done"
    gateway.heal()
    clock.advance(600)
    assert run_cycle(sync, [source]).outcome == "ok"
    assert code(2) in created(gateway)
