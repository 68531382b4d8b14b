"""Listings an operator acts on: quarantined rows, data-quality findings, dead items.

They hold codes, source keys, dossier codes and value shapes: never personal data.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from sqlalchemy import Engine, null, select

from igate_sync.store import tables as t


def quarantine_rows(
    engine: Engine, *, reason: str | None = None, source: str | None = None
) -> Generator[dict[str, Any], None, None]:
    """Quarantined source rows, oldest first, streamed."""
    q = t.quarantine.c
    query = select(t.quarantine).order_by(q.first_seen_at, q.source, q.source_key)
    if reason is not None:
        query = query.where(q.reason == reason)
    if source is not None:
        query = query.where(q.source == source)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=500).execute(query).mappings():
            yield {
                "source": row["source"],
                "source_key": row["source_key"],
                "ma_ho_so": row["ma_ho_so"],
                "reason": row["reason"],
                "field": row["field"],
                "value_shape": row["value_shape"],
                "first_seen_at": row["first_seen_at"].isoformat(),
                "last_seen_at": row["last_seen_at"].isoformat(),
            }


def finding_rows(engine: Engine, *, code: str | None = None) -> Iterator[dict[str, Any]]:
    """Data-quality findings on pushed dossiers, streamed."""
    f = t.findings.c
    query = select(t.findings).order_by(f.code, f.source, f.source_key)
    if code is not None:
        query = query.where(f.code == code)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=500).execute(query).mappings():
            yield {
                "code": row["code"],
                "source": row["source"],
                "source_key": row["source_key"],
                "ma_ho_so": row["ma_ho_so"],
                "field": row["field"],
                "first_seen_at": row["first_seen_at"].isoformat(),
            }


def dead_items(engine: Engine, *, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` items the sync gave up on (dossier versions, then events), most recent
    first: what, when it was queued and given up on, and the last error (an HTTP status or a
    gateway's error code)."""
    found: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for kind, table in (("dossier", t.outbox_dossiers), ("event", t.outbox_events)):
            c = table.c
            stt = c.stt if kind == "event" else null()
            query = (
                select(
                    c.source, c.ma_ho_so, stt.label("stt"), c.last_error, c.created_at, c.updated_at
                )
                .where(c.state == "dead")
                .order_by(c.updated_at.desc(), c.id.desc())
                .limit(limit - len(found))
            )
            found += [
                {**row, "kind": kind, "created_at": row["created_at"].isoformat(),
                 "updated_at": row["updated_at"].isoformat()}
                for row in conn.execute(query).mappings()
            ]  # fmt: skip
            if len(found) >= limit:
                break
    return found
