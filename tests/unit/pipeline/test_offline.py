"""Offline for days: the outbox fills up to its cap, pulling pauses without dropping
anything, the operator is warned at 70% and 90%, and everything drains when the gateway
returns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from structlog.testing import capture_logs

from igate_sync.adapters.fake import InMemoryAdapter
from igate_sync.errors import UpstreamUnavailable
from igate_sync.pipeline import OutboxCap, Sync, run_cycle
from igate_sync.store.outbox import Outbox
from igate_sync.store.status import outbox_usage
from igate_sync.upstream.fake import FakeGateway
from tests.conftest import FakeClock
from tests.factories import AGENCY_CODE, dossier, later

DOSSIERS = 50_000
CAP = 20_000


@pytest.mark.slow
def test_fifty_thousand_dossiers_queued_offline_then_drained_with_zero_loss(
    state_engine: Engine, clock: FakeClock
) -> None:
    source = InMemoryAdapter("motcua")
    for n in range(1, DOSSIERS + 1):
        changed = later(n % 600)
        source.put(dossier(n, changed=changed), changed=changed)
    gateway = FakeGateway()
    sync = Sync(
        engine=state_engine,
        outbox=Outbox(state_engine, AGENCY_CODE),
        gateway=gateway,
        clock=clock,
        batch_size=100,
        chunk_rows=1000,
        cap=OutboxCap(max_rows=CAP),
    )
    gateway.fail_next(10**6, UpstreamUnavailable("gateway down"))
    with capture_logs() as logs:
        offline = run_cycle(sync, [source])
    assert offline.upstream_unavailable
    assert offline.pulled["motcua"].backpressure
    assert outbox_usage(state_engine)[0] == CAP
    warnings = [e for e in logs if e["event"] == "outbox filling"]
    assert [w["percent"] for w in warnings] == [70, 90]
    assert any(e["event"] == "outbox full: pulling paused" for e in logs)

    for _ in range(3):  # days pass; the daemon keeps trying, nothing grows past the cap
        clock.advance(3600)
        assert run_cycle(sync, [source]).upstream_unavailable
        assert outbox_usage(state_engine)[0] == CAP

    gateway.heal()  # the gateway is back
    clock.advance(3600)
    back = run_cycle(sync, [source])
    assert not back.upstream_unavailable
    created = [e[2] for e in gateway.effects if e[:2] == ("dossier", "created")]
    assert len(created) == DOSSIERS
    assert len(set(created)) == DOSSIERS
    assert outbox_usage(state_engine) == (0, 0)
    clock.advance(timedelta(minutes=5).total_seconds())
    assert run_cycle(sync, [source]).pushed.batches == 0
