"""Synced states for the benchmark's incremental scenarios (bench/run.py).

``synced_pair`` builds once, under bench/data/, the state database and the simulator's store
after one full `igate-sync sync` of a cached sample register; ``simulator`` serves a store;
``write_config`` writes the configuration both use. The reconciliation scenario itself is
``bench/run.py --scenarios reconcile``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from backfill import (
    AGENCY,
    BIN,
    CONFIG,
    DATA,
    SECRET,
    free_port,
    source_db,
    wait_listening,
)


def simulator(port: int, store: Path) -> subprocess.Popen[bytes]:
    """The gateway simulator on ``port``, keeping its store in ``store``."""
    proc = subprocess.Popen(
        [str(BIN), "simulate-upstream", "--port", str(port), "--client-id", "bench",
         "--client-secret", SECRET, "--agency", AGENCY, "--store", str(store)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_listening(port, proc)
    return proc


def write_config(work: Path, port: int, source: Path, chunk: int) -> Path:
    config = work / "igate-sync.toml"
    config.write_text(
        CONFIG.format(
            agency=AGENCY, port=port, secret=SECRET, source=f"sqlite:///{source}", chunk=chunk
        )
    )
    return config


def synced_pair(size: int, seed: int, chunk: int) -> Path:
    """bench/data/synced-<size>-<seed>/ with state.db and gw.db after one full sync."""
    pair = DATA / f"synced-{size}-{seed}"
    if (pair / "done").exists():
        return pair
    shutil.rmtree(pair, ignore_errors=True)
    pair.mkdir(parents=True)
    port = free_port()
    config = write_config(pair, port, source_db(size, seed), chunk)
    started = time.perf_counter()
    sim = simulator(port, pair / "gw.db")
    try:
        subprocess.run(
            [str(BIN), "--config", str(config), "--log-level", "WARNING", "sync"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    (pair / "done").touch()
    print(f"  synced {size} dossiers in {time.perf_counter() - started:.1f} s", flush=True)
    return pair
