"""The mot_cua_v1 adapter: the one-stop desk register, on any SQLAlchemy engine.

Change detection reads rows in ``(coalesce(ngay_cap_nhat, 1900-01-01), id)`` order strictly
after the cursor, so rows sharing a change time are neither lost nor read twice. Rows whose
``ngay_cap_nhat`` is NULL or not bumped (child-row edits) are found by the content scan.
On SQLite the change time is compared as ``strftime('%Y-%m-%d %H:%M:%f')`` text, so that a
legacy file's own datetime spelling (with or without fractions, ``T`` or space) sorts right.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.engine import RowMapping

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.adapters.base import Agency, ChangeBatch, SourceRecord
from igate_sync.adapters.mot_cua_mapping import map_row
from igate_sync.adapters.sql_stream import (
    after_cursor,
    change_time_expr,
    children_by_parent,
    decode_cursor,
    encode_cursor,
    integer_keys,
    ping,
    stream_chunks,
)

_EPOCH = datetime(1900, 1, 1)  # noqa: DTZ001 - the source column is naive local time


class MotCuaAdapter:
    """Reads a mot_cua_v1 register."""

    def __init__(self, name: str, engine: Engine, agency: Agency) -> None:
        self.name = name
        self._engine = engine
        self._agency = agency
        self._changed = change_time_expr(engine, t.ho_so.c.ngay_cap_nhat, _EPOCH)

    def read_changes(self, cursor: str | None, chunk: int) -> Iterator[ChangeBatch]:
        """Rows changed strictly after ``cursor``, streamed in cursor order."""
        query = self._rows().add_columns(self._changed.label("_changed"))
        if cursor is not None:
            query = query.where(
                after_cursor(self._engine, self._changed, t.ho_so.c.id, decode_cursor(cursor))
            )
        query = query.order_by(self._changed, t.ho_so.c.id)
        for rows in stream_chunks(self._engine, query, chunk):
            last = rows[-1]
            yield ChangeBatch(self._map(rows), encode_cursor(last["_changed"], last["id"]))

    def scan(self, chunk: int) -> Iterator[list[SourceRecord]]:
        """Every row in key order, streamed."""
        for rows in stream_chunks(self._engine, self._rows().order_by(t.ho_so.c.id), chunk):
            yield self._map(rows)

    def read_keys(self, keys: list[str]) -> list[SourceRecord]:
        """The rows with these ids."""
        ids = integer_keys(keys)
        query = self._rows().where(t.ho_so.c.id.in_(ids)).order_by(t.ho_so.c.id)
        return [r for rows in stream_chunks(self._engine, query, 500) for r in self._map(rows)]

    def ping(self) -> None:
        """Raise SourceUnavailable when the register cannot be reached."""
        ping(self._engine)

    def close(self) -> None:
        """Release connections."""
        self._engine.dispose()

    def _rows(self) -> Select[Any]:
        procedure = t.thu_tuc.outerjoin(
            t.linh_vuc, t.thu_tuc.c.ma_linh_vuc == t.linh_vuc.c.ma_linh_vuc
        )
        return select(
            t.ho_so,
            t.thu_tuc.c.ma_tthc,
            t.thu_tuc.c.ten_tthc,
            t.thu_tuc.c.muc_do,
            t.linh_vuc.c.ma_linh_vuc,
            t.linh_vuc.c.ten_linh_vuc,
        ).select_from(t.ho_so.outerjoin(procedure, t.ho_so.c.thu_tu_id == t.thu_tuc.c.id))

    def _map(self, rows: Sequence[RowMapping]) -> list[SourceRecord]:
        ids = [r["id"] for r in rows]
        with self._engine.connect() as conn:
            docs = children_by_parent(conn, _children(t.giay_to_nop, ids), "ho_so_id")
            fees = children_by_parent(conn, _children(t.le_phi, ids), "ho_so_id")
            steps = children_by_parent(
                conn, _children(t.qua_trinh_xu_ly, ids, t.qua_trinh_xu_ly.c.thu_tu), "ho_so_id"
            )
        return [
            map_row(
                r,
                self._agency,
                documents=docs.get(r["id"], ()),
                fees=fees.get(r["id"], ()),
                steps=steps.get(r["id"], ()),
            )
            for r in rows
        ]


def _children(table: Any, ids: list[Any], order: Any = None) -> Select[Any]:
    return (
        select(table)
        .where(table.c.ho_so_id.in_(ids))
        .order_by(table.c.ho_so_id, order if order is not None else table.c.id, table.c.id)
    )
