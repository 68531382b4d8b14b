"""Benchmark: full backfill of a mot_cua_v1 SQLite source into the gateway simulator.

Not a test: it prints figures. For each size it builds (once, cached under bench/data/) a
seeded sample register, starts `igate-sync simulate-upstream` as its own process, runs
`igate-sync sync` from an empty state as another process, and prints wall seconds,
dossiers/s, CPU seconds per 1,000 dossiers and peak RSS of the sync process, plus the
simulator's CPU seconds. Results also go to bench/results/backfill.json.

    .venv/bin/python bench/backfill.py --sizes 10000 100000 [--engine postgresql|mariadb]

With --engine postgresql or mariadb the register lives on the local server (database
igs_bench_<size>_<seed>, kept between runs), so that streaming is measured on each engine.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from igate_sync.sample.mot_cua import create_register, generate

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
RESULTS = ROOT / "results"
BIN = Path(sys.executable).parent / "igate-sync"
AGENCY = "000.24.24.H16"
SECRET = "bench-secret"

CONFIG = """\
[agency]
code = "{agency}"
name = "UBND xã Ea Yiêng"
[state]
url = "sqlite:///state.db"
[upstream]
base_url = "http://127.0.0.1:{port}"
client_id = "bench"
client_secret = "{secret}"
timeout_s = 30
batch_size = 100
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "{source}"
chunk_rows = {chunk}
"""


SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306",
}


def source_url(engine_kind: str, size: int, seed: int) -> str:
    """The URL of the cached sample register of this size on this engine."""
    if engine_kind == "sqlite":
        return f"sqlite:///{source_db(size, seed)}"
    name = f"igs_bench_{size}_{seed}"
    server = SERVERS[engine_kind]
    suffix = "?charset=utf8mb4" if engine_kind == "mariadb" else ""
    admin = create_engine(
        f"{server}/{'postgres' if engine_kind == 'postgresql' else ''}{suffix}",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n")
            if engine_kind == "postgresql"
            else text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"),
            {"n": name},
        ).first()
        if not exists:
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = f"{server}/{name}{suffix}"
    if not exists:
        _fill(url, size, seed)
    return url


def _fill(url: str, size: int, seed: int) -> None:
    engine = create_engine(url)
    started = time.perf_counter()
    create_register(engine)
    generate(engine, count=size, seed=seed, agency_code=AGENCY)
    engine.dispose()
    print(f"  built {url.rsplit('/', 1)[1]} in {time.perf_counter() - started:.1f} s", flush=True)


def source_db(size: int, seed: int) -> Path:
    """The cached sample register of this size."""
    path = DATA / f"motcua-{size}-{seed}.db"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        engine = create_engine(f"sqlite:///{tmp}")
        started = time.perf_counter()
        create_register(engine)
        generate(engine, count=size, seed=seed, agency_code=AGENCY)
        engine.dispose()
        tmp.rename(path)
        print(f"  built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("simulator exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("simulator did not start")


def run_once(
    engine_kind: str, size: int, seed: int, chunk: int, profile: Path | None = None
) -> dict[str, float | str]:
    source = source_url(engine_kind, size, seed)
    work = RESULTS / f"run-{engine_kind}-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port = free_port()
    config = work / "igate-sync.toml"
    config.write_text(
        CONFIG.format(agency=AGENCY, port=port, secret=SECRET, source=source, chunk=chunk)
    )
    sim = subprocess.Popen(
        [str(BIN), "simulate-upstream", "--port", str(port), "--client-id", "bench",
         "--client-secret", SECRET, "--agency", AGENCY],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_listening(port, sim)
        sim_cpu0 = cpu_seconds(sim.pid)
        started = time.perf_counter()
        command = [str(BIN), "--config", str(config), "sync"]
        if profile:
            command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sim_cpu = cpu_seconds(sim.pid) - sim_cpu0
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"sync exited with {os.waitstatus_to_exitcode(status)}")
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "engine": engine_kind,
        "dossiers": size,
        "wall_s": round(wall, 2),
        "dossiers_per_s": round(size / wall, 1),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_1000": round(cpu / size * 1000, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "simulator_cpu_s": round(sim_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--engine", choices=["sqlite", *SERVERS], default="sqlite")
    parser.add_argument(
        "--profile", action="store_true", help="run sync under cProfile; print the top functions"
    )
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        print(f"backfill {size} dossiers from {args.engine} ...", flush=True)
        profile = RESULTS / f"backfill-{args.engine}-{size}.prof" if args.profile else None
        if profile:
            RESULTS.mkdir(parents=True, exist_ok=True)
        rows.append(run_once(args.engine, size, args.seed, args.chunk, profile))
        print("  " + json.dumps(rows[-1]), flush=True)
        if profile:
            stats = pstats.Stats(str(profile))
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)
    header = ("engine", "dossiers", "wall_s", "dossiers_per_s", "cpu_s_per_1000", "peak_rss_mb",
              "simulator_cpu_s")  # fmt: skip
    print("\n" + " | ".join(header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    if len(rows) >= 2:
        growth = float(rows[-1]["peak_rss_mb"]) - float(rows[0]["peak_rss_mb"])
        print(f"peak RSS growth {rows[0]['dossiers']} → {rows[-1]['dossiers']}: {growth:+.1f} MB")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"backfill-{args.engine}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
