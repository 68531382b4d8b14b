"""End to end: the real `igate-sync` CLI, a sample register in a real SQLite file, and the
gateway simulator over loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.sample.mot_cua import create_register, generate, mutate
from igate_sync.upstream.simulator.server import RunningSimulator, running_simulator
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings

AGENCY = "000.24.24.H16"
BIN = [sys.executable, "-m", "igate_sync"]

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
    generate(engine, count=400, seed=11, agency_code=AGENCY)
    engine.dispose()
    config = tmp_path / "igate-sync.toml"
    config.write_text(CONFIG.format(agency=AGENCY, base_url=gateway.base_url), encoding="utf-8")
    return config


def igate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"IGATE_UPSTREAM_CLIENT_SECRET": "e2e-secret", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [*BIN, "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def status(config: Path) -> dict[str, object]:
    done = igate(config, "status", "--format", "json")
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def pushable(config: Path) -> set[str]:
    from igate_sync.adapters.base import Agency
    from igate_sync.adapters.mot_cua import MotCuaAdapter

    engine = create_engine(f"sqlite:///{config.parent / 'motcua.db'}")
    adapter = MotCuaAdapter("motcua", engine, Agency(AGENCY, "x"))
    codes = {r.ma_ho_so for chunk in adapter.scan(500) for r in chunk if r.kind == "dossier"}
    adapter.close()
    return {c for c in codes if c}


def test_sync_delivers_every_pushable_dossier_once_then_nothing_then_one_change(
    commune: Path, gateway: RunningSimulator
) -> None:
    first = igate(commune, "sync")
    assert first.returncode == 0, first.stderr
    expected = pushable(commune)
    held = {e.ma_ho_so for e in gateway.store.effects() if e.kind == "created"}
    assert held == expected
    kinds = Counter((e.kind, e.ma_ho_so) for e in gateway.store.effects() if e.kind == "created")
    assert set(kinds.values()) == {1}  # one `created` per dossier code

    effects = len(gateway.store.effects())
    again = igate(commune, "sync")
    assert again.returncode == 0, again.stderr
    assert len(gateway.store.effects()) == effects

    engine = create_engine(f"sqlite:///{commune.parent / 'motcua.db'}")
    with engine.connect() as conn:
        target = conn.execute(
            select(t.ho_so.c.id, t.ho_so.c.so_ho_so)
            .where(t.ho_so.c.so_ho_so.in_(sorted(expected)))
            .order_by(t.ho_so.c.id)
            .limit(1)
        ).one()
    mutate(engine, ids=[target.id], seed=5, now=datetime(2026, 11, 27, 10, 0))  # noqa: DTZ001
    engine.dispose()
    third = igate(commune, "sync")
    assert third.returncode == 0, third.stderr
    new = gateway.store.effects()[effects:]
    assert {(e.kind, e.ma_ho_so) for e in new if e.kind in ("created", "updated")} == {
        ("updated", target.so_ho_so)
    }
    stored = gateway.store.get_dossier(target.so_ho_so)
    assert stored is not None
    assert stored["NgayCapNhat"] == "20261127100000"


def test_status_after_sync_shows_an_empty_queue_and_the_quarantine(
    commune: Path, gateway: RunningSimulator
) -> None:
    assert igate(commune, "sync").returncode == 0
    report = status(commune)
    queue = report["queue"]
    assert isinstance(queue, dict)
    assert set(queue["dossiers"]) <= {"confirmed", "rejected", "superseded", "stale"}
    assert queue["dossiers"].get("confirmed", 0) == len(pushable(commune))
    assert report["oldest_unconfirmed_age_s"] is None
    engine = create_engine(f"sqlite:///{commune.parent / 'state.db'}")
    with engine.connect() as conn:
        from igate_sync.store import tables as st

        in_quarantine = conn.execute(select(func.count()).select_from(st.quarantine)).scalar_one()
    engine.dispose()
    assert report["quarantine_total"] == in_quarantine > 0


def test_gateway_down_exits_1_and_keeps_everything_queued(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'motcua.db'}")
    create_register(engine)
    generate(engine, count=50, seed=3, agency_code=AGENCY)
    engine.dispose()
    config = tmp_path / "igate-sync.toml"
    # Nothing listens on port 9 of the loopback: every connection is refused.
    config.write_text(
        CONFIG.format(agency=AGENCY, base_url="http://127.0.0.1:9").replace(
            "timeout_s = 5", "timeout_s = 1\nmax_attempts = 1"
        ),
        encoding="utf-8",
    )
    done = igate(config, "sync")
    assert done.returncode == 1, done.stderr
    assert "gateway unavailable" in done.stderr
    queue = status(config)["queue"]
    assert isinstance(queue, dict)
    assert sum(queue["dossiers"].values()) == len(pushable(config))


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "igate-sync.toml"
    config.write_text(CONFIG.format(agency=AGENCY, base_url="ftp://x"), encoding="utf-8")
    done = igate(config, "sync")
    assert done.returncode == 2
    assert "upstream.base_url" in done.stderr


def test_check_reaches_everything_and_says_what_it_would_do(
    commune: Path, gateway: RunningSimulator
) -> None:
    done = igate(commune, "check")
    assert done.returncode == 0, done.stderr
    assert "source motcua (mot_cua_v1): ok" in done.stdout
    assert "credentials accepted" in done.stdout
    assert len(gateway.store.effects()) == 0  # check changes nothing upstream


def test_check_with_a_wrong_secret_names_the_key(commune: Path, gateway: RunningSimulator) -> None:
    env = {"IGATE_UPSTREAM_CLIENT_SECRET": "wrong", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [*BIN, "--config", str(commune), "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "upstream.client_secret" in done.stderr


def test_check_with_an_unreachable_source_names_it(tmp_path: Path) -> None:
    config = tmp_path / "igate-sync.toml"
    text = CONFIG.format(agency=AGENCY, base_url="http://127.0.0.1:9").replace(
        "sqlite:///motcua.db", "postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    config.write_text(text, encoding="utf-8")
    done = igate(config, "check")
    assert done.returncode == 2
    assert "sources[0].url" in done.stderr


def test_sync_over_the_dvcqg_adapter_profile(commune: Path, gateway: RunningSimulator) -> None:
    text = commune.read_text(encoding="utf-8").replace(
        "[upstream]", '[upstream]\nprofile = "dvcqg-adapter"\ndstcode = "H16"'
    )
    commune.write_text(text, encoding="utf-8")
    first = igate(commune, "sync")
    assert first.returncode == 0, first.stderr
    created = [e.ma_ho_so for e in gateway.store.effects() if e.kind == "created"]
    assert sorted(created) == sorted(pushable(commune))
    effects = len(gateway.store.effects())
    assert igate(commune, "sync").returncode == 0
    assert len(gateway.store.effects()) == effects


def test_a_usage_error_exits_2_naming_the_option(commune: Path) -> None:
    done = igate(commune, "status", "--format", "xml")
    assert done.returncode == 2
    assert "--format" in done.stderr
