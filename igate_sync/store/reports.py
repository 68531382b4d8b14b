"""Reconciliation reports kept in the state database: saved once, never changed.

The body is the report's JSON (codes and counts only); ``period_*``, ``source_filter`` and
``synced_ratio`` are copied beside it so that a listing and the daily chart need not parse it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from igate_sync.normalize import VN_TZ
from igate_sync.store import tables as t

# How far back a report's chart of daily synced ratios looks.
CHART_DAYS = timedelta(days=90)


@dataclass(frozen=True)
class StoredReport:
    """One row of the listing: what a report covered and its synced ratio."""

    id: int
    generated_at: datetime
    period_since: str | None
    period_until: str | None
    source_filter: str | None
    synced_ratio: float

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "generated_at": self.generated_at.astimezone(VN_TZ).isoformat(timespec="seconds"),
            "period_since": self.period_since,
            "period_until": self.period_until,
            "source_filter": self.source_filter,
            "synced_ratio": self.synced_ratio,
        }


def save_report(
    engine: Engine,
    body: dict[str, Any],
    *,
    generated_at: datetime,
    period: tuple[str | None, str | None],
    source_filter: str | None,
    synced_ratio: float,
) -> int:
    """Append a report; its id."""
    with engine.begin() as conn:
        inserted = conn.execute(
            insert(t.reports).values(
                generated_at=generated_at,
                period_since=period[0],
                period_until=period[1],
                source_filter=source_filter,
                synced_ratio=synced_ratio,
                body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            )
        ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def load_report(engine: Engine, report_id: int | None = None) -> dict[str, Any] | None:
    """A stored report's JSON with its ``id`` (the latest when ``report_id`` is None)."""
    r = t.reports.c
    query = select(r.id, r.body)
    query = query.where(r.id == report_id) if report_id is not None else query
    with engine.connect() as conn:
        row = conn.execute(query.order_by(r.id.desc()).limit(1)).first()
    if row is None:
        return None
    body: dict[str, Any] = json.loads(row.body)
    return {"id": row.id, **body}


def list_reports(engine: Engine, limit: int = 50) -> list[StoredReport]:
    """The latest ``limit`` reports, newest first."""
    r = t.reports.c
    query = (
        select(
            r.id, r.generated_at, r.period_since, r.period_until, r.source_filter, r.synced_ratio
        )
        .order_by(r.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [StoredReport(*row) for row in conn.execute(query)]


def daily_ratios(
    engine: Engine, *, until: datetime, since: datetime, source_filter: str | None
) -> list[tuple[str, float]]:
    """The synced ratio of the last report of each local day in ``[since, until]``, in order.

    Only reports over the same sources count (a ``--source`` run is not the whole commune).
    """
    return list(_last_per_day(_ratios(engine, since, until, source_filter)))


def report_chart(engine: Engine, body: dict[str, Any]) -> list[tuple[str, float]]:
    """The daily synced ratios of the CHART_DAYS up to a stored report, its own included
    (its ``generated_at`` is written to the second, the column keeps the microseconds)."""
    at = datetime.fromisoformat(body["generated_at"])
    return daily_ratios(
        engine,
        since=at - CHART_DAYS,
        until=at + timedelta(seconds=1),
        source_filter=body.get("source_filter"),
    )


def _ratios(
    engine: Engine, since: datetime, until: datetime, source_filter: str | None
) -> Iterator[tuple[datetime, float]]:
    r = t.reports.c
    same = r.source_filter.is_(None) if source_filter is None else r.source_filter == source_filter
    query = (
        select(r.generated_at, r.synced_ratio)
        .where(same, r.generated_at >= since, r.generated_at <= until)
        .order_by(r.generated_at, r.id)
    )
    with engine.connect() as conn:
        for row in conn.execute(query):
            yield row.generated_at, row.synced_ratio


def _last_per_day(points: Iterator[tuple[datetime, float]]) -> Iterator[tuple[str, float]]:
    day, ratio = "", 0.0
    for at, value in points:
        today = at.astimezone(VN_TZ).date().isoformat()
        if day and today != day:
            yield day, ratio
        day, ratio = today, value
    if day:
        yield day, ratio
