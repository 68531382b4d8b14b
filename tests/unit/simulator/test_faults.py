"""Every fault kind over a real loopback connection, and the fault plan itself."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from igate_sync.upstream.simulator import FaultPlan, FaultPlanError, FaultRule
from igate_sync.upstream.simulator.faults import FaultInjector
from tests.unit.simulator.builders import dossier, envelope
from tests.unit.simulator.conftest import PUSH_DOSSIERS, PUSH_EVENTS, Gateway, ManualClock

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def install(gateway: Gateway, *rules: FaultRule, **plan: int) -> None:
    gateway.sim.set_faults(FaultPlan(rules=rules, **plan))


def held(gateway: Gateway) -> int:
    return int(gateway.sim.store.snapshot()["dossiers"])


@pytest.fixture
def quiet_uvicorn(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="uvicorn.error")
    return caplog


def test_reset_drops_the_connection_before_applying(
    gateway: Gateway, quiet_uvicorn: pytest.LogCaptureFixture
) -> None:
    install(gateway, FaultRule("reset", at=(1,)))
    key = gateway.new_key()
    with pytest.raises(DROPPED):
        gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert held(gateway) == 0
    again = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert "idempotent-replayed" not in again.headers
    assert again.json()["KetQua"][0]["KetQua"] == "created"
    assert quiet_uvicorn.records == []
    snapshot = gateway.sim.store.snapshot()
    assert snapshot["requests"][PUSH_DOSSIERS] == {"reset": 1, "200": 1}
    assert snapshot["faults"] == {"reset": {PUSH_DOSSIERS: 1}}


def test_lost_reply_applies_then_drops_the_connection(
    gateway: Gateway, quiet_uvicorn: pytest.LogCaptureFixture
) -> None:
    install(gateway, FaultRule("lost_reply", at=(1,)))
    key = gateway.new_key()
    with pytest.raises(DROPPED):
        gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert held(gateway) == 1
    again = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["KetQua"][0]["KetQua"] == "created"
    assert [e.kind for e in gateway.sim.store.effects()] == ["created"]
    assert quiet_uvicorn.records == []


def test_slow_reply_is_applied_past_the_client_timeout(gateway: Gateway) -> None:
    install(gateway, FaultRule("slow", at=(1,), delay_s=1.0))
    key = gateway.new_key()
    with pytest.raises(httpx.ReadTimeout):
        gateway.http.post(
            PUSH_DOSSIERS, json=envelope([dossier()]), headers=gateway.headers(key), timeout=0.2
        )
    again = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert held(gateway) == 1
    assert len(gateway.sim.store.effects()) == 1


def test_slow_reply_arrives_for_a_patient_client(gateway: Gateway) -> None:
    install(gateway, FaultRule("slow", at=(1,), delay_s=0.3))
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert reply.json()["KetQua"][0]["KetQua"] == "created"


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_gateway_trouble_is_not_applied(gateway: Gateway, status: str) -> None:
    install(gateway, FaultRule(status, at=(1,)))  # type: ignore[arg-type]
    key = gateway.new_key()
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert reply.status_code == int(status)
    assert "retry-after" not in reply.headers
    assert held(gateway) == 0
    again = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert "idempotent-replayed" not in again.headers
    assert again.json()["KetQua"][0]["KetQua"] == "created"


@pytest.mark.parametrize("status", ["502", "504"])
def test_proxy_errors_are_html(gateway: Gateway, status: str) -> None:
    install(gateway, FaultRule(status, at=(1,)))  # type: ignore[arg-type]
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert reply.headers["content-type"].startswith("text/html")


def test_maintenance_503_with_retry_after(gateway: Gateway) -> None:
    install(gateway, FaultRule("503", at=(1,), retry_after_s=120))
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "120"


def test_429_with_retry_after_seconds(gateway: Gateway) -> None:
    install(gateway, FaultRule("429", at=(1,), retry_after_s=7))
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert reply.status_code == 429
    assert reply.headers["retry-after"] == "7"
    assert held(gateway) == 0


def test_429_retry_after_defaults_to_one_second(gateway: Gateway) -> None:
    install(gateway, FaultRule("429", at=(1,)))
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier()])).headers["retry-after"] == "1"


def test_429_with_retry_after_as_http_date(gateway: Gateway, clock: ManualClock) -> None:
    clock.now = datetime(2026, 3, 1, 1, 0, 0, 250_000, tzinfo=UTC)
    install(gateway, FaultRule("429", at=(1,), retry_after_s=30, retry_after_date=True))
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert reply.status_code == 429
    value = reply.headers["retry-after"]
    assert value == "Sun, 01 Mar 2026 01:00:31 GMT"  # rounded up, never shorter than asked
    assert parsedate_to_datetime(value) >= clock.now + timedelta(seconds=30)


def test_schedule_counts_requests_on_the_rules_paths(gateway: Gateway) -> None:
    install(gateway, FaultRule("500", at=(2, 3), paths=(PUSH_DOSSIERS,)))
    statuses = []
    for n in range(1, 5):
        gateway.push(PUSH_EVENTS, envelope([{}]))  # other path: not counted
        statuses.append(gateway.push(PUSH_DOSSIERS, envelope([dossier(n)])).status_code)
    assert statuses == [200, 500, 500, 200]


def test_faults_spare_token_and_control_paths(gateway: Gateway) -> None:
    install(gateway, FaultRule("reset", probability=1.0))
    assert gateway.fetch_token()
    assert gateway.http.get("/_sim/stats").status_code == 200
    with pytest.raises(DROPPED):
        gateway.get("/api/v1/hoso", MaDonVi="000.24.24.H16")


def test_invalid_token_fault_revokes_the_token(gateway: Gateway) -> None:
    install(gateway, FaultRule("invalid_token", at=(1,)))
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_token"}
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier()])).status_code == 401
    gateway.token = gateway.fetch_token()
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier()])).status_code == 200


def test_token_expiry_fault_cuts_token_life(gateway: Gateway, clock: ManualClock) -> None:
    install(gateway, token_expiry_s=60)
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier(1)])).status_code == 200
    clock.advance(60)
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier(2)])).status_code == 401
    token_reply = gateway.http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "other-client",
            "client_secret": "other",
        },
    )
    assert token_reply.json()["expires_in"] == 3600  # announced, yet it dies after 60 s


def test_probability_one_always_fires(gateway: Gateway) -> None:
    install(gateway, FaultRule("500", probability=1.0))
    assert {gateway.push(PUSH_DOSSIERS, envelope([dossier()])).status_code for _ in range(3)} == {
        500
    }


# --- the plan and the injector --------------------------------------------------------------


def decisions(plan: FaultPlan, count: int) -> list[str | None]:
    injector = FaultInjector(plan)
    fired = (injector.decide(PUSH_DOSSIERS) for _ in range(count))
    return [rule.kind if rule else None for rule in fired]


def test_seeded_probability_is_reproducible() -> None:
    plan = FaultPlan(rules=(FaultRule("503", probability=0.3),), seed=42)
    first = decisions(plan, 200)
    assert first == decisions(plan, 200)
    assert 30 <= first.count("503") <= 90
    other_seed = FaultPlan(rules=plan.rules, seed=43)
    assert decisions(other_seed, 200) != first


def test_first_firing_rule_wins_and_all_rules_count() -> None:
    plan = FaultPlan(rules=(FaultRule("429", at=(1,)), FaultRule("500", at=(1, 2))))
    assert decisions(plan, 3) == ["429", "500", None]


def test_replacing_the_plan_restarts_ordinals() -> None:
    injector = FaultInjector(FaultPlan(rules=(FaultRule("500", at=(1,)),)))
    assert injector.decide(PUSH_DOSSIERS) is not None
    injector.replace(injector.plan)
    assert injector.decide(PUSH_DOSSIERS) is not None


def test_plan_json_round_trip() -> None:
    plan = FaultPlan(
        rules=(
            FaultRule("429", probability=0.1, at=(3, 5), retry_after_s=2, retry_after_date=True),
            FaultRule("slow", paths=(PUSH_EVENTS,), delay_s=1.5),
        ),
        seed=9,
        token_expiry_s=30,
    )
    assert FaultPlan.from_json(plan.to_json()) == plan


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"rules": {}},
        {"rules": [{"kind": "418"}]},
        {"rules": [{"kind": "500", "probability": 2}]},
        {"rules": [{"kind": "500", "at": [0]}]},
        {"rules": [{"kind": "500", "at": "1"}]},
        {"rules": [{"kind": "500", "paths": ["/token"]}]},
        {"rules": [{"kind": "500", "surprise": 1}]},
        {"rules": [{"kind": "500", "retry_after_date": "yes"}]},
        {"seed": "x"},
        {"token_expiry_s": -1},
        {"extra": 1},
    ],
)
def test_bad_plans_are_refused(data: object) -> None:
    with pytest.raises(FaultPlanError):
        FaultPlan.from_json(data)
