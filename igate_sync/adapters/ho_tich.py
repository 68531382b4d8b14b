"""The ho_tich_v1 adapter: the civil-status register, on any SQLAlchemy engine.

Change detection reads rows in ``(sua_luc, ma_yc)`` order strictly after the cursor: many
rows share one ``sua_luc`` (one trigger run stamps a whole batch), so the key breaks ties
and rows sharing a change time are neither lost nor read twice. Keys are compared and
ordered by the database itself, in the column's own collation, so the cursor stays
consistent whatever case the GUIDs are written in. The register keeps no child rows: one
query per chunk is all a read costs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Engine,
    Select,
    String,
    select,
    type_coerce,
)
from sqlalchemy.engine import RowMapping

from igate_sync.adapters.base import Agency, ChangeBatch, SourceRecord
from igate_sync.adapters.ho_tich_mapping import Procedure, map_row
from igate_sync.adapters.ho_tich_schema import hotich_yeu_cau as yc
from igate_sync.adapters.sql_stream import (
    after_cursor,
    change_time_expr,
    decode_cursor,
    encode_cursor,
    ping,
    stream_chunks,
)

_KEYS_PER_QUERY = 500


class HoTichAdapter:
    """Reads a ho_tich_v1 register."""

    def __init__(
        self, name: str, engine: Engine, agency: Agency, procedures: Mapping[str, Procedure]
    ) -> None:
        self.name = name
        self._engine = engine
        self._agency = agency
        self._procedures = dict(procedures)
        self._changed = change_time_expr(engine, yc.c.sua_luc)
        self._columns = _columns(engine)

    def read_changes(self, cursor: str | None, chunk: int) -> Iterator[ChangeBatch]:
        """Rows changed strictly after ``cursor``, streamed in (sua_luc, ma_yc) order."""
        query = self._rows().add_columns(self._changed.label("_changed"))
        if cursor is not None:
            query = query.where(
                after_cursor(self._engine, self._changed, yc.c.ma_yc, decode_cursor(cursor))
            )
        query = query.order_by(self._changed, yc.c.ma_yc)
        for rows in stream_chunks(self._engine, query, chunk):
            last = rows[-1]
            yield ChangeBatch(self._map(rows), encode_cursor(last["_changed"], last["ma_yc"]))

    def scan(self, chunk: int) -> Iterator[list[SourceRecord]]:
        """Every row in key order, streamed."""
        for rows in stream_chunks(self._engine, self._rows().order_by(yc.c.ma_yc), chunk):
            yield self._map(rows)

    def read_keys(self, keys: list[str]) -> list[SourceRecord]:
        """The rows with these GUIDs, as stored or typed all in lower or upper case."""
        # Each spelling is matched exactly, so the primary key's index serves the lookup.
        spellings = sorted({s for k in keys if k.strip() for s in _spellings(k.strip())})
        records: list[SourceRecord] = []
        for start in range(0, len(spellings), _KEYS_PER_QUERY):
            part = spellings[start : start + _KEYS_PER_QUERY]
            query = self._rows().where(yc.c.ma_yc.in_(part)).order_by(yc.c.ma_yc)
            for rows in stream_chunks(self._engine, query, _KEYS_PER_QUERY):
                records += self._map(rows)
        # A case-insensitive collation can match one row under two spellings in two queries.
        return list({r.source_key: r for r in records}.values())

    def ping(self) -> None:
        """Raise SourceUnavailable when the register cannot be reached."""
        ping(self._engine)

    def close(self) -> None:
        """Release connections."""
        self._engine.dispose()

    def _rows(self) -> Select[Any]:
        return select(*self._columns)

    def _map(self, rows: Sequence[RowMapping]) -> list[SourceRecord]:
        return [map_row(r, self._agency, self._procedures) for r in rows]


def _columns(engine: Engine) -> list[ColumnElement[Any]]:
    """The table's columns; on SQLite its times as the text they are stored as."""
    if engine.dialect.name != "sqlite":
        return list(yc.c)
    # Another program may have spelled a time any way: the mapping parses the text and
    # quarantines an unreadable one, where SQLAlchemy's own parsing would stop the read.
    return [
        type_coerce(c, String).label(c.name) if isinstance(c.type, DateTime | Date) else c
        for c in yc.c
    ]


def _spellings(key: str) -> tuple[str, str, str]:
    return (key, key.lower(), key.upper())
