"""End to end: the real CLI reconciles a sample register against the gateway simulator after
both were changed behind the daemon's back, repairs, and renders the stored report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from igate_sync.adapters import mot_cua_schema as register
from igate_sync.adapters.base import Agency, SourceRecord
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.sample.mot_cua import create_register, generate
from igate_sync.schemas import phien_ban
from igate_sync.upstream.simulator.server import RunningSimulator, running_simulator
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings

AGENCY = "000.24.24.H16"
BIN = [sys.executable, "-m", "igate_sync"]
UNKNOWN = f"{AGENCY}-991231-0001"

CONFIG = """
[agency]
code = "{agency}"
name = "UBND xã Ea Yiêng"
[upstream]
base_url = "{base_url}"
client_id = "e2e"
timeout_s = 5
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
chunk_rows = 97
"""


@pytest.fixture
def gateway() -> Iterator[RunningSimulator]:
    settings = SimulatorSettings(
        clients={"e2e": ClientSpec(secret="e2e-secret", agencies=(AGENCY,))}
    )
    with running_simulator(settings) as sim:
        yield sim


@pytest.fixture
def commune(tmp_path: Path, gateway: RunningSimulator) -> Path:
    engine = create_engine(f"sqlite:///{tmp_path / 'motcua.db'}")
    create_register(engine)
    generate(engine, count=300, seed=11, agency_code=AGENCY)
    engine.dispose()
    config = tmp_path / "igate-sync.toml"
    config.write_text(CONFIG.format(agency=AGENCY, base_url=gateway.base_url), encoding="utf-8")
    return config


def igate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"IGATE_UPSTREAM_CLIENT_SECRET": "e2e-secret", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [*BIN, "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def scan(config: Path) -> list[SourceRecord]:
    engine = create_engine(f"sqlite:///{config.parent / 'motcua.db'}")
    adapter = MotCuaAdapter("motcua", engine, Agency(AGENCY, "UBND xã Ea Yiêng"))
    try:
        return [r for chunk in adapter.scan(500) for r in chunk]
    finally:
        adapter.close()


def entries(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    listed = [e for s in body["sources"] for e in s["not_in_sync"]]
    listed += body["totals"]["not_in_sync"]
    return {e["ma_ho_so"]: (e["class"], e["reason"]) for e in listed}


def edit_behind_the_daemons_back(
    config: Path, gateway: RunningSimulator, pushed: list[str]
) -> tuple[str, str, str]:
    """Lose one dossier upstream, downgrade another, add an unknown one, soft-delete a third
    at the source, and give the source 40 new dossiers: the returned codes say which."""
    lost, downgraded, deleted = pushed[0], pushed[1], pushed[2]
    assert gateway.store.delete_dossier(lost)
    current = gateway.store.get_dossier(downgraded)
    assert current is not None
    old = {**current, "GhiChu": f"{current['GhiChu']} (bản cũ)"}  # an earlier edit
    old |= {"PhienBan": phien_ban(old), "NgayCapNhat": "20210101000000"}
    gateway.store.put_raw_dossier(old)
    gateway.store.put_raw_dossier({**current, "MaHoSo": UNKNOWN})
    engine = create_engine(f"sqlite:///{config.parent / 'motcua.db'}")
    with engine.begin() as conn:
        conn.execute(
            update(register.ho_so).where(register.ho_so.c.so_ho_so == deleted).values(da_xoa=1)
        )
    generate(engine, count=40, seed=12, agency_code=AGENCY, first_id=301)  # not synced yet
    engine.dispose()
    return lost, downgraded, deleted


@pytest.mark.slow
def test_reconcile_classifies_every_edit_exactly_and_repair_brings_the_ratio_to_one(
    commune: Path, gateway: RunningSimulator, tmp_path: Path
) -> None:
    igate(commune, "sync")
    pushed = sorted(r.ma_ho_so for r in scan(commune) if r.kind == "dossier" and r.ma_ho_so)
    held = {e.ma_ho_so for e in gateway.store.effects() if e.kind == "created"}
    assert held == set(pushed)
    lost, downgraded, deleted = edit_behind_the_daemons_back(commune, gateway, pushed)
    records = scan(commune)
    fresh = {r.ma_ho_so for r in records if r.kind == "dossier"} - set(pushed)
    kinds = Counter(r.kind for r in records)

    body = json.loads(igate(commune, "reconcile", "--format", "json").stdout)

    assert body["totals"]["counts"] == {
        "in_sync": len(pushed) - 3,
        "missing_upstream": 1 + len(fresh),
        "stale_upstream": 1,
        "unknown_upstream": 1,
        "deleted_at_source": 1,
        "rejected": 0,
        "quarantined": kinds["quarantined"],
        "draft": kinds["draft"],
    }
    found = entries(body)
    assert found[lost] == ("missing_upstream", "lost_upstream")
    assert found[downgraded] == ("stale_upstream", "overwritten_upstream")
    assert found[UNKNOWN] == ("unknown_upstream", "never_read")
    assert found[deleted] == ("deleted_at_source", "deleted_after_push")
    assert {found[c] for c in fresh} == {("missing_upstream", "not_read_yet")}
    assert body["id"] == 1

    effects = len(gateway.store.effects())
    dry = json.loads(
        igate(commune, "reconcile", "--repair", "--dry-run", "--format", "json").stdout
    )
    assert dry["repair"]["dry_run"] is True
    assert dry["repair"]["requeued"] == {"missing_upstream": 1 + len(fresh), "stale_upstream": 1}
    assert len(gateway.store.effects()) == effects

    after = json.loads(
        igate(commune, "reconcile", "--repair", "--reason", "e2e", "--format", "json").stdout
    )
    assert after["totals"]["synced_ratio"] == 1.0
    assert after["totals"]["counts"]["in_sync"] == len(pushed) - 1 + len(fresh)
    assert after["totals"]["counts"]["unknown_upstream"] == 1  # nothing is deleted upstream
    assert after["repair"]["requeued"] == dry["repair"]["requeued"]
    assert after["repair"]["of_report"] == after["id"] - 1
    current = {r.ma_ho_so: r.phien_ban for r in records if r.kind == "dossier"}
    for code in (lost, downgraded):
        stored = gateway.store.get_dossier(code)
        assert stored is not None
        assert stored["PhienBan"] == current[code]

    page = tmp_path / "report.html"
    igate(commune, "report", "--last", "--format", "html", "--output", str(page))
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<script" not in html and "<link" not in html
    assert "100,0 %" in html

    listing = json.loads(igate(commune, "report", "--format", "json").stdout)
    assert [r["id"] for r in listing] == [4, 3, 2, 1]
    assert listing[0]["synced_ratio"] == 1.0
