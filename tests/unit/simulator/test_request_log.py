"""The simulator's request log: when each request came, from whom, and what it was told."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from igate_sync.upstream.simulator import FaultPlan, FaultRule
from igate_sync.upstream.simulator.middleware import retry_after_deadline
from tests.unit.simulator.builders import CLIENT_ID, dossier, envelope
from tests.unit.simulator.conftest import PUSH_DOSSIERS, Gateway, ManualClock


def install(gateway: Gateway, *rules: FaultRule) -> None:
    gateway.sim.set_faults(FaultPlan(rules=rules))


def test_each_api_request_is_logged_with_time_path_client_and_status(
    gateway: Gateway, clock: ManualClock
) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    gateway.http.get("/_sim/stats")
    token, push = gateway.sim.store.requests_log()
    assert (token.path, token.client_id, token.outcome) == ("/token", None, "200")
    assert (push.path, push.client_id, push.outcome) == (PUSH_DOSSIERS, CLIENT_ID, "200")
    assert push.received_at == push.answered_at == clock.now
    assert push.retry_after_until is None


def test_a_429_logs_the_deadline_its_retry_after_seconds_set(
    gateway: Gateway, clock: ManualClock
) -> None:
    install(gateway, FaultRule("429", at=(1,), retry_after_s=7))
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    last = gateway.sim.store.requests_log()[-1]
    assert last.outcome == "429"
    assert last.retry_after_until == clock.now + timedelta(seconds=7)


def test_an_http_date_retry_after_logs_that_date(gateway: Gateway, clock: ManualClock) -> None:
    clock.now = datetime(2026, 3, 1, 1, 0, 0, 250_000, tzinfo=UTC)
    install(gateway, FaultRule("503", at=(1,), retry_after_s=2, retry_after_date=True))
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    last = gateway.sim.store.requests_log()[-1]
    assert last.outcome == "503"
    assert last.retry_after_until == datetime(2026, 3, 1, 1, 0, 3, tzinfo=UTC)


def test_a_dropped_connection_logs_the_fault_and_no_answer(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="uvicorn.error")
    install(gateway, FaultRule("lost_reply", at=(1,)))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    last = gateway.sim.store.requests_log()[-1]
    assert (last.outcome, last.answered_at, last.client_id) == ("lost_reply", None, CLIENT_ID)


def test_stats_carry_the_log_only_when_asked(gateway: Gateway) -> None:
    install(gateway, FaultRule("429", at=(1,), retry_after_s=1))
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    plain = gateway.http.get("/_sim/stats").json()
    assert plain["logged_requests"] == 2
    assert "request_log" not in plain
    full = gateway.http.get("/_sim/stats", params={"requests": "1"}).json()
    assert [r["outcome"] for r in full["request_log"]] == ["200", "429"]
    assert full["request_log"][1]["retry_after_until"] is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", datetime(2026, 3, 1, 0, 0, 2, tzinfo=UTC)),
        ("Sun, 01 Mar 2026 00:00:05 GMT", datetime(2026, 3, 1, 0, 0, 5, tzinfo=UTC)),
        ("Sun, 01 Mar 2026 00:00:05 -0000", datetime(2026, 3, 1, 0, 0, 5, tzinfo=UTC)),
        ("soon", None),
    ],
)
def test_retry_after_values_become_deadlines(value: str, expected: datetime | None) -> None:
    assert retry_after_deadline(value, datetime(2026, 3, 1, tzinfo=UTC)) == expected
