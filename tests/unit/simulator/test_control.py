"""The /_sim endpoints and the server's lifecycle (start, stop, restart on a SQLite file)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from igate_sync.upstream.simulator import FaultPlan, FaultRule, SimulatorStore, running_simulator
from igate_sync.upstream.simulator.control import is_loopback
from igate_sync.upstream.simulator.faults import FaultInjector
from igate_sync.upstream.simulator.settings import Runtime
from tests.unit.simulator.builders import dossier, envelope
from tests.unit.simulator.conftest import PUSH_DOSSIERS, Gateway, make_settings


def test_stats_show_holdings_counters_and_plan(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    stats = gateway.http.get("/_sim/stats").json()
    assert stats["dossiers"] == 1
    assert stats["results"] == {"dossier": {"created": 1}}
    assert stats["requests"][PUSH_DOSSIERS] == {"200": 1}
    assert stats["fault_plan"] == FaultPlan().to_json()


def test_control_requests_are_not_counted(gateway: Gateway) -> None:
    gateway.http.get("/_sim/stats")
    assert "/_sim/stats" not in gateway.sim.stats()["requests"]


def test_faults_can_be_replaced_over_http(gateway: Gateway) -> None:
    plan = FaultPlan(rules=(FaultRule("503", at=(1,), retry_after_s=5),))
    reply = gateway.http.post("/_sim/faults", json=plan.to_json())
    assert reply.status_code == 200
    assert reply.json() == {"fault_plan": plan.to_json()}
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier()])).status_code == 503
    assert gateway.http.get("/_sim/stats").json()["fault_plan"] == plan.to_json()


@pytest.mark.parametrize("content", [b"not json", b'{"rules": [{"kind": "teapot"}]}'])
def test_bad_fault_plan_is_400(gateway: Gateway, content: bytes) -> None:
    reply = gateway.http.post("/_sim/faults", content=content)
    assert reply.status_code == 400
    assert reply.json()["error_code"] == "INVALID_FAULT_PLAN"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("::1", True), ("10.0.0.7", False), ("testclient", False)],
)
def test_control_is_loopback_only(host: str, expected: bool) -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 1)}
    assert is_loopback(Request(scope)) is expected


def test_initial_faults_come_from_settings() -> None:
    settings = make_settings(faults=FaultPlan(rules=(FaultRule("500", at=(1,)),)))
    with running_simulator(settings) as sim, httpx.Client(base_url=sim.base_url) as http:
        token = http.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "other-client",
                "client_secret": "other",
            },
        ).json()["access_token"]
        reply = http.get("/api/v1/hoso/x", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 500


def test_server_stops_on_exit() -> None:
    with running_simulator(make_settings()) as sim:
        url = sim.base_url
        assert httpx.get(f"{url}/_sim/stats").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sim/stats")


def test_sqlite_store_survives_a_server_restart(tmp_path: Path) -> None:
    path = tmp_path / "gateway.sqlite3"
    key = "restart-key-0001"
    with (
        SimulatorStore(path) as store,
        running_simulator(make_settings(), store) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        gateway = Gateway(sim, http)
        first = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
        token = gateway.token
    with (
        SimulatorStore(path) as store,
        running_simulator(make_settings(), store) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        gateway = Gateway(sim, http)
        replay = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key, token=token)
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == first.content
        assert gateway.get(f"/api/v1/hoso/{dossier()['MaHoSo']}").json() == dossier()
        assert [e.kind for e in sim.store.effects()] == ["created"]


def test_naive_clock_is_refused() -> None:
    with SimulatorStore() as store:
        runtime = Runtime(
            make_settings(),
            store,
            lambda: datetime.fromisoformat("2026-03-01T08:00:00"),
            FaultInjector(),
        )
        with pytest.raises(ValueError, match="timezone-aware"):
            runtime.now()
