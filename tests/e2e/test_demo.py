"""The README's first command ends in `igate-sync demo`: it must work with no configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_confirms_every_pushable_dossier(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "igate_sync",
            "demo",
            "--dossiers",
            "300",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every pushable dossier is confirmed on the gateway" in done.stdout
    assert "synced ratio 1.0000" in done.stdout
    assert (tmp_path / "igate-sync.toml").exists()
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "igate_sync",
            "--config",
            str(tmp_path / "igate-sync.toml"),
            "status",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert "oldest unconfirmed: none" in status.stdout
