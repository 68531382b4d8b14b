"""The declarative `mapping` adapter: any register a ``MappingSpec`` describes, no new code.

The spec's query (or table) becomes a subquery, of which only the columns the spec names are
read; keys and cursor values always travel as bound parameters. Change detection reads rows
in ``(coalesce(change_time, 1900-01-01), key)`` order strictly after the cursor, like the
mot_cua_v1 adapter (by key alone when the spec has no change-time column). Each row is
mapped by the precedence of commune-schemas/README.md: a soft-deleted row is only
"deleted", else a row without a dossier code is only a "draft", else the first rule broken
in the field order of the spec gives the one quarantine reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    FromClause,
    Integer,
    Select,
    String,
    column,
    exc,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.types import TypeEngine

from igate_sync.adapters.base import Agency, ChangeBatch, Finding, SourceRecord
from igate_sync.adapters.mapping_spec import (
    LISTS,
    ChildListSpec,
    EventFieldSpec,
    EventsSpec,
    FieldSpec,
    ItemFieldSpec,
    MappingSpec,
    NotBefore,
    field_columns,
)
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
from igate_sync.adapters.transforms import (
    TRANSFORMS,
    Context,
    Decoder,
    Quarantine,
    Transform,
    check_content,
    db_timestamp,
    dossier_record,
    folded_table,
    legacy_decoder,
    not_before,
    quarantined_record,
    sendable_event,
)
from igate_sync.errors import ConfigError
from igate_sync.schemas import DossierContent

Row = Mapping[Any, Any]
Children = Mapping[str, Sequence[Row]]

_EPOCH = datetime(1900, 1, 1)  # noqa: DTZ001 - change-time columns hold naive local time
_CHANGED = "_changed"
_EVENTS = "events"
_READ_KEYS_CHUNK = 500


def _same(value: Any) -> Any:
    return value


# --- Rules: the spec's fields, ready to apply -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """One wire field: where its value is read, and how it becomes the wire value."""

    wire: str
    column: str | None
    transform: Transform
    context: Context
    decode: bool
    default: str
    required: bool
    not_before: NotBefore | None = None
    finding: str | None = None

    def raw(self, row: Row) -> Any:
        """The source value, as read."""
        return row[self.column] if self.column is not None else None

    def value(self, row: Row, decode: Decoder, findings: list[Finding]) -> Any:
        """The wire value; Quarantine when a rule is broken."""
        raw = self.raw(row)
        result = self.transform(decode(raw) if self.decode else raw, self.context, findings)
        if result is None or result == "":
            if self.required:
                raise Quarantine(self.context.why("missing_value"), self.context.column, raw)
            return self.default
        return result


def _rule(
    wire: str,
    spec: FieldSpec | ItemFieldSpec | EventFieldSpec,
    agency: Agency,
    prefix: str = "",
) -> _Rule:
    where = f"{prefix}{spec.column}" if spec.column is not None else wire
    context = Context(
        column=where,
        agency=agency,
        reason=spec.reason if isinstance(spec, ItemFieldSpec) else None,
        required=spec.required,
        table=folded_table(spec.table or {}),
        constant=spec.constant,
    )
    return _Rule(
        wire=wire,
        column=spec.column,
        transform=TRANSFORMS[spec.transform],
        context=context,
        decode=spec.decode,
        default=spec.default if spec.default is not None else "",
        required=spec.required,
        not_before=spec.not_before if isinstance(spec, FieldSpec) else None,
        finding=spec.finding if isinstance(spec, EventFieldSpec) else None,
    )


def _rules(
    fields: Mapping[str, FieldSpec | ItemFieldSpec | EventFieldSpec], agency: Agency, prefix: str
) -> tuple[_Rule, ...]:
    return tuple(_rule(wire, spec, agency, prefix) for wire, spec in fields.items())


def _apply(
    rules: Sequence[_Rule], row: Row, decode: Decoder, findings: list[Finding]
) -> dict[str, Any]:
    """Every field in spec order: the first broken rule raises Quarantine."""
    out: dict[str, Any] = {}
    for rule in rules:
        value = rule.value(row, decode, findings)
        if rule.not_before is not None:
            earlier = out.get(rule.not_before.field)
            not_before(
                value,
                earlier,
                rule.raw(row),
                reason=rule.not_before.reason,
                field=rule.context.column,
            )
        out[rule.wire] = value
    return out


def _event_value(rule: _Rule, row: Row, decode: Decoder, findings: list[Finding]) -> Any:
    """An event field's value; None when the event cannot be sent."""
    try:
        return rule.value(row, decode, findings)
    except Quarantine:
        if rule.required or rule.finding is not None:
            findings.append(Finding(rule.finding or "unreadable_event", rule.context.column))
        return None if rule.required else rule.default


# --- The pure mapping: a row and its children in, a SourceRecord out -----------------------


class RowMapper:
    """Maps rows as a MappingSpec says; no I/O."""

    def __init__(self, spec: MappingSpec, agency: Agency) -> None:
        self.spec = spec
        self._fields = _rules(spec.fields, agency, "")
        self._code_column = spec.fields["MaHoSo"].column or ""
        self._lists = {
            name: _rules(child.fields, agency, f"{_list_name(name, child)}.")
            for name in LISTS
            if (child := getattr(spec.lists, name)) is not None
        }
        events = spec.events
        self._events = (
            _rules(events.fields, agency, f"{_list_name(_EVENTS, events)}.") if events else ()
        )
        self._events_name = _list_name(_EVENTS, events) if events else _EVENTS

    def map(self, row: Row, children: Children) -> SourceRecord:
        """One main row and its child rows (keyed by list name, and ``events``)."""
        key = str(row[self.spec.key])
        changed_at = self._changed_at(row)
        code = _trimmed(row[self._code_column])
        if self._deleted(row):
            return SourceRecord(key, "deleted", ma_ho_so=code, changed_at=changed_at)
        if code is None:
            return SourceRecord(key, "draft", changed_at=changed_at)
        try:
            content, events, findings = self._dossier(row, code, children)
        except Quarantine as q:
            return quarantined_record(key, code, changed_at, q)
        return dossier_record(key, code, changed_at, content, findings, events)

    def _dossier(
        self, row: Row, code: str, children: Children
    ) -> tuple[dict[str, Any], tuple[dict[str, Any], ...], list[Finding]]:
        decode = self._decoder(row)
        findings: list[Finding] = []
        content = _wire_defaults() | _apply(self._fields, row, decode, findings)
        for name in LISTS:
            rules = self._lists.get(name)
            items = children.get(name, ()) if rules is not None else ()
            content[name] = [_apply(rules or (), item, decode, findings) for item in items]
        check_content(content)
        steps = children.get(_EVENTS, ()) if self._events else ()
        events = tuple(
            e for s in steps if (e := self._event(s, code, decode, findings)) is not None
        )
        return content, events, findings

    def _event(
        self, step: Row, code: str, decode: Decoder, findings: list[Finding]
    ) -> dict[str, Any] | None:
        event: dict[str, Any] = {"MaHoSo": code}
        for rule in self._events:
            value = _event_value(rule, step, decode, findings)
            if value is None:
                return None
            event[rule.wire] = value
        return event if sendable_event(event, findings, field=self._events_name) else None

    def _decoder(self, row: Row) -> Decoder:
        if self.spec.encoding is None:
            return _same
        return legacy_decoder(row[self.spec.encoding], field=self.spec.encoding)

    def _changed_at(self, row: Row) -> datetime | None:
        column = self.spec.change_time
        if column is None:
            return None
        try:
            return db_timestamp(row[column], field=column)
        except Quarantine:
            return None  # an unreadable change time only loses the row its ordering hint

    def _deleted(self, row: Row) -> bool:
        deleted = self.spec.deleted
        if deleted is None:
            return False
        value = row[deleted.column]
        return bool(
            value == deleted.value
            or (value is not None and str(value).strip() == str(deleted.value))
        )


def _list_name(default: str, spec: ChildListSpec | EventsSpec) -> str:
    """How problems and findings name a child list: its ``name``, else its table."""
    return spec.name or (spec.table.rsplit(".", 1)[-1] if spec.table else default)


def _trimmed(value: Any) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _wire_defaults() -> dict[str, Any]:
    """The optional wire fields a spec may leave out (MaLinhVuc, TenLinhVuc), as defaulted."""
    return dict(_OPTIONAL_WIRE)


_OPTIONAL_WIRE: Mapping[str, Any] = {
    name: info.default
    for name, info in DossierContent.model_fields.items()
    if not info.is_required() and name not in LISTS
}


# --- The adapter: the spec's queries, streamed ----------------------------------------------


class MappingAdapter:
    """Reads a register through a declarative MappingSpec."""

    def __init__(self, name: str, engine: Engine, agency: Agency, spec: MappingSpec) -> None:
        self.name = name
        self._engine = engine
        self._spec = spec
        self._mapper = RowMapper(spec, agency)
        key_type: TypeEngine[Any] = Integer() if spec.key_type == "integer" else String()
        self._main = _from(spec, _main_columns(spec, key_type))
        self._key = self._main.c[spec.key]
        self._changed = (
            change_time_expr(engine, self._main.c[spec.change_time], _EPOCH)
            if spec.change_time is not None
            else None
        )
        self._children = {
            name: (child, _from(child, _child_columns(child, key_type)))
            for name, child in _child_specs(spec).items()
        }

    def read_changes(self, cursor: str | None, chunk: int) -> Iterator[ChangeBatch]:
        """Rows changed strictly after ``cursor``, streamed in cursor order."""
        query = self._rows()
        order: list[ColumnElement[Any]] = [self._key]
        if self._changed is not None:
            query = query.add_columns(self._changed.label(_CHANGED))
            order.insert(0, self._changed)
        if cursor is not None:
            query = query.where(self._after(cursor))
        for rows in stream_chunks(self._engine, query.order_by(*order), chunk):
            last = rows[-1]
            changed = last[_CHANGED] if self._changed is not None else None
            yield ChangeBatch(self._map(rows), encode_cursor(changed, last[self._spec.key]))

    def scan(self, chunk: int) -> Iterator[list[SourceRecord]]:
        """Every row in key order, streamed."""
        for rows in stream_chunks(self._engine, self._rows().order_by(self._key), chunk):
            yield self._map(rows)

    def read_keys(self, keys: list[str]) -> list[SourceRecord]:
        """The rows with these keys."""
        query = self._rows().where(self._key.in_(self._key_values(keys))).order_by(self._key)
        return [
            r
            for rows in stream_chunks(self._engine, query, _READ_KEYS_CHUNK)
            for r in self._map(rows)
        ]

    def ping(self) -> None:
        """Raise SourceUnavailable when the register cannot be reached, and ConfigError when
        it can but a query of the spec fails there (a misspelt table or column)."""
        ping(self._engine)
        probes = {"mapping": self._rows()}
        for name in self._children:
            probes[_spec_path(name)] = self._child_rows(name)
        with self._engine.connect() as conn:
            for path, query in probes.items():
                _probe(conn, self.name, path, query)

    def close(self) -> None:
        """Release connections."""
        self._engine.dispose()

    def _rows(self) -> Select[Any]:
        columns = [self._main.c[name] for name in _main_columns(self._spec, None)]
        return select(*columns).select_from(self._main)

    def _after(self, cursor: str) -> ColumnElement[bool]:
        changed, key = decode_cursor(cursor)
        if self._changed is None:
            beyond: ColumnElement[bool] = self._key > key
            return beyond
        if changed is None:  # a cursor saved before the spec had a change time
            changed = _EPOCH.isoformat(sep=" ")
        return after_cursor(self._engine, self._changed, self._key, (changed, key))

    def _key_values(self, keys: list[str]) -> list[Any]:
        if self._spec.key_type == "integer":
            return integer_keys(keys)
        return list(keys)

    def _map(self, rows: Sequence[RowMapping]) -> list[SourceRecord]:
        keys = [r[self._spec.key] for r in rows]
        with self._engine.connect() as conn:
            grouped = {name: self._fetch(conn, name, keys) for name in self._children}
        return [
            self._mapper.map(r, {name: g.get(r[self._spec.key], ()) for name, g in grouped.items()})
            for r in rows
        ]

    def _child_rows(self, name: str) -> Select[Any]:
        spec, source = self._children[name]
        return select(*[source.c[c] for c in _child_columns(spec, None)]).select_from(source)

    def _fetch(self, conn: Connection, name: str, keys: list[Any]) -> dict[Any, list[RowMapping]]:
        spec, source = self._children[name]
        parent = source.c[spec.parent]
        query = (
            self._child_rows(name)
            .where(parent.in_(keys))
            .order_by(parent, *[source.c[c] for c in spec.order])
        )
        return children_by_parent(conn, query, spec.parent)


Columns = dict[str, "TypeEngine[Any] | None"]


def _main_columns(spec: MappingSpec, key_type: TypeEngine[Any] | None) -> Columns:
    """The main query's columns the spec reads, the key and change time typed."""
    columns: Columns = {spec.key: key_type}
    if spec.change_time is not None:
        columns[spec.change_time] = DateTime()
    for extra in (spec.encoding, spec.deleted.column if spec.deleted else None):
        if extra is not None:
            columns.setdefault(extra, None)
    for name in field_columns(spec.fields):
        columns.setdefault(name, None)
    return columns


def _child_columns(spec: ChildListSpec | EventsSpec, key_type: TypeEngine[Any] | None) -> Columns:
    columns: Columns = {spec.parent: key_type}
    for name in (*spec.order, *field_columns(spec.fields)):
        columns.setdefault(name, None)
    return columns


def _child_specs(spec: MappingSpec) -> dict[str, ChildListSpec | EventsSpec]:
    children: dict[str, ChildListSpec | EventsSpec] = {
        name: child for name in LISTS if (child := getattr(spec.lists, name)) is not None
    }
    if spec.events is not None:
        children[_EVENTS] = spec.events
    return children


def _spec_path(name: str) -> str:
    return "mapping.events" if name == _EVENTS else f"mapping.lists.{name}"


def _probe(conn: Connection, source: str, path: str, query: Select[Any]) -> None:
    """Run ``query`` for no rows: a query the database refuses is a configuration error."""
    try:
        conn.execute(query.limit(0)).close()
    except exc.DBAPIError as err:
        lines = str(err.orig).strip().splitlines() or [""]
        message = f"source {source!r}: the query fails ({type(err.orig).__name__}: {lines[0]})"
        raise ConfigError(path, message) from None


def _from(source: MappingSpec | ChildListSpec | EventsSpec, columns: Columns) -> FromClause:
    """The spec's table, or its query as a subquery, with these columns declared."""
    declared = [column(name, type_) for name, type_ in columns.items()]
    if source.table is not None:
        schema, _, name = source.table.rpartition(".")
        return table(name, *declared, schema=schema or None)
    return text(source.query or "").columns(*declared).subquery("src")
