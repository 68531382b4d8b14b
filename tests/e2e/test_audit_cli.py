"""`audit verify` on a real state database: intact, then quietly edited."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from igate_sync.bootstrap import audit_log, open_state
from igate_sync.config import load_settings

CONFIG = """
[agency]
code = "000.24.24.H16"
name = "UBND xã Ea Yiêng"
[upstream]
base_url = "http://127.0.0.1:9"
client_id = "a"
client_secret = "s"
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
"""


def verify(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "igate_sync", "--config", str(config), "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_audit_verify_passes_then_names_the_edited_entry(tmp_path: Path) -> None:
    config = tmp_path / "igate-sync.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert verify(config).returncode == 0  # empty log
    settings = load_settings(config, environ={})
    engine = open_state(settings)
    log = audit_log(settings, engine, config)
    now = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    for n in range(5):
        log.append("resync", "desk-1", {"id": n, "dossiers": 1}, now)
    log.checkpoint(now)
    assert (tmp_path / "audit-key.pem").exists()
    intact = verify(config)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET payload = :p WHERE seq = 3"),
            {"p": '{"dossiers":1,"id":9}'},
        )
    engine.dispose()
    broken = verify(config)
    assert broken.returncode == 1
    assert "3" in broken.stdout


def test_operator_actions_are_recorded_and_the_chain_verifies(tmp_path: Path) -> None:
    config = tmp_path / "igate-sync.toml"
    config.write_text(CONFIG, encoding="utf-8")
    from sqlalchemy import create_engine

    from igate_sync.adapters import mot_cua_schema as t

    source = create_engine(f"sqlite:///{tmp_path / 'motcua.db'}")
    t.metadata.create_all(source)
    source.dispose()
    for args in (
        ["resync", "--quarantined", "--dry-run", "--reason", "Nguyễn Văn An gọi điện"],
        ["retry-dead"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "igate_sync", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    intact = verify(config)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    settings = load_settings(config, environ={})
    engine = open_state(settings)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, payload FROM audit_log ORDER BY seq")).all()
    engine.dispose()
    assert [r.kind for r in rows] == ["resync", "retry_dead"]
    assert "Nguyễn" not in rows[0].payload  # the reason is kept only as a digest
