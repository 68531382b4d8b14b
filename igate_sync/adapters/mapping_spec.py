"""The declarative `mapping` source's specification: a register described in configuration.

A ``MappingSpec`` names the main query (or table) and its key, change-time, encoding and
soft-delete columns, then says for each wire field which column it comes from and which
named transform of ``transforms.TRANSFORMS`` turns it into the wire value. Child lists
(TaiLieuNop, DanhSachLePhi) and progress events each have their own query and fields.

Everything is checked when the configuration loads, and every error names its key
(``sources[0].mapping.fields.MaHoSo.transform: unknown transform 'dossier_cod'``): unknown
transforms, missing or unknown wire fields, a value_table without its table, a decode
without an encoding column. Field order is the order of the file: it decides which broken
rule gives a row its quarantine reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from igate_sync.adapters.transforms import TRANSFORMS, WITHOUT_COLUMN
from igate_sync.schemas import DossierContent, LePhi, ProgressEvent, TaiLieu

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
TableName = Annotated[
    str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

LISTS = ("TaiLieuNop", "DanhSachLePhi")
_TRAILING_SEMICOLONS = re.compile(r"[\s;]+$")

Loc = tuple[str | int, ...]


def _errors(title: str, problems: Iterable[tuple[Loc, str]]) -> None:
    """Raise one ValidationError whose locations extend the key being validated."""
    details = [
        InitErrorDetails(type=PydanticCustomError("mapping", message), loc=loc, input=None)
        for loc, message in problems
    ]
    if details:
        raise ValidationError.from_exception_data(title, details)


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _FieldBase(_Spec):
    """Where one wire field comes from and how it becomes the wire value."""

    column: Identifier | None = None
    transform: str
    decode: bool = False  # decode per the row's encoding column before the transform
    table: dict[str, str] | None = None  # value_table: source label → wire code
    constant: str | None = None  # constant: the wire value
    default: str | None = None  # the value when the source value is empty ("" if unset)
    required: bool = False  # an empty value breaks the rule (see `reason`)

    @field_validator("transform")
    @classmethod
    def _known_transform(cls, name: str) -> str:
        if name not in TRANSFORMS:
            raise ValueError(f"unknown transform {name!r}; known: {', '.join(sorted(TRANSFORMS))}")
        return name

    @model_validator(mode="after")
    def _options_fit_the_transform(self) -> _FieldBase:
        _errors(type(self).__name__, self._option_problems())
        return self

    def _option_problems(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        without = self.transform in WITHOUT_COLUMN
        if self.column is None and not without:
            problems.append((("column",), f"is required by the {self.transform} transform"))
        if self.column is not None and without:
            problems.append((("column",), f"the {self.transform} transform reads no column"))
        if (self.table is None) == (self.transform == "value_table"):
            problems.append((("table",), _only_for("value_table", self.table is None)))
        if (self.constant is None) == (self.transform == "constant"):
            problems.append((("constant",), _only_for("constant", self.constant is None)))
        if self.table is not None and not self.table:
            problems.append((("table",), "is empty"))
        return problems


def _only_for(transform: str, missing: bool) -> str:
    return f"is required by the {transform} transform" if missing else f"is only for {transform}"


class ItemFieldSpec(_FieldBase):
    """A field of a child list item: a broken rule quarantines the whole dossier."""

    reason: Code | None = None  # quarantine reason code, instead of the transform's own


class NotBefore(_Spec):
    """This time must not come before an earlier wire field's time."""

    field: str
    reason: Code


class FieldSpec(ItemFieldSpec):
    """A field of the dossier: a broken rule quarantines the row."""

    not_before: NotBefore | None = None


class EventFieldSpec(_FieldBase):
    """A field of a progress event: a broken rule never blocks the dossier.

    Unreadable and ``required``: the event is not sent. Unreadable otherwise: ``default``.
    Either way ``finding`` (if set, or always when required) is reported.
    """

    finding: Code | None = None


class _Source(_Spec):
    """A query, or a whole table, to read rows from."""

    table: TableName | None = None
    query: str | None = None

    @field_validator("query")
    @classmethod
    def _one_statement(cls, query: str | None) -> str | None:
        if query is None:
            return None
        query = _TRAILING_SEMICOLONS.sub("", query).strip()
        if not query:
            raise ValueError("is empty")
        return query

    @model_validator(mode="after")
    def _table_or_query(self) -> _Source:
        if (self.table is None) == (self.query is None):
            _errors(type(self).__name__, [(("query",), "give either `table` or `query`")])
        return self


class ChildListSpec(_Source):
    """A child list of the dossier (TaiLieuNop, DanhSachLePhi)."""

    parent: Identifier  # the column holding the dossier's key
    order: Annotated[list[Identifier], Field(min_length=1)]
    name: Identifier | None = None  # how problems name this list; the table by default
    fields: dict[str, ItemFieldSpec]


class EventsSpec(_Source):
    """The dossier's progress events (MaHoSo is the dossier's, set by the adapter)."""

    parent: Identifier
    order: Annotated[list[Identifier], Field(min_length=1)]
    name: Identifier | None = None  # how findings name the events; the table by default
    fields: dict[str, EventFieldSpec]

    @field_validator("fields")
    @classmethod
    def _wire_fields(cls, fields: dict[str, EventFieldSpec]) -> dict[str, EventFieldSpec]:
        _errors("EventsSpec", _wire_problems(fields, ProgressEvent, adapter_sets={"MaHoSo"}))
        return fields


class ListsSpec(_Spec):
    """The dossier's child lists; a list left out is sent empty."""

    TaiLieuNop: ChildListSpec | None = None
    DanhSachLePhi: ChildListSpec | None = None

    @field_validator("TaiLieuNop")
    @classmethod
    def _documents(cls, spec: ChildListSpec | None) -> ChildListSpec | None:
        if spec is not None:
            _errors("ListsSpec", _item_problems(spec, TaiLieu))
        return spec

    @field_validator("DanhSachLePhi")
    @classmethod
    def _fees(cls, spec: ChildListSpec | None) -> ChildListSpec | None:
        if spec is not None:
            _errors("ListsSpec", _item_problems(spec, LePhi))
        return spec


class DeletedSpec(_Spec):
    """A soft-delete column: rows holding ``value`` there are deleted at the source."""

    column: Identifier
    value: int | str = 1


class MappingSpec(_Source):
    """How a register's rows become wire dossiers, described in configuration only."""

    key: Identifier
    key_type: Literal["integer", "text"] = "integer"
    change_time: Identifier | None = None  # a naive local DB timestamp; NULL sorts first
    encoding: Identifier | None = None  # per-row UNICODE / TCVN3 / VNI, for `decode` fields
    deleted: DeletedSpec | None = None
    fields: dict[str, FieldSpec]
    lists: ListsSpec = ListsSpec()
    events: EventsSpec | None = None

    @field_validator("fields")
    @classmethod
    def _wire_fields(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        problems = _wire_problems(fields, DossierContent, lists=LISTS)
        code = fields.get("MaHoSo")
        if code is not None and code.column is None:
            problems.append((("MaHoSo", "column"), "is required: it tells drafts apart"))
        _errors("MappingSpec", problems)
        return fields

    @model_validator(mode="after")
    def _decode_needs_encoding(self) -> MappingSpec:
        if self.encoding is None:
            _errors("MappingSpec", _decode_problems(self))
        return self


def _wire_problems(
    fields: Mapping[str, _FieldBase],
    model: type[BaseModel],
    *,
    lists: tuple[str, ...] = (),
    adapter_sets: Collection[str] = (),
) -> list[tuple[Loc, str]]:
    """Unknown and missing wire fields, and not_before rules that look ahead."""
    problems: list[tuple[Loc, str]] = []
    for name in fields:
        if name in lists:
            problems.append(((name,), f"is a list: describe it in [sources.mapping.lists.{name}]"))
        elif name in adapter_sets:
            problems.append(((name,), "is set by the adapter"))
        elif name not in model.model_fields:
            problems.append(((name,), f"is not a field of the wire {model.__name__}"))
    for name, info in model.model_fields.items():
        absent = name not in fields and name not in lists and name not in adapter_sets
        if absent and info.is_required():
            problems.append(((name,), f"is required (a wire field of {model.__name__})"))
    problems += _order_problems(fields)
    return problems


def _order_problems(fields: Mapping[str, _FieldBase]) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    seen: set[str] = set()
    for name, spec in fields.items():
        rule = getattr(spec, "not_before", None)
        if isinstance(rule, NotBefore) and rule.field not in seen:
            message = f"{rule.field!r} is not a wire field written before {name}"
            problems.append(((name, "not_before", "field"), message))
        seen.add(name)
    return problems


def _item_problems(spec: ChildListSpec, model: type[BaseModel]) -> list[tuple[Loc, str]]:
    return [(("fields", *loc), message) for loc, message in _wire_problems(spec.fields, model)]


def _decode_problems(spec: MappingSpec) -> list[tuple[Loc, str]]:
    message = "needs [sources.mapping] encoding, the column that names each row's encoding"
    places: list[tuple[Loc, Mapping[str, _FieldBase]]] = [(("fields",), spec.fields)]
    for name in LISTS:
        child: ChildListSpec | None = getattr(spec.lists, name)
        if child is not None:
            places.append((("lists", name, "fields"), child.fields))
    if spec.events is not None:
        places.append((("events", "fields"), spec.events.fields))
    return [
        ((*where, name, "decode"), message)
        for where, fields in places
        for name, field in fields.items()
        if field.decode
    ]


def field_columns(fields: Mapping[str, _FieldBase]) -> list[str]:
    """The columns these fields read, in order, once each."""
    return list(dict.fromkeys(f.column for f in fields.values() if f.column is not None))


__all__ = [
    "ChildListSpec",
    "DeletedSpec",
    "EventFieldSpec",
    "EventsSpec",
    "FieldSpec",
    "ItemFieldSpec",
    "ListsSpec",
    "MappingSpec",
    "NotBefore",
    "field_columns",
]
