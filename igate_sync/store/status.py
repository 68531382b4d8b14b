"""What the state store holds, for `status`, health checks and metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from igate_sync.store import tables as t
from igate_sync.store.control import circuit_state, hold_until

UNCONFIRMED = ("pending", "in_flight")


@dataclass
class StoreStatus:
    """A snapshot of the queue, quarantine and runs."""

    dossiers: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    oldest_unconfirmed_s: float | None = None
    quarantine: dict[str, int] = field(default_factory=dict)
    confirmed_upstream: int = 0
    hold_until: str | None = None
    circuit: str = "closed"
    last_runs: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "queue": {"dossiers": self.dossiers, "events": self.events},
            "oldest_unconfirmed_age_s": self.oldest_unconfirmed_s,
            "quarantine": self.quarantine,
            "quarantine_total": sum(self.quarantine.values()),
            "confirmed_upstream": self.confirmed_upstream,
            "upstream_hold_until": self.hold_until,
            "circuit": self.circuit,
            "last_runs": self.last_runs,
        }


def outbox_usage(engine: Engine) -> tuple[int, int]:
    """Unconfirmed items in the outbox (dossier versions and events) and their payload size."""
    rows = size = 0
    with engine.connect() as conn:
        for table in (t.outbox_dossiers, t.outbox_events):
            n, chars = conn.execute(
                select(
                    func.count(), func.coalesce(func.sum(func.length(table.c.payload)), 0)
                ).where(table.c.state.in_(UNCONFIRMED))
            ).one()
            rows, size = rows + int(n), size + int(chars)
    return rows, size


def read_status(engine: Engine, now: datetime) -> StoreStatus:
    """Queue depth by state, oldest unconfirmed age, quarantine by reason, last runs."""
    status = StoreStatus()
    with engine.connect() as conn:
        for table, target in (
            (t.outbox_dossiers, status.dossiers),
            (t.outbox_events, status.events),
        ):
            query = select(table.c.state, func.count()).group_by(table.c.state)
            target.update({state: n for state, n in conn.execute(query)})
        oldest = conn.execute(
            select(func.min(t.outbox_dossiers.c.created_at)).where(
                t.outbox_dossiers.c.state.in_(UNCONFIRMED)
            )
        ).scalar()
        if oldest is not None:  # min() keeps the column type: an aware UTC datetime
            status.oldest_unconfirmed_s = max(0.0, (now - oldest).total_seconds())
        query = select(t.quarantine.c.reason, func.count()).group_by(t.quarantine.c.reason)
        status.quarantine = {reason: n for reason, n in conn.execute(query)}
        status.confirmed_upstream = conn.execute(
            select(func.count()).select_from(t.gateway_dossiers)
        ).scalar_one()
        status.last_runs = _last_runs(conn)
    held = hold_until(engine)
    status.hold_until = held.isoformat() if held and held > now else None
    status.circuit = circuit_state(engine, now)
    return status


def _last_runs(conn: Any) -> list[dict[str, Any]]:
    runs = t.sync_runs.c
    latest = select(runs.source, func.max(runs.id).label("id")).group_by(runs.source).subquery()
    query = select(t.sync_runs).join(latest, runs.id == latest.c.id).order_by(runs.source)
    return [
        {
            "source": row.source,
            "run_id": row.run_id,
            "started_at": row.started_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "outcome": row.outcome,
            "summary": json.loads(row.summary) if row.summary else None,
        }
        for row in conn.execute(query)
    ]
