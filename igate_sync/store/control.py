"""Small durable facts: the gateway's Retry-After deadline, cursors, sync runs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from igate_sync.store import tables as t

HOLD_UNTIL = "upstream.hold_until"


def get_value(engine: Engine, key: str) -> str | None:
    """A control value, or None."""
    with engine.connect() as conn:
        return conn.execute(select(t.control.c.value).where(t.control.c.key == key)).scalar()


def set_value(engine: Engine, key: str, value: str | None, now: datetime) -> None:
    """Set a control value."""
    with engine.begin() as conn:
        done = conn.execute(
            update(t.control).where(t.control.c.key == key).values(value=value, updated_at=now)
        )
        if done.rowcount == 0:
            conn.execute(insert(t.control).values(key=key, value=value, updated_at=now))


def hold_until(engine: Engine) -> datetime | None:
    """No request may go to the gateway before this time (Retry-After, kept across restarts)."""
    value = get_value(engine, HOLD_UNTIL)
    return datetime.fromisoformat(value) if value else None


def set_hold_until(engine: Engine, until: datetime | None, now: datetime) -> None:
    """Keep the gateway's Retry-After deadline."""
    set_value(engine, HOLD_UNTIL, until.isoformat() if until else None, now)


FAILURES = "upstream.failures"
PAUSED = "push.paused"


def paused(engine: Engine) -> bool:
    """Whether an operator paused pushing."""
    return get_value(engine, PAUSED) == "1"


def set_paused(engine: Engine, value: bool, now: datetime) -> None:
    """Pause or resume pushing (reading the sources goes on)."""
    set_value(engine, PAUSED, "1" if value else "0", now)


def record_failure(
    engine: Engine,
    not_before: datetime | None,
    now: datetime,
    *,
    base: timedelta,
    cap: timedelta,
) -> datetime:
    """The circuit opens: hold requests for a backoff that doubles with each failed cycle.

    The hold is never shorter than the gateway's own Retry-After deadline.
    """
    failures = int(get_value(engine, FAILURES) or 0) + 1
    backoff: timedelta = min(cap, base * (1 << min(failures - 1, 20)))
    until: datetime = max(now + backoff, not_before or now)
    set_value(engine, FAILURES, str(failures), now)
    set_hold_until(engine, until, now)
    return until


def record_success(engine: Engine, now: datetime) -> None:
    """The gateway answered: close the circuit."""
    if get_value(engine, FAILURES) not in (None, "0"):
        set_value(engine, FAILURES, "0", now)
        set_hold_until(engine, None, now)


def circuit_state(engine: Engine, now: datetime) -> str:
    """closed (all well), open (holding until a deadline) or half_open (next call probes)."""
    if int(get_value(engine, FAILURES) or 0) == 0:
        held = hold_until(engine)
        return "open" if held is not None and held > now else "closed"
    held = hold_until(engine)
    return "open" if held is not None and held > now else "half_open"


def extend_hold(engine: Engine, until: datetime, now: datetime) -> None:
    """Keep a Retry-After deadline the gateway just announced, never shortening a longer hold."""
    held = hold_until(engine)
    if held is None or held < until:
        set_hold_until(engine, until, now)


def load_cursor(engine: Engine, source: str) -> str | None:
    """A source's cursor, or None before its first read."""
    with engine.connect() as conn:
        return conn.execute(
            select(t.source_cursors.c.cursor).where(t.source_cursors.c.source == source)
        ).scalar()


def last_scan(engine: Engine, source: str) -> datetime | None:
    """When the content scan of a source last finished."""
    with engine.connect() as conn:
        return conn.execute(
            select(t.source_cursors.c.last_scan_at).where(t.source_cursors.c.source == source)
        ).scalar()


def mark_scanned(engine: Engine, source: str, now: datetime) -> None:
    """Record a finished content scan."""
    with engine.begin() as conn:
        done = conn.execute(
            update(t.source_cursors)
            .where(t.source_cursors.c.source == source)
            .values(last_scan_at=now, updated_at=now)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(t.source_cursors).values(source=source, last_scan_at=now, updated_at=now)
            )


def start_run(engine: Engine, run_id: str, source: str | None, now: datetime) -> None:
    """Record the start of a sync run."""
    with engine.begin() as conn:
        conn.execute(insert(t.sync_runs).values(run_id=run_id, source=source, started_at=now))


def finish_run(
    engine: Engine, run_id: str, outcome: str, summary: dict[str, Any], now: datetime
) -> None:
    """Record how a sync run ended."""
    with engine.begin() as conn:
        conn.execute(
            update(t.sync_runs)
            .where(t.sync_runs.c.run_id == run_id)
            .values(finished_at=now, outcome=outcome, summary=json.dumps(summary))
        )
