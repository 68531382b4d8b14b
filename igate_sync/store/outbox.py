"""The outbox's push side: batches out, verdicts in.

A batch is recorded (with its idempotency key and members) before it is sent. A batch still
``open`` after a crash or an unanswered request is sent again first, with the same key and
the same items in the same order, so the gateway can recognise the repeat. Payloads are
dropped once an item reaches a final state: the state store keeps no personal data it no
longer needs.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, and_, bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from igate_sync.store import tables as t
from igate_sync.upstream.base import ItemResult, PushKind, PushRequest

_CONFIRMS = frozenset({"created", "updated", "unchanged"})
_TABLES: dict[PushKind, Table] = {"dossiers": t.outbox_dossiers, "events": t.outbox_events}


@dataclass(frozen=True)
class Batch:
    """A batch recorded in the state store, ready to send (again)."""

    id: int
    request: PushRequest
    item_ids: tuple[int, ...]
    attempts: int


class Outbox:
    """Batches of pending items for the gateway, and what became of them."""

    def __init__(self, engine: Engine, ma_don_vi: str) -> None:
        self._engine = engine
        self._ma_don_vi = ma_don_vi

    def next_batch(self, kind: PushKind, limit: int, now: datetime) -> Batch | None:
        """The open batch left from before, else a new one of up to ``limit`` items."""
        with self._engine.begin() as conn:
            open_id = conn.execute(
                select(t.push_batches.c.id)
                .where(t.push_batches.c.kind == kind, t.push_batches.c.state == "open")
                .order_by(t.push_batches.c.id)
                .limit(1)
            ).scalar()
            if open_id is not None:
                return self._load(conn, kind, open_id)
            return self._new(conn, kind, limit, now)

    def record_results(
        self, batch: Batch, results: Sequence[ItemResult], now: datetime
    ) -> Counter[str]:
        """Apply the gateway's per-item verdicts and close the batch."""
        table = _TABLES[batch.request.kind]
        outcomes: Counter[str] = Counter()
        with self._engine.begin() as conn:
            updates = [
                _item_update(r, item_id) for item_id, r in zip(batch.item_ids, results, strict=True)
            ]
            conn.execute(
                update(table)
                .where(table.c.id == _b("b_id"))
                .values(attempts=table.c.attempts + 1, updated_at=now),
                updates,
            )
            if batch.request.kind == "dossiers":
                _confirm_dossiers(conn, batch, results, now)
            else:
                _forget_missing(conn, results)
            _close(conn, batch.id, "done", now)
        for r in results:
            outcomes["waiting" if r.waits_for_dossier else r.outcome] += 1
        return outcomes

    def record_unanswered(self, batch: Batch, error: str, now: datetime) -> None:
        """The batch may or may not have been applied: keep it open to repeat as it is."""
        with self._engine.begin() as conn:
            conn.execute(
                update(t.push_batches)
                .where(t.push_batches.c.id == batch.id)
                .values(attempts=t.push_batches.c.attempts + 1, last_error=error, updated_at=now)
            )

    def split(self, batch: Batch, now: datetime) -> None:
        """The gateway refused the size (nothing applied): release the items."""
        self._release(batch, "split", "pending", None, now)

    def fail(self, batch: Batch, error: str, now: datetime) -> None:
        """The gateway refused the envelope (a bug): park the items as dead."""
        self._release(batch, "failed", "dead", error, now)

    def _release(
        self, batch: Batch, batch_state: str, item_state: str, error: str | None, now: datetime
    ) -> None:
        table = _TABLES[batch.request.kind]
        with self._engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.batch_id == batch.id)
                .values(state=item_state, batch_id=None, last_error=error, updated_at=now)
            )
            _close(conn, batch.id, batch_state, now, error)

    def _new(self, conn: Connection, kind: PushKind, limit: int, now: datetime) -> Batch | None:
        table = _TABLES[kind]
        query = select(table.c.id).where(table.c.state == "pending", table.c.batch_id.is_(None))
        if kind == "events":
            confirmed = exists().where(t.gateway_dossiers.c.ma_ho_so == table.c.ma_ho_so)
            query = query.where(confirmed).order_by(table.c.ma_ho_so, table.c.stt)
        else:
            query = query.order_by(table.c.id)
        ids = list(conn.execute(query.limit(limit)).scalars())
        if not ids:
            return None
        key = uuid.uuid4().hex
        inserted = conn.execute(
            insert(t.push_batches).values(
                kind=kind,
                idempotency_key=key,
                state="open",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key
        assert inserted is not None
        batch_id = int(inserted[0])
        conn.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(batch_id=batch_id, state="in_flight", updated_at=now)
        )
        return self._load(conn, kind, batch_id)

    def _load(self, conn: Connection, kind: PushKind, batch_id: int) -> Batch:
        table = _TABLES[kind]
        head = conn.execute(select(t.push_batches).where(t.push_batches.c.id == batch_id)).one()
        order = (table.c.ma_ho_so, table.c.stt) if kind == "events" else (table.c.id,)
        rows = conn.execute(
            select(table.c.id, table.c.payload).where(table.c.batch_id == batch_id).order_by(*order)
        ).all()
        request = PushRequest(
            kind, head.idempotency_key, self._ma_don_vi, [r.payload for r in rows]
        )
        return Batch(batch_id, request, tuple(r.id for r in rows), head.attempts)


def _b(name: str) -> Any:
    return bindparam(name)


def _item_update(result: ItemResult, item_id: int) -> dict[str, Any]:
    if result.outcome in _CONFIRMS:
        state, error = "confirmed", None
    elif result.waits_for_dossier:
        state, error = "pending", "KHONG_TON_TAI"
    elif result.outcome == "stale":
        state, error = "stale", None
    else:
        state, error = (
            "rejected",
            json.dumps(
                [{"Truong": e.truong, "MoTa": e.mo_ta} for e in result.errors], ensure_ascii=False
            ),
        )
    keep = state == "pending"
    row: dict[str, Any] = {"b_id": item_id, "state": state, "last_error": error, "batch_id": None}
    if not keep:
        row["payload"] = None
    return row


def _confirm_dossiers(
    conn: Connection, batch: Batch, results: Sequence[ItemResult], now: datetime
) -> None:
    confirmed = {r.ma_ho_so: r for r in results if r.outcome in _CONFIRMS}
    if not confirmed:
        return
    c = t.outbox_dossiers.c
    versions = {
        row.ma_ho_so: row
        for row in conn.execute(
            select(c.ma_ho_so, c.phien_ban, c.ngay_cap_nhat).where(c.id.in_(batch.item_ids))
        )
    }
    g = t.gateway_dossiers.c
    held = set(conn.execute(select(g.ma_ho_so).where(g.ma_ho_so.in_(list(confirmed)))).scalars())
    rows = [
        {
            "b_ma": ma,
            "phien_ban": versions[ma].phien_ban,
            "ngay_cap_nhat": versions[ma].ngay_cap_nhat,
            "outcome": r.outcome,
            "confirmed_at": now,
        }
        for ma, r in confirmed.items()
    ]
    fresh = [r for r in rows if r["b_ma"] not in held]
    if fresh:
        conn.execute(insert(t.gateway_dossiers).values(ma_ho_so=_b("b_ma")), fresh)
    known = [r for r in rows if r["b_ma"] in held]
    if known:
        conn.execute(update(t.gateway_dossiers).where(and_(g.ma_ho_so == _b("b_ma"))), known)


def _forget_missing(conn: Connection, results: Sequence[ItemResult]) -> None:
    # The gateway says it lacks a dossier we believed confirmed: its events wait until the
    # dossier is confirmed again (a new version, a resync or a reconciliation repair).
    missing = {r.ma_ho_so for r in results if r.waits_for_dossier}
    if missing:
        conn.execute(delete(t.gateway_dossiers).where(t.gateway_dossiers.c.ma_ho_so.in_(missing)))


def _close(
    conn: Connection, batch_id: int, state: str, now: datetime, error: str | None = None
) -> None:
    conn.execute(
        update(t.push_batches)
        .where(t.push_batches.c.id == batch_id)
        .values(state=state, updated_at=now, last_error=error)
    )
