"""Benchmark: a full reconciliation of N dossiers against the gateway simulator.

Not a test: it prints figures. For each size it reuses bench/backfill.py's cached sample
register, and (once, cached under bench/data/) a synced pair: the state database and the
simulator's store after one full `igate-sync sync`. Each run starts the simulator on that
store as its own process, copies the state database, and runs `igate-sync reconcile
--format json` as another process: wall seconds, dossiers/s, CPU seconds and peak RSS of
the reconcile process. Memory is flat when the peak RSS barely moves from 10,000 to
100,000 dossiers. Results also go to bench/results/reconcile.json.

    .venv/bin/python bench/reconcile.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from backfill import (
    AGENCY,
    BIN,
    CONFIG,
    DATA,
    RESULTS,
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


def run_once(size: int, seed: int, chunk: int) -> dict[str, float | int]:
    pair = synced_pair(size, seed, chunk)
    work = RESULTS / f"reconcile-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(pair / "state.db", work / "state.db")
    port = free_port()
    config = write_config(work, port, source_db(size, seed), chunk)
    sim = simulator(port, pair / "gw.db")
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(BIN), "--config", str(config), "--log-level", "WARNING", "reconcile",
             "--format", "json", "--output", str(work / "report.json")],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"reconcile exited with {os.waitstatus_to_exitcode(status)}")
    report = json.loads((work / "report.json").read_text(encoding="utf-8"))
    (work / "state.db").unlink()  # a copy of the cached pair: hundreds of MB at 100,000
    counts = report["totals"]["counts"]
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "dossiers": size,
        "classified": sum(counts.values()),
        "in_sync": counts["in_sync"],
        "synced_ratio": report["totals"]["synced_ratio"],
        "wall_s": round(wall, 2),
        "dossiers_per_s": round(size / wall, 1),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        print(f"reconcile {size} dossiers ...", flush=True)
        rows.append(run_once(size, args.seed, args.chunk))
        print("  " + json.dumps(rows[-1]), flush=True)
    header = ("dossiers", "classified", "synced_ratio", "wall_s", "dossiers_per_s", "cpu_s",
              "peak_rss_mb")  # fmt: skip
    print("\n" + " | ".join(header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    if len(rows) >= 2:
        growth = float(rows[-1]["peak_rss_mb"]) - float(rows[0]["peak_rss_mb"])
        print(
            f"peak RSS at {rows[0]['dossiers']}: {rows[0]['peak_rss_mb']} MB, at "
            f"{rows[-1]['dossiers']}: {rows[-1]['peak_rss_mb']} MB ({growth:+.1f} MB)"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reconcile.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
