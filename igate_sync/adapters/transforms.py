"""The rules of commune-schemas/README.md as small pure functions, and the named transforms.

Two layers. The rule functions (``dossier_code``, ``procedure_code``, ``channel``,
``legacy_time`` ...) take a source value and the names to report it under, and return the
wire value or raise ``Quarantine``; the mot_cua_v1 mapping calls them directly, so each rule
has one implementation. ``TRANSFORMS`` gives each rule the name a declarative mapping uses
and one signature, ``(value, context, findings) -> wire value``, where None or "" means
"empty": the mapping then applies the field's ``default`` or its ``required`` rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import ValidationError

from igate_sync.adapters.base import Agency, Finding, Problem, SourceRecord
from igate_sync.adapters.shapes import value_shape
from igate_sync.normalize import (
    InvalidTime,
    UnknownEncoding,
    as_local,
    channel_from_label,
    clean_text,
    cut,
    decode_legacy,
    end_of_day,
    fold,
    format_wire_time,
    is_blank,
    normalize_phone,
    parse_citizen_id,
    parse_legacy_time,
    status_from_label,
    truncate,
)
from igate_sync.schemas import (
    MA_HO_SO_PATTERN,
    MA_TTHC_PATTERN,
    DossierContent,
    ProgressEvent,
    phien_ban,
)

_MA_HO_SO = re.compile(MA_HO_SO_PATTERN)
_MA_TTHC = re.compile(MA_TTHC_PATTERN)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DIGITS = re.compile(r"[0-9]+")

SUMMARY_LIMIT = 1000  # TrichYeuHoSo
OFFICER_LIMIT = 50  # NguoiXuLy

Decoder = Callable[[Any], Any]
_Ordered = TypeVar("_Ordered", str, datetime)


class Quarantine(Exception):
    """A rule is broken: the row goes to quarantine with this reason."""

    def __init__(self, reason: str, field: str, value: object) -> None:
        super().__init__(reason)
        self.problem = Problem(reason, field, value_shape(value))


# --- Rules ----------------------------------------------------------------------------------


def legacy_decoder(ma_hoa: object, *, field: str = "ma_hoa") -> Decoder:
    """Decoding of a row's text per its encoding column; an unknown one is quarantined."""
    encoding = (str(ma_hoa) if ma_hoa else "UNICODE").strip().upper()
    if encoding == "UNICODE":
        return _unchanged
    try:
        decode_legacy("", encoding)
    except UnknownEncoding as exc:
        raise Quarantine("unknown_encoding", field, ma_hoa) from exc

    def decode(value: Any) -> Any:
        return decode_legacy(value, encoding) if isinstance(value, str) else value

    return decode


def _unchanged(value: Any) -> Any:
    return value


def dossier_code(
    code: str, agency_code: str, *, field: str = "so_ho_so", reason: str = "invalid_dossier_code"
) -> str:
    """MaHoSo: the national pattern, with the configured agency code as its prefix."""
    if not _MA_HO_SO.fullmatch(code) or code.split("-", 1)[0] != agency_code:
        raise Quarantine(reason, field, code)
    return code


def procedure_code(
    raw: str | None, *, field: str = "ma_tthc", reason: str = "invalid_procedure_code"
) -> str:
    """MaTTHC: spaces removed, then the national pattern (NULL breaks it too)."""
    code = "".join((raw or "").split())
    if not _MA_TTHC.fullmatch(code):
        raise Quarantine(reason, field, raw)
    return code


def channel(label: str | None, *, field: str = "kenh_nop", reason: str = "unknown_channel") -> str:
    """KenhThucHien from a channel label (blank is direct); an unknown one is quarantined."""
    code = channel_from_label(label)
    if code is None:
        raise Quarantine(reason, field, label)
    return code


def status(label: str | None, *, field: str = "trang_thai", reason: str = "unknown_status") -> str:
    """TrangThaiHoSo from a status label; NULL or unknown is quarantined."""
    code = status_from_label(label)
    if code is None:
        raise Quarantine(reason, field, label)
    return code


def identity_documents(
    raw: str | None, findings: list[Finding], *, field: str = "so_giay_to"
) -> list[dict[str, str]]:
    """DinhDanhCHS from an ID number as typed; an unusable one is a finding."""
    parsed = parse_citizen_id(raw)
    if parsed is None:
        if not is_blank(raw):
            findings.append(Finding("unusable_id", field))
        return []
    return [{"LoaiDinhDanh": parsed[0], "SoDinhDanh": parsed[1]}]


def phone(raw: str | None, findings: list[Finding], *, field: str = "dien_thoai") -> str:
    """SoDienThoai from a phone number as typed; an unusable one is a finding."""
    number = normalize_phone(raw)
    if number is None and not is_blank(raw):
        findings.append(Finding("unusable_phone", field))
    return number or ""


def email(text: str | None) -> str:
    """Email: clean text kept only when it looks like an address, else ""."""
    return text if text is not None and _EMAIL.fullmatch(text) else ""


def legacy_time(
    raw: str | None,
    *,
    reason: str,
    field: str,
    end_of_day: bool = False,
    required: bool = False,
) -> datetime | None:
    """A ``dd/mm/yyyy[ HH:MM]`` time; unreadable, or blank when required, is quarantined."""
    try:
        parsed = parse_legacy_time(raw, end_of_day=end_of_day)
    except InvalidTime as exc:
        raise Quarantine(reason, field, raw) from exc
    if parsed is None and required:
        raise Quarantine(reason, field, None)  # blank counts as NULL
    return parsed


def not_before(
    later: _Ordered | None, earlier: _Ordered | None, raw: object, *, reason: str, field: str
) -> None:
    """Quarantine ``later`` when both times are set and it comes before ``earlier``."""
    if later and earlier and later < earlier:
        raise Quarantine(reason, field, raw)


def whole_digits(value: object, *, field: str, reason: str = "invalid_number") -> str | None:
    """A whole number as decimal digits: numbers cut to whole, text must be digits only."""
    if value is None:
        return None
    if isinstance(value, int | Decimal | float):
        return str(int(value))
    text = str(value).strip()
    if not text:
        return None
    if not (text.isascii() and _DIGITS.fullmatch(text)):
        raise Quarantine(reason, field, value)
    return text


def flag(value: object) -> str:
    """ "1" when the source says 1, else "0" (DuocSoHoa, DaThu)."""
    if isinstance(value, str):
        value = value.strip()
    return "1" if value in (1, "1") else "0"


def table_key(label: str) -> str:
    """How a value table matches labels: folded, with '_' as a space."""
    return " ".join((fold(label) or "").replace("_", " ").split())


def folded_table(table: Mapping[str, str]) -> dict[str, str]:
    """A configured value table keyed by ``table_key``."""
    return {table_key(label): code for label, code in table.items()}


def db_timestamp(value: object, *, field: str, reason: str = "invalid_time") -> datetime | None:
    """A DB TIMESTAMP (naive local time), or its text on SQLite."""
    if isinstance(value, datetime):
        return as_local(value)
    text = _as_text(value)
    if text is None or not text.strip():
        return None
    try:
        return as_local(datetime.fromisoformat(text.strip()))
    except ValueError as exc:
        raise Quarantine(reason, field, value) from exc


def db_date_end_of_day(
    value: object, *, field: str, reason: str = "invalid_time"
) -> datetime | None:
    """23:59:59 on a DB DATE (a date, a datetime, or ``yyyy-mm-dd`` text on SQLite)."""
    if isinstance(value, datetime):
        return end_of_day(value.date())
    if isinstance(value, date):
        return end_of_day(value)
    text = _as_text(value)
    if text is None or not text.strip():
        return None
    try:
        return end_of_day(date.fromisoformat(text.strip()[:10]))
    except ValueError as exc:
        raise Quarantine(reason, field, value) from exc


def dossier_record(
    key: str,
    code: str,
    changed_at: datetime | None,
    content: dict[str, Any],
    findings: list[Finding],
    events: tuple[dict[str, Any], ...] = (),
) -> SourceRecord:
    """A pushable dossier, with its PhienBan computed here for every adapter, and each
    finding once."""
    return SourceRecord(
        key,
        "dossier",
        ma_ho_so=code,
        changed_at=changed_at,
        content=content,
        phien_ban=phien_ban(content),
        events=events,
        findings=tuple(dict.fromkeys(findings)),
    )


def quarantined_record(
    key: str, code: str | None, changed_at: datetime | None, quarantine: Quarantine
) -> SourceRecord:
    """A row set aside, with the first rule it broke."""
    return SourceRecord(
        key, "quarantined", ma_ho_so=code, changed_at=changed_at, problem=quarantine.problem
    )


def check_content(content: dict[str, Any]) -> None:
    """Whatever the wire model still refuses is quarantined as ``invalid_content``."""
    try:
        DossierContent.model_validate(content)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][0]) if error["loc"] else "dossier"
        raise Quarantine("invalid_content", where, error.get("input")) from exc


def sendable_event(event: dict[str, str], findings: list[Finding], *, field: str) -> bool:
    """True when the wire model takes the event; else a finding, and it is not sent."""
    try:
        ProgressEvent.model_validate(event)
    except ValidationError:
        findings.append(Finding("unsendable_event", field))
        return False
    return True


# --- Named transforms -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What a transform knows beside the value: where it is from and the field's options."""

    column: str
    agency: Agency
    reason: str | None = None
    required: bool = False
    table: Mapping[str, str] = field(default_factory=dict)
    constant: str | None = None

    def why(self, default: str) -> str:
        """The field's own quarantine reason, else the transform's."""
        return self.reason or default


Transform = Callable[[Any, Context, list[Finding]], Any]


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _clean(value: object) -> str | None:
    return clean_text(_as_text(value))


def _clean_text(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    return _clean(value)


def _raw_text(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    return _as_text(value)


def _digits(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    return whole_digits(value, field=ctx.column, reason=ctx.why("invalid_number"))


def _flag(value: object, ctx: Context, findings: list[Finding]) -> str:
    return flag(value)


def _dossier_code(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    code = (_as_text(value) or "").strip()
    if not code:
        return None
    return dossier_code(
        code, ctx.agency.code, field=ctx.column, reason=ctx.why("invalid_dossier_code")
    )


def _procedure_code(value: object, ctx: Context, findings: list[Finding]) -> str:
    return procedure_code(
        _as_text(value), field=ctx.column, reason=ctx.why("invalid_procedure_code")
    )


def _channel_label(value: object, ctx: Context, findings: list[Finding]) -> str:
    return channel(_clean(value), field=ctx.column, reason=ctx.why("unknown_channel"))


def _status_label(value: object, ctx: Context, findings: list[Finding]) -> str:
    return status(_clean(value), field=ctx.column, reason=ctx.why("unknown_status"))


def _value_table(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    label = _clean(value)
    if label is None:
        return None
    code = ctx.table.get(table_key(label))
    if code is None:
        raise Quarantine(ctx.why("unknown_value"), ctx.column, label)
    return code


def _citizen_id(value: object, ctx: Context, findings: list[Finding]) -> list[dict[str, str]]:
    return identity_documents(_as_text(value), findings, field=ctx.column)


def _phone(value: object, ctx: Context, findings: list[Finding]) -> str:
    return phone(_as_text(value), findings, field=ctx.column)


def _email(value: object, ctx: Context, findings: list[Finding]) -> str:
    return email(_clean(value))


def _legacy_time(value: object, ctx: Context, findings: list[Finding]) -> str:
    return format_wire_time(
        legacy_time(
            _as_text(value),
            reason=ctx.why("invalid_time"),
            field=ctx.column,
            required=ctx.required,
        )
    )


def _legacy_due_time(value: object, ctx: Context, findings: list[Finding]) -> str:
    return format_wire_time(
        legacy_time(
            _as_text(value),
            reason=ctx.why("invalid_time"),
            field=ctx.column,
            end_of_day=True,
            required=ctx.required,
        )
    )


def _date_end_of_day(value: object, ctx: Context, findings: list[Finding]) -> str:
    return format_wire_time(
        db_date_end_of_day(value, field=ctx.column, reason=ctx.why("invalid_time"))
    )


def _timestamp(value: object, ctx: Context, findings: list[Finding]) -> str:
    return format_wire_time(db_timestamp(value, field=ctx.column, reason=ctx.why("invalid_time")))


def _truncate_1000(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    text = _clean(value)
    return truncate(text, SUMMARY_LIMIT) if text is not None else None


def _cut_50(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    text = _clean(value)
    return cut(text, OFFICER_LIMIT) if text is not None else None


def _constant(value: object, ctx: Context, findings: list[Finding]) -> str | None:
    return ctx.constant


def _agency_name(value: object, ctx: Context, findings: list[Finding]) -> str:
    return ctx.agency.name


TRANSFORMS: Mapping[str, Transform] = MappingProxyType(
    {
        "clean_text": _clean_text,
        "raw_text": _raw_text,
        "digits": _digits,
        "flag": _flag,
        "dossier_code": _dossier_code,
        "procedure_code": _procedure_code,
        "channel_label": _channel_label,
        "status_label": _status_label,
        "value_table": _value_table,
        "citizen_id": _citizen_id,
        "phone": _phone,
        "email": _email,
        "legacy_time": _legacy_time,
        "legacy_due_time": _legacy_due_time,
        "date_end_of_day": _date_end_of_day,
        "timestamp": _timestamp,
        "truncate_1000": _truncate_1000,
        "cut_50": _cut_50,
        "constant": _constant,
        "agency_name": _agency_name,
    }
)
"""Transform name → function, as a declarative mapping's ``transform`` key names them."""

WITHOUT_COLUMN = frozenset({"constant", "agency_name"})
"""Transforms that read no source column."""
