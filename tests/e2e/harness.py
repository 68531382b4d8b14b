"""Shared parts of the fault and crash harnesses: a sample commune on disk, the real CLI as a
subprocess, and an audit of the gateway simulator's store against the source register.

The audit proves the contract's rules from what the simulator recorded, never from what the
client says it did: every latest version stored, nothing applied twice, no older version over
a newer one, every progress event stored once, and no request before a Retry-After deadline.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, func, select

from igate_sync.adapters import mot_cua_schema as register
from igate_sync.sample.mot_cua import create_register, generate, mutate
from igate_sync.store import tables as st
from igate_sync.store.engine import create_state_engine
from igate_sync.upstream.simulator import (
    ClientSpec,
    Effect,
    FaultPlan,
    SimulatorSettings,
    SimulatorStore,
)
from igate_sync.upstream.simulator.store import RequestRecord

AGENCY = "000.24.24.H16"
AGENCY_NAME = "UBND xã Ea Yiêng"  # DonViXuLy: part of every PhienBan
CLIENT_ID = "e2e"
CLIENT_SECRET = "e2e-secret"
BIN = (sys.executable, "-m", "igate_sync")
REGISTER_FILE = "motcua.db"
STATE_FILE = "state.db"

CONFIG = """
[agency]
code = "{agency}"
name = "{agency_name}"
[upstream]
base_url = "{base_url}"
client_id = "{client_id}"
timeout_s = {timeout_s}
batch_size = {batch_size}
event_batch_size = {event_batch_size}
max_attempts = {max_attempts}
retries_per_minute = {retries_per_minute}
hold_s = {hold_s}
max_hold_s = {max_hold_s}
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///{register}"
chunk_rows = {chunk_rows}
"""


@dataclass(frozen=True)
class Tuning:
    """The knobs of one sync deployment under test (small, so that faults show quickly)."""

    chunk_rows: int = 50
    batch_size: int = 20
    event_batch_size: int = 100
    timeout_s: float = 1.0
    max_attempts: int = 3
    retries_per_minute: int = 600
    # The circuit breaker's own hold after a failed cycle (the gateway's Retry-After is kept
    # whatever this is): 0 so that a test's next run goes as soon as the gateway allows.
    hold_s: float = 0.0
    max_hold_s: float = 0.0


def simulator_settings(faults: FaultPlan | None = None) -> SimulatorSettings:
    """The gateway the harnesses push to: one client, the commune's agency."""
    clients = {CLIENT_ID: ClientSpec(secret=CLIENT_SECRET, agencies=(AGENCY,))}
    return SimulatorSettings(clients=clients, faults=faults or FaultPlan())


def make_commune(
    workdir: Path, base_url: str, *, dossiers: int, seed: int, tuning: Tuning = Tuning()
) -> Path:
    """A sample register with ``dossiers`` rows and a config pointing at ``base_url``."""
    engine = create_engine(f"sqlite:///{workdir / REGISTER_FILE}")
    create_register(engine)
    generate(engine, count=dossiers, seed=seed, agency_code=AGENCY)
    engine.dispose()
    config = workdir / "igate-sync.toml"
    text = CONFIG.format(
        agency=AGENCY,
        agency_name=AGENCY_NAME,
        base_url=base_url,
        client_id=CLIENT_ID,
        register=REGISTER_FILE,
        **vars(tuning),
    )
    config.write_text(text, encoding="utf-8")
    return config


def change_dossiers(workdir: Path, *, share: float, seed: int, now: datetime) -> int:
    """Handle every ``1/share``-th dossier at the desk (a new version and a new event each)."""
    engine = create_engine(f"sqlite:///{workdir / REGISTER_FILE}")
    with engine.connect() as conn:
        ids = list(conn.execute(select(register.ho_so.c.id).order_by(register.ho_so.c.id)))
    step = max(1, round(1 / share))
    chosen = [row.id for row in ids[seed % step :: step]]
    mutate(engine, ids=chosen, seed=seed, now=now)
    engine.dispose()
    return len(chosen)


def sync_env() -> dict[str, str]:
    """The environment of the CLI subprocess: the secret, and nothing else of ours."""
    return {"IGATE_UPSTREAM_CLIENT_SECRET": CLIENT_SECRET, "PATH": "/usr/bin:/bin"}


def spawn_sync(config: Path, stderr: IO[str]) -> subprocess.Popen[str]:
    """Start ``igate-sync --config F sync``, its log lines going to ``stderr`` (a file: a
    pipe nobody reads could fill up and stall the process)."""
    return subprocess.Popen(
        [*BIN, "--config", str(config), "sync"],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        env=sync_env(),
    )


class SyncFailed(AssertionError):
    """The CLI crashed or answered something other than 'done' (0) or 'run again' (1)."""


def check_exit(code: int, stderr: str) -> None:
    """Only 0 (done) and 1 (gateway unavailable, run again) are acceptable, never a traceback."""
    if code not in (0, 1) or "Traceback" in stderr:
        raise SyncFailed(f"sync exited {code}:\n{stderr[-4000:]}")


def sync_until_done(config: Path, *, max_runs: int = 40, timeout_s: float = 110.0) -> list[int]:
    """Run ``sync`` until it exits 0 (bounded); the exit code of every run."""
    codes: list[int] = []
    for _ in range(max_runs):
        done = subprocess.run(
            [*BIN, "--config", str(config), "sync"],
            capture_output=True,
            text=True,
            env=sync_env(),
            timeout=timeout_s,
            check=False,
        )
        check_exit(done.returncode, done.stderr)
        codes.append(done.returncode)
        if done.returncode == 0:
            return codes
    raise SyncFailed(f"sync did not finish in {max_runs} runs: exit codes {codes}")


def undelivered(workdir: Path) -> dict[str, dict[str, int]]:
    """Outbox items not delivered (pending, in flight or given up as dead), by kind and state:
    empty after a sync that exited 0 ("done")."""
    engine = create_state_engine(f"sqlite:///{workdir / STATE_FILE}")
    found: dict[str, dict[str, int]] = {}
    try:
        with engine.connect() as conn:
            for kind, table in (("dossiers", st.outbox_dossiers), ("events", st.outbox_events)):
                rows = conn.execute(
                    select(table.c.state, func.count())
                    .where(table.c.state.in_(("pending", "in_flight", "dead")))
                    .group_by(table.c.state)
                )
                states = {state: int(n) for state, n in rows}
                if states:
                    found[kind] = states
    finally:
        engine.dispose()
    return found


# --- What the source says the gateway must hold -----------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The latest version of every pushable dossier, and every event they carry."""

    versions: dict[str, str]  # MaHoSo → PhienBan
    events: frozenset[tuple[str, str]]  # (MaHoSo, STT)


def expected_at_source(workdir: Path) -> Expected:
    """Read the register through the real adapter, as tests/e2e/test_sync_end_to_end does."""
    from igate_sync.adapters.base import Agency
    from igate_sync.adapters.mot_cua import MotCuaAdapter

    engine = create_engine(f"sqlite:///{workdir / REGISTER_FILE}")
    adapter = MotCuaAdapter("motcua", engine, Agency(AGENCY, AGENCY_NAME))
    versions: dict[str, str] = {}
    events: set[tuple[str, str]] = set()
    try:
        for chunk in adapter.scan(500):
            for record in chunk:
                if record.kind != "dossier" or not record.ma_ho_so or not record.phien_ban:
                    continue
                assert record.ma_ho_so not in versions, f"two rows are {record.ma_ho_so}"
                versions[record.ma_ho_so] = record.phien_ban
                events.update((record.ma_ho_so, str(e["STT"])) for e in record.events)
    finally:
        adapter.close()
    return Expected(versions, frozenset(events))


# --- What the gateway recorded ----------------------------------------------------------------


@dataclass
class Audit:
    """Every breach of the contract's rules found in the simulator's store."""

    lost_versions: list[str] = field(default_factory=list)  # MaHoSo not at its latest
    double_effects: list[str] = field(default_factory=list)
    stale_overwrites: list[str] = field(default_factory=list)
    lost_events: list[str] = field(default_factory=list)
    double_events: list[str] = field(default_factory=list)
    early_requests: list[str] = field(default_factory=list)
    effects: int = 0
    stale_replies: int = 0

    def breaches(self) -> dict[str, list[str]]:
        """The non-empty lists of breaches, by rule."""
        found = {
            "lost_versions": self.lost_versions,
            "double_effects": self.double_effects,
            "stale_overwrites": self.stale_overwrites,
            "lost_events": self.lost_events,
            "double_events": self.double_events,
            "early_requests": self.early_requests,
        }
        return {rule: items for rule, items in found.items() if items}

    def message(self) -> str:
        """A failure message naming every rule broken, with a few examples each."""
        return "; ".join(
            f"{rule}: {len(items)} e.g. {items[:3]}" for rule, items in self.breaches().items()
        )


def audit(store: SimulatorStore, expected: Expected) -> Audit:
    """Check the simulator's store against what the source says it must hold."""
    effects = store.effects()
    result = Audit(effects=len(effects), stale_replies=store.counter("result", "dossier", "stale"))
    for ma_ho_so, phien_ban in sorted(expected.versions.items()):
        held = store.get_dossier(ma_ho_so)
        if held is None or held.get("PhienBan") != phien_ban:
            result.lost_versions.append(ma_ho_so)
    versions = [e for e in effects if e.kind in ("created", "updated")]
    result.double_effects = _doubles(versions)
    result.stale_overwrites = _regressions(versions)
    held_events = Counter((e.ma_ho_so, e.ref) for e in effects if e.kind == "event_created")
    result.lost_events = [f"{m}#{s}" for m, s in sorted(expected.events - set(held_events))]
    result.double_events = [f"{m}#{s}" for (m, s), n in held_events.items() if n > 1]
    result.early_requests = early_requests(store.requests_log())
    return result


def _doubles(versions: Sequence[Effect]) -> list[str]:
    applied = Counter((e.ma_ho_so, e.ref) for e in versions)
    created = Counter(e.ma_ho_so for e in versions if e.kind == "created")
    twice = [f"{m} {p[:12]} applied {n}x" for (m, p), n in applied.items() if n > 1]
    return twice + [f"{m} created {n}x" for m, n in created.items() if n > 1]


def _regressions(versions: Iterable[Effect]) -> list[str]:
    last: dict[str, str] = {}
    found = []
    for effect in versions:
        ma, ngay = effect.ma_ho_so, effect.ngay_cap_nhat
        if ma in last and ngay <= last[ma]:
            found.append(f"{ma} {ngay} after {last[ma]}")
        last[ma] = ngay
    return found


def early_requests(log: Sequence[RequestRecord]) -> list[str]:
    """Requests a client sent before a Retry-After deadline it had already been given.

    A deadline counts from the moment its reply left the gateway; a request counts when it
    arrived. Requests without a known client (the token endpoint) are held to every client's
    deadlines.
    """
    deadlines: defaultdict[str | None, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in log:
        if r.retry_after_until is not None and r.answered_at is not None:
            deadlines[r.client_id].append((r.answered_at, r.retry_after_until))
    found = []
    for q in log:
        given = (
            deadlines[q.client_id]
            if q.client_id is not None
            else [d for told in deadlines.values() for d in told]
        )
        for told_at, until in given:
            if told_at < q.received_at < until:
                early = (until - q.received_at).total_seconds()
                found.append(f"{q.path} {q.received_at:%H:%M:%S.%f} {early:.3f}s early")
                break
    return found
