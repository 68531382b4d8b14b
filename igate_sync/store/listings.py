"""Listings an operator acts on: quarantined rows and data-quality findings.

They hold codes, source keys, dossier codes and value shapes: never personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select

from igate_sync.store import tables as t


def quarantine_rows(
    engine: Engine, *, reason: str | None = None, source: str | None = None
) -> Iterator[dict[str, Any]]:
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
