"""The daemon as an operator runs it: `igate-sync run` under a real process, the simulator
over loopback, SIGTERM for a clean stop."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select

from igate_sync.sample.mot_cua import generate, mutate
from igate_sync.upstream.simulator.server import RunningSimulator
from tests.e2e import daemon_harness as harness
from tests.e2e.daemon_harness import AGENCY, ENV, Daemon


@pytest.fixture
def gateway() -> Iterator[RunningSimulator]:
    with harness.gateway() as sim:
        yield sim


@pytest.fixture
def config(tmp_path: Path, gateway: RunningSimulator) -> Path:
    return harness.commune(tmp_path, gateway.base_url, count=200, seed=5)


def test_run_syncs_at_start_and_stops_cleanly_on_sigterm(
    config: Path, gateway: RunningSimulator
) -> None:
    daemon = Daemon(config, ENV)
    try:
        cycle = daemon.wait_for(lambda e: e.get("event") == "sync cycle")
        assert cycle["outcome"] == "ok"
        held = gateway.store.snapshot()["dossiers"]
        assert held == cycle["pushed"]["dossiers"]["created"] > 150
    finally:
        code = daemon.stop()
    assert code == 0
    assert any('"daemon stopped"' in line for line in daemon.lines)


def test_a_second_daemon_on_the_same_state_is_refused(
    config: Path, gateway: RunningSimulator
) -> None:
    first = Daemon(config, ENV)
    try:
        first.wait_for(lambda e: e.get("event") == "daemon started")
        second = subprocess.run(
            [sys.executable, "-m", "igate_sync", "--config", str(config), "run"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2
        assert "another igate-sync daemon holds the state database" in second.stderr
    finally:
        assert first.stop() == 0


def test_operator_resync_metrics_readiness_and_clean_stop(
    config: Path, gateway: RunningSimulator
) -> None:
    """The issue's scenario: rows added and changed under a running daemon, a resync from
    the CLI picked up at once, /metrics and /readyz scraped, SIGTERM, everything confirmed."""
    daemon = Daemon(config, ENV)
    try:
        started = daemon.wait_for(lambda e: e.get("event") == "daemon started")
        admin = started["admin"]
        daemon.wait_for(lambda e: e.get("event") == "sync cycle")
        engine = create_engine(f"sqlite:///{config.parent / 'motcua.db'}")
        generate(engine, count=5, seed=9, agency_code=AGENCY, first_id=1001)
        # The desk stamps what it adds and changes with the time of the change.
        now = datetime(2026, 11, 27, 11, 0)  # noqa: DTZ001 - naive local, as the source
        mutate(engine, ids=[1, 2, 1001, 1002, 1003, 1004, 1005], seed=3, now=now)
        engine.dispose()
        codes = _codes(config, [1, 2, 1001, 1002, 1003, 1004, 1005])
        done = subprocess.run(
            [sys.executable, "-m", "igate_sync", "--config", str(config), "resync",
             *(arg for code in codes for arg in ("--dossier", code)),
             "--reason", "citizen says it is not on the portal", "--by", "desk-1"],
            capture_output=True, text=True, env=ENV, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["carried_out_by"] == "daemon"
        # The resync reads the register first: the five new rows are found by their codes,
        # and they and the two changed ones go out now, with their current content.
        assert result["not_found"] == []
        assert result["sources"]["motcua"]["selected"] == len(codes)
        for code in codes[:2]:
            stored = gateway.store.get_dossier(code)
            assert stored is not None
            assert stored["NgayCapNhat"] >= "20261127110000"  # the edited version (or later)
        with httpx.Client(base_url=admin, timeout=10) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text
            metrics = client.get("/metrics").text
        families = {f.name: f for f in text_string_to_metric_families(metrics)}
        confirmed = families["igate_sync_confirmed_upstream"].samples[0].value
        assert confirmed == gateway.store.snapshot()["dossiers"]
        outbox = {
            (s.labels["kind"], s.labels["state"]): s.value
            for s in families["igate_sync_outbox_items"].samples
        }
        assert outbox[("dossiers", "pending")] == outbox[("dossiers", "in_flight")] == 0
        assert "igate_sync_outbox_items" in families
    finally:
        assert daemon.stop() == 0
    assert any('"daemon stopped"' in line for line in daemon.lines)


def _codes(config: Path, ids: list[int]) -> list[str]:
    from igate_sync.adapters import mot_cua_schema as t

    engine = create_engine(f"sqlite:///{config.parent / 'motcua.db'}")
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                select(t.ho_so.c.id, t.ho_so.c.so_ho_so).where(t.ho_so.c.id.in_(ids))
            ).all()
        )
    engine.dispose()
    return [rows[i] for i in ids if rows.get(i)]
