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
from datetime import datetime, timedelta
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
    created_at: datetime


class Outbox:
    """Batches of pending items for the gateway, and what became of them."""

    def __init__(self, engine: Engine, ma_don_vi: str) -> None:
        self._engine = engine
        self._ma_don_vi = ma_don_vi

    def next_batch(
        self,
        kind: PushKind,
        limit: int,
        now: datetime,
        *,
        healthy: bool = False,
        skip: frozenset[int] = frozenset(),
        fallback: bool = True,
    ) -> Batch | None:
        """The batch to send next: an open one left from before, else a new one.

        An open batch that never got an answer is repeated first, as it is. One that already
        failed is repeated first only once the gateway has answered something this cycle
        (``healthy``); until then a new batch of other items goes first, as a probe, so that
        a batch the gateway keeps failing cannot block the rest of the queue. With nothing new
        to probe with, the failed batch (or an item set apart from one) goes, unless
        ``fallback`` is False: more work is on its way, wait for it.
        """
        with self._engine.begin() as conn:
            b = t.push_batches.c
            query = select(b.id, b.attempts).where(b.kind == kind, b.state == "open")
            if skip:
                query = query.where(b.id.not_in(skip))
            first = conn.execute(query.order_by(b.id).limit(1)).first()
            if first is not None and (healthy or first.attempts == 0):
                return self._load(conn, kind, first.id)
            new = self._new(conn, kind, limit, now, isolated=fallback)
            if new is None and first is not None and fallback:
                return self._load(conn, kind, first.id)
            return new

    def isolate(
        self,
        batch: Batch,
        error: str,
        now: datetime,
        *,
        dead_after: int,
        dead_after_age: timedelta = timedelta(0),
    ) -> bool:
        """The gateway fails this batch while it answers others: find the item to blame.

        A batch of several items is split: each goes alone from now on. A single item that
        keeps failing so ``dead_after`` times goes to ``dead`` (``retry-dead`` brings it back).
        Splitting is safe after an unanswered request: the gateway applies a version once
        whatever the key, and answers ``unchanged`` to a repeat. Returns True when an item died.
        """
        table = _TABLES[batch.request.kind]
        b = t.push_batches.c
        with self._engine.begin() as conn:
            if len(batch.item_ids) > 1:
                conn.execute(
                    update(table)
                    .where(table.c.batch_id == batch.id)
                    .values(state="pending", batch_id=None, isolate=True, updated_at=now)
                )
                _close(conn, batch.id, "split", now, error)
                return False
            failures = conn.execute(
                select(b.selective_failures).where(b.id == batch.id)
            ).scalar_one()
            conn.execute(
                update(t.push_batches)
                .where(b.id == batch.id)
                .values(selective_failures=failures + 1, updated_at=now)
            )
            # Transient trouble must not kill an item: only a batch failing alone this many
            # times AND for this long is given up on (retry-dead brings it back).
            if failures + 1 < dead_after or now - batch.created_at < dead_after_age:
                return False
        self._release(batch, "failed", "dead", error, now)
        return True

    def retry_dead(self, now: datetime) -> int:
        """Give every dead item another chance, alone in its batch; how many."""
        revived = 0
        with self._engine.begin() as conn:
            for table in _TABLES.values():
                done = conn.execute(
                    update(table)
                    .where(table.c.state == "dead")
                    .values(state="pending", isolate=True, last_error=None, updated_at=now)
                )
                revived += done.rowcount
        return revived

    def record_results(
        self, batch: Batch, results: Sequence[ItemResult], now: datetime
    ) -> Counter[str]:
        """Apply the gateway's per-item verdicts and close the batch."""
        table = _TABLES[batch.request.kind]
        outcomes: Counter[str] = Counter()
        with self._engine.begin() as conn:
            confirmed: list[int] = []
            updates: list[dict[str, Any]] = []
            for item_id, r in zip(batch.item_ids, results, strict=True):
                if r.outcome in _CONFIRMS:
                    confirmed.append(item_id)
                else:
                    updates.append(_item_update(r, item_id))
            if confirmed:  # the usual case, one statement for all of them
                conn.execute(
                    update(table)
                    .where(table.c.id.in_(confirmed))
                    .values(
                        state="confirmed",
                        last_error=None,
                        batch_id=None,
                        payload=None,
                        attempts=table.c.attempts + 1,
                        updated_at=now,
                    )
                )
            if updates:
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

    def _new(
        self, conn: Connection, kind: PushKind, limit: int, now: datetime, *, isolated: bool
    ) -> Batch | None:
        """A batch of pending items; an isolated item (alone) only when there are none, and
        when ``isolated`` allows."""
        ids = self._pick(conn, kind, limit, isolated=False)
        if not ids and isolated:
            ids = self._pick(conn, kind, 1, isolated=True)
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
        table = _TABLES[kind]
        conn.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(batch_id=batch_id, state="in_flight", updated_at=now)
        )
        return self._load(conn, kind, batch_id)

    def _pick(self, conn: Connection, kind: PushKind, limit: int, *, isolated: bool) -> list[int]:
        table = _TABLES[kind]
        query = select(table.c.id).where(
            table.c.state == "pending", table.c.batch_id.is_(None), table.c.isolate.is_(isolated)
        )
        if kind == "events":
            confirmed = exists().where(t.gateway_dossiers.c.ma_ho_so == table.c.ma_ho_so)
            query = query.where(confirmed).order_by(table.c.ma_ho_so, table.c.stt)
        else:
            query = query.order_by(table.c.id)
        return list(conn.execute(query.limit(limit)).scalars())

    def _load(self, conn: Connection, kind: PushKind, batch_id: int) -> Batch:
        table = _TABLES[kind]
        head = conn.execute(select(t.push_batches).where(t.push_batches.c.id == batch_id)).one()
        order = (table.c.ma_ho_so, table.c.stt) if kind == "events" else (table.c.id,)
        ref = table.c.stt if kind == "events" else table.c.phien_ban
        rows = conn.execute(
            select(table.c.id, table.c.payload, table.c.ma_ho_so, ref.label("ref"))
            .where(table.c.batch_id == batch_id)
            .order_by(*order)
        ).all()
        request = PushRequest(
            kind,
            head.idempotency_key,
            self._ma_don_vi,
            [r.payload for r in rows],
            refs=[(r.ma_ho_so, str(r.ref)) for r in rows],
        )
        return Batch(batch_id, request, tuple(r.id for r in rows), head.attempts, head.created_at)


def _b(name: str) -> Any:
    return bindparam(name)


def _item_update(result: ItemResult, item_id: int) -> dict[str, Any]:
    """The row update of an item the gateway did not confirm (those go in one statement)."""
    if result.waits_for_dossier:
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
