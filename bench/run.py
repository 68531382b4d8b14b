"""The benchmark: igate-sync's scenarios and its peers, measured in one run. Not a test.

Every measured program runs as its own process against the gateway simulator (faults off),
itself another process on loopback; the figures are the measured process's wall seconds,
CPU seconds (user + system, from wait4), peak RSS, and the simulator's CPU seconds apart.

Scenarios (sizes are dossiers in a seeded mot_cua_v1 SQLite register with child rows,
cached under bench/data/):

- ``backfill``  `igate-sync sync` from an empty state, at each --sizes; with --peers, the
                  ceiling client (bench/peers/ceiling.py) and the dlt pipeline
                  (bench/peers/dlt_peer.py, needs the `bench` extra) on the same source,
                  measured alternately (igate-sync, ceiling, dlt, igate-sync, ...) --rounds
                  times; the best round of each counts, and the ratios are printed.
- ``noop``      `igate-sync sync` on the --big register already synced: nothing changed.
- ``noop-indexed`` the same, with the README's change-time index added to the register.
- ``change``    the same after 1% of its rows changed (status and change time).
- ``scan``      `igate-sync sync --scan` on the synced --big register: every row re-read
                  and compared (nothing changed).

For the incremental scenarios ``cycle_s`` is the cycle's own duration as the state database
records it, and dossiers/s (rows changed, or rows scanned) is over that; ``wall_s`` adds
the process start (Python, configuration, opening the databases).
- ``reconcile`` `igate-sync reconcile` of the synced --reconcile-size register.

Results: a table on stdout, and bench/results/run.json.

    .venv/bin/python bench/run.py                        # everything, default sizes
    .venv/bin/python bench/run.py --scenarios backfill --sizes 10000 --peers --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backfill import AGENCY, BIN, RESULTS, SECRET, cpu_seconds, free_port, source_db
from reconcile import simulator, synced_pair, write_config
from sqlalchemy import create_engine, select

from igate_sync.adapters.mot_cua_schema import ho_so
from igate_sync.sample.mot_cua import mutate
from igate_sync.store import tables

PEERS = Path(__file__).resolve().parent / "peers"
Row = dict[str, Any]


def measure(command: Sequence[str], sim: subprocess.Popen[bytes], cwd: Path) -> Row:
    """Run ``command`` to its end; its wall, CPU and peak RSS, and the simulator's CPU."""
    sim_cpu0 = cpu_seconds(sim.pid)
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(
            f"{command[:3]} exited {code}: {errors[-2000:].decode(errors='replace')}"
        )
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "simulator_cpu_s": round(cpu_seconds(sim.pid) - sim_cpu0, 2),
    }


def fresh_work(name: str) -> Path:
    work = RESULTS / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def igate(config: Path, *extra: str) -> list[str]:
    return [str(BIN), "--config", str(config), "--log-level", "WARNING", *extra]


# --- backfill and peers ----------------------------------------------------------------------


def backfill(tool: str, size: int, seed: int, chunk: int) -> Row:
    """One full backfill of ``size`` dossiers by ``tool`` into a fresh simulator."""
    work = fresh_work(f"backfill-{tool}-{size}")
    port = free_port()
    source = source_db(size, seed)
    sim = simulator(port, work / "gw.db")
    try:
        gateway = f"http://127.0.0.1:{port}"
        common = ["--source", f"sqlite:///{source}", "--gateway", gateway, "--client-id",
                  "bench", "--client-secret", SECRET, "--agency", AGENCY]  # fmt: skip
        if tool == "igate-sync":
            command = igate(write_config(work, port, source, chunk), "sync")
        elif tool == "ceiling":
            command = [sys.executable, str(PEERS / "ceiling.py"), *common,
                       "--state", str(work / "ceiling.db")]  # fmt: skip
        else:
            command = [sys.executable, str(PEERS / "dlt_peer.py"), *common,
                       "--work", str(work / "dlt")]  # fmt: skip
        row = measure(command, sim, work)
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    held = _held(work / "gw.db")
    shutil.rmtree(work, ignore_errors=True)
    return {"scenario": "backfill", "tool": tool, "dossiers": size,
            "dossiers_per_s": round(size / row["wall_s"], 1), "held_upstream": held,
            **row}  # fmt: skip


def _held(store: Path) -> int:
    """Dossiers the simulator holds: every tool must deliver the same set."""
    with sqlite3.connect(store) as conn:
        return int(conn.execute("SELECT count(*) FROM dossiers").fetchone()[0])


# --- incremental scenarios on a synced register ------------------------------------------------


def incremental(scenario: str, size: int, seed: int, chunk: int) -> Row:
    """``noop``, ``change`` (1% of rows) or ``scan`` on the synced ``size`` register."""
    pair = synced_pair(size, seed, chunk)
    work = fresh_work(f"{scenario}-{size}")
    shutil.copy(pair / "state.db", work / "state.db")
    shutil.copy(pair / "gw.db", work / "gw.db")
    source = source_db(size, seed)
    changed = 0
    if scenario in ("change", "noop-indexed"):
        source = work / "source.db"
        shutil.copy(source_db(size, seed), source)
    if scenario == "change":
        changed = _change_one_percent(source)
    if scenario == "noop-indexed":
        _add_change_time_index(source)
    port = free_port()
    config = write_config(work, port, source, chunk)
    sim = simulator(port, work / "gw.db")
    try:
        row = measure(igate(config, "sync", *(["--scan"] if scenario == "scan" else [])), sim, work)
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    cycle = _last_cycle_s(work / "state.db")
    shutil.rmtree(work, ignore_errors=True)
    per_s = (changed if scenario == "change" else size) / cycle
    return {"scenario": scenario, "tool": "igate-sync", "dossiers": size, "changed": changed,
            "cycle_s": round(cycle, 3), "dossiers_per_s": round(per_s, 1), **row}  # fmt: skip


def _last_cycle_s(state: Path) -> float:
    """The last sync cycle's own duration, as the state database recorded it (the process
    also starts Python, reads its configuration and opens the databases)."""
    engine = create_engine(f"sqlite:///{state}")
    runs = tables.sync_runs.c
    with engine.connect() as conn:
        started, finished = conn.execute(
            select(runs.started_at, runs.finished_at).order_by(runs.id.desc()).limit(1)
        ).one()
    engine.dispose()
    return float((finished - started).total_seconds())


def _add_change_time_index(source: Path) -> None:
    """The README's change-time index for mot_cua_v1 on SQLite, as an operator adds it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"-- mot_cua_v1 on SQLite\n(CREATE INDEX [^\n]+;)", readme)
    assert found, "README lost its change-time index"
    with sqlite3.connect(source) as conn:
        conn.execute(found.group(1))


def _change_one_percent(source: Path) -> int:
    """Every 100th row handled at the desk (next status, a new step, a note, a later change
    time), as the sample generator's ``mutate`` does it."""
    engine = create_engine(f"sqlite:///{source}")
    with engine.connect() as conn:
        ids = list(conn.execute(select(ho_so.c.id).where(ho_so.c.id % 100 == 0)).scalars())
    mutate(engine, ids=ids, seed=1, now=datetime(2031, 1, 1, 8, 0, tzinfo=UTC))
    engine.dispose()
    return len(ids)


def reconcile_run(size: int, seed: int, chunk: int) -> Row:
    pair = synced_pair(size, seed, chunk)
    work = fresh_work(f"reconcile-{size}")
    shutil.copy(pair / "state.db", work / "state.db")
    port = free_port()
    config = write_config(work, port, source_db(size, seed), chunk)
    sim = simulator(port, pair / "gw.db")
    try:
        row = measure(igate(config, "reconcile", "--format", "json", "--output", "r.json"),
                      sim, work)  # fmt: skip
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    return {"scenario": "reconcile", "tool": "igate-sync", "dossiers": size,
            "dossiers_per_s": round(size / row["wall_s"], 1), **row}  # fmt: skip


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["backfill", "noop", "noop-indexed",
                        "change", "scan", "reconcile"])  # fmt: skip
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--big", type=int, default=500_000)
    parser.add_argument("--reconcile-size", type=int, default=100_000)
    parser.add_argument("--peers", action="store_true", help="ceiling client and dlt too")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    tools = ["igate-sync", *(["ceiling", "dlt"] if args.peers else [])]
    rows: list[Row] = []

    def done(row: Row) -> None:
        rows.append(row)
        print("  " + json.dumps(row), flush=True)

    if "backfill" in args.scenarios:
        for size in args.sizes:
            for round_ in range(args.rounds):
                for tool in tools:
                    print(f"backfill {size} by {tool} (round {round_ + 1})", flush=True)
                    done(backfill(tool, size, args.seed, args.chunk))
    for scenario in ("noop", "noop-indexed", "change", "scan"):
        if scenario in args.scenarios:
            print(f"{scenario} on {args.big}", flush=True)
            done(incremental(scenario, args.big, args.seed, args.chunk))
    if "reconcile" in args.scenarios:
        print(f"reconcile {args.reconcile_size}", flush=True)
        done(reconcile_run(args.reconcile_size, args.seed, args.chunk))
    report(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "run.json").write_text(json.dumps(rows, indent=2))


def report(rows: list[Row]) -> None:
    best: dict[tuple[str, str, int], Row] = {}
    for row in rows:
        k = (row["scenario"], row["tool"], row["dossiers"])
        if k not in best or row["wall_s"] < best[k]["wall_s"]:
            best[k] = row
    header = ("scenario", "tool", "dossiers", "wall_s", "cycle_s", "cpu_s", "dossiers_per_s",
              "peak_rss_mb", "simulator_cpu_s")  # fmt: skip
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in best.values():
        print("| " + " | ".join(str(row.get(h, "")) for h in header) + " |")
    for (scenario, tool, size), row in best.items():
        if (
            scenario == "backfill"
            and tool != "igate-sync"
            and (ours := best.get((scenario, "igate-sync", size)))
        ):
            ratio = ours["dossiers_per_s"] / row["dossiers_per_s"]
            print(f"backfill {size}: igate-sync / {tool} = {ratio:.2f}")


if __name__ == "__main__":
    main()
