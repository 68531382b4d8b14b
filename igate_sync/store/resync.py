"""Operator resync requests: stored, picked up, and what they select.

A request is a row in the state database, so that a running daemon picks it up at once and
the record of who asked, when and why stays beside the versions it enqueued (their
``resync_id``). Results hold codes and counts, never personal data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, exists, insert, or_, select, update

from igate_sync.store import tables as t


@dataclass(frozen=True)
class ResyncSpec:
    """What to send again. Empty selectors and no flags select nothing."""

    dossiers: tuple[str, ...] = ()
    since: str | None = None  # wire time yyyyMMddHHmmss, inclusive
    until: str | None = None  # wire time, exclusive
    quarantined: bool = False
    rejected: bool = False
    source: str | None = None

    def as_json(self) -> str:
        """Stored form."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ResyncSpec:
        """Read back the stored form."""
        data = json.loads(text)
        data["dossiers"] = tuple(data.get("dossiers") or ())
        return cls(**data)


@dataclass(frozen=True)
class StoredResync:
    """A request as stored."""

    id: int
    spec: ResyncSpec
    dry_run: bool
    requested_by: str
    reason: str


def submit(
    engine: Engine,
    spec: ResyncSpec,
    *,
    dry_run: bool,
    requested_by: str,
    reason: str,
    now: datetime,
    running: bool = False,
) -> int:
    """Store a request (``running`` when the caller carries it out itself); its id."""
    with engine.begin() as conn:
        inserted = conn.execute(
            insert(t.resync_requests).values(
                requested_at=now,
                requested_by=requested_by,
                reason=reason,
                spec=spec.as_json(),
                dry_run=dry_run,
                state="running" if running else "pending",
            )
        ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def take_pending(engine: Engine) -> StoredResync | None:
    """The oldest pending request, marked running."""
    r = t.resync_requests.c
    with engine.begin() as conn:
        row = conn.execute(
            select(t.resync_requests).where(r.state == "pending").order_by(r.id).limit(1)
        ).first()
        if row is None:
            return None
        conn.execute(update(t.resync_requests).where(r.id == row.id).values(state="running"))
    return StoredResync(
        row.id, ResyncSpec.from_json(row.spec), row.dry_run, row.requested_by, row.reason
    )


def finish(
    engine: Engine, request_id: int, result: dict[str, Any], now: datetime, *, failed: bool = False
) -> None:
    """Record the outcome of a request."""
    with engine.begin() as conn:
        conn.execute(
            update(t.resync_requests)
            .where(t.resync_requests.c.id == request_id)
            .values(
                state="failed" if failed else "done", result=json.dumps(result), finished_at=now
            )
        )


def outcome(engine: Engine, request_id: int) -> tuple[str, dict[str, Any] | None]:
    """A request's state and result."""
    r = t.resync_requests.c
    with engine.connect() as conn:
        row = conn.execute(select(r.state, r.result).where(r.id == request_id)).one()
    return row.state, json.loads(row.result) if row.result else None


def selected_rows(engine: Engine, spec: ResyncSpec, source: str) -> list[dict[str, Any]]:
    """The source rows a request selects in one source, with why they are there now."""
    rows = t.source_rows.c
    conditions: list[Any] = []
    if spec.dossiers:
        conditions.append(rows.ma_ho_so.in_(spec.dossiers))
    if spec.since or spec.until:
        conditions.append(or_(_window(rows.received_at, spec), _window(rows.ngay_cap_nhat, spec)))
    if spec.quarantined:
        conditions.append(rows.kind == "quarantined")
    if spec.rejected:
        conditions.append(
            exists().where(
                and_(
                    t.outbox_dossiers.c.ma_ho_so == rows.ma_ho_so,
                    t.outbox_dossiers.c.phien_ban == rows.phien_ban,
                    t.outbox_dossiers.c.state == "rejected",
                )
            )
        )
    if not conditions:
        return []
    query = (
        select(rows.source_key, rows.ma_ho_so, rows.kind, t.quarantine.c.reason)
        .outerjoin(
            t.quarantine,
            and_(
                t.quarantine.c.source == rows.source, t.quarantine.c.source_key == rows.source_key
            ),
        )
        .where(rows.source == source, or_(*conditions))
        .order_by(rows.source_key)
    )
    with engine.connect() as conn:
        return [
            {"source_key": r.source_key, "ma_ho_so": r.ma_ho_so, "now": r.reason or r.kind}
            for r in conn.execute(query)
        ]


def _window(column: Any, spec: ResyncSpec) -> Any:
    parts = []
    if spec.since:
        parts.append(column >= spec.since)
    if spec.until:
        parts.append(column < spec.until)
    return and_(column.is_not(None), *parts)
