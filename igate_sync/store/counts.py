"""Read-only counts of the state store for metrics: one snapshot, read at scrape time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, func, select

from igate_sync.store import tables as t
from igate_sync.store.status import UNCONFIRMED


@dataclass(frozen=True)
class LastRun:
    """The latest finished run of one source (or group of sources run together)."""

    source: str
    finished_at: datetime
    duration_s: float


@dataclass
class StoreCounts:
    """What the metrics report about the state store."""

    source_rows: dict[tuple[str, str], int] = field(default_factory=dict)
    dossiers: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    confirmed_upstream: int = 0
    quarantine: dict[str, int] = field(default_factory=dict)
    oldest_unconfirmed_s: float | None = None
    last_runs: list[LastRun] = field(default_factory=list)


def read_counts(engine: Engine, now: datetime) -> StoreCounts:
    """Source rows by kind, outbox items by state, confirmed, quarantine, oldest, last runs."""
    counts = StoreCounts()
    with engine.connect() as conn:
        rows = t.source_rows.c
        query = select(rows.source, rows.kind, func.count()).group_by(rows.source, rows.kind)
        counts.source_rows = {(source, kind): n for source, kind, n in conn.execute(query)}
        counts.dossiers = _by_state(conn, t.outbox_dossiers)
        counts.events = _by_state(conn, t.outbox_events)
        counts.confirmed_upstream = conn.execute(
            select(func.count()).select_from(t.gateway_dossiers)
        ).scalar_one()
        reason = t.quarantine.c.reason
        counts.quarantine = dict(conn.execute(select(reason, func.count()).group_by(reason)).all())
        counts.oldest_unconfirmed_s = _oldest_unconfirmed(conn, now)
        counts.last_runs = _last_finished_runs(conn)
    return counts


def _by_state(conn: Connection, table: Table) -> dict[str, int]:
    query = select(table.c.state, func.count()).group_by(table.c.state)
    return dict(conn.execute(query).all())


def _oldest_unconfirmed(conn: Connection, now: datetime) -> float | None:
    # Events count too: an event stuck behind its confirmed dossier is unconfirmed work.
    oldest: list[datetime] = []
    for table in (t.outbox_dossiers, t.outbox_events):
        found = conn.execute(
            select(func.min(table.c.created_at)).where(table.c.state.in_(UNCONFIRMED))
        ).scalar()
        if found is not None:  # min() keeps the column type: an aware UTC datetime
            oldest.append(found)
    return max(0.0, (now - min(oldest)).total_seconds()) if oldest else None


def _last_finished_runs(conn: Connection) -> list[LastRun]:
    runs = t.sync_runs.c
    latest = (
        select(runs.source, func.max(runs.id).label("id"))
        .where(runs.finished_at.is_not(None))
        .group_by(runs.source)
        .subquery()
    )
    query = select(runs.source, runs.started_at, runs.finished_at).join(
        latest, runs.id == latest.c.id
    )
    return [
        LastRun(
            source or "",
            finished,
            max(0.0, (finished - started).total_seconds()),
        )
        for source, started, finished in conn.execute(query.order_by(runs.source))
    ]
