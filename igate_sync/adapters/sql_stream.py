"""Streaming reads shared by the SQL adapters: bounded memory on every engine.

The main query streams over one connection (server-side cursor where the driver has one);
child rows are fetched per chunk over a second connection, because an unbuffered MySQL
cursor allows no other query on its connection until it is drained.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    exc,
    func,
    literal,
    literal_column,
    or_,
)
from sqlalchemy.engine import Connection, RowMapping

from igate_sync.errors import SourceUnavailable


def stream_chunks(engine: Engine, query: Select[Any], chunk: int) -> Iterator[Sequence[RowMapping]]:
    """Rows of ``query`` in lists of at most ``chunk``, never the whole result in memory."""
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=chunk).execute(query)
            try:
                yield from result.mappings().partitions(chunk)
            finally:
                # Drain and close the server-side cursor before its connection goes back.
                result.close()
    except exc.OperationalError as err:
        raise SourceUnavailable(f"source database: {type(err.orig).__name__}") from err


def children_by_parent(
    conn: Connection, query: Select[Any], parent_column: str
) -> dict[Any, list[RowMapping]]:
    """Child rows grouped by their parent key, in the query's order."""
    grouped: dict[Any, list[RowMapping]] = {}
    for row in conn.execute(query).mappings():
        grouped.setdefault(row[parent_column], []).append(row)
    return grouped


def change_time_expr(
    engine: Engine, column: ColumnElement[Any], default: datetime | None = None
) -> ColumnElement[Any]:
    """The sort value of a naive change-time column (NULL as ``default``) on this engine.

    Its constants are written into the SQL, not bound, so that an expression index on
    exactly this expression (README, "An index for the change time") can serve the
    cursor's range and order: an idle cycle then reads no table.
    """
    if engine.dialect.name == "sqlite":
        # SQLite keeps datetimes as text in whatever spelling the writer chose ('T' or space,
        # with or without fractions); strftime gives one spelling that sorts as time does.
        # Text it cannot read sorts first as '', so that a cursor never holds NULL.
        value = column
        if default is not None:
            value = func.coalesce(column, _sql_text(default.isoformat(sep=" ")))
        return func.coalesce(func.strftime(_sql_text("%Y-%m-%d %H:%M:%f"), value), _sql_text(""))
    if default is None:
        return column
    return func.coalesce(column, literal(default, column.type, literal_execute=True))


def _sql_text(value: str) -> ColumnElement[Any]:
    """A constant string literal, rendered inline (our own constants, never input)."""
    return literal_column("'" + value.replace("'", "''") + "'")


def after_cursor(
    engine: Engine, changed: ColumnElement[Any], key: ColumnElement[Any], cursor: tuple[Any, Any]
) -> ColumnElement[bool]:
    """Rows strictly after a decoded cursor in ``(changed, key)`` order: a later change
    time, or the same one and a greater key, so that rows sharing a time are neither lost
    nor read twice."""
    last_changed, last_key = cursor
    value = cursor_time_value(engine, last_changed)
    return or_(changed > value, and_(changed == value, key > last_key))


def cursor_time_value(engine: Engine, value: Any) -> Any:
    """A decoded cursor's change-time value, as ``change_time_expr`` compares it."""
    if engine.dialect.name == "sqlite":
        return value
    return datetime.fromisoformat(value)


def encode_cursor(changed: object, key: object) -> str:
    """A cursor as text: the change-time sort value and the key of the last row read."""
    value = changed.isoformat() if isinstance(changed, datetime) else changed
    return json.dumps([value, key], ensure_ascii=False)


def decode_cursor(cursor: str) -> tuple[Any, Any]:
    """The (change-time sort value, key) pair of a cursor."""
    changed, key = json.loads(cursor)
    return changed, key


def ping(engine: Engine) -> None:
    """Raise SourceUnavailable when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except exc.SQLAlchemyError as err:
        raise SourceUnavailable(f"source database: {type(err).__name__}") from err


MAX_INTEGER_KEY = 2**31 - 1  # SQL INTEGER: larger keys cannot exist in the column


def integer_keys(keys: list[str]) -> list[int]:
    """The keys that can be rows of an INTEGER key column; the others cannot match any row."""
    return [
        int(k)
        for k in keys
        if k.isascii() and k.isdigit() and 0 < len(k) <= 10 and int(k) <= MAX_INTEGER_KEY
    ]
