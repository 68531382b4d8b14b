"""ho_tich_v1 row → wire dossier, exactly as commune-schemas/README.md's ho_tich table says.

Pure: one ``hotich_yeu_cau`` row and the deployment's procedure table in, a ``SourceRecord``
out. The register has no soft delete and keeps no history, so a row is a draft (no
``so_bien_nhan``), a quarantined row (the first rule broken, in the order of the spec's
table, gives its one reason) or a dossier without events. ``changed_at`` is ``sua_luc`` as
aware local time: the pipeline, not the adapter, derives NgayCapNhat from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from igate_sync.adapters.base import Agency, Finding, SourceRecord
from igate_sync.adapters.mot_cua_mapping import Quarantine, identity_documents, phone
from igate_sync.adapters.transforms import dossier_record, quarantined_record
from igate_sync.normalize import (
    HO_TICH_CHANNEL,
    HO_TICH_STATUS,
    as_local,
    clean_text,
    end_of_day,
    format_wire_time,
    truncate,
)
from igate_sync.schemas import MA_HO_SO_PATTERN, MA_TTHC_PATTERN

Row = Mapping[Any, Any]
T = TypeVar("T")

_MA_HO_SO = re.compile(MA_HO_SO_PATTERN)
_MA_TTHC = re.compile(MA_TTHC_PATTERN)
_MUC_DO = (2, 3, 4)
# tinh_trang 2 (registered) and 3 (result returned): processing has finished.
_FINISHED = frozenset({2, 3})


@dataclass(frozen=True)
class Procedure:
    """What one ``loai`` code stands for: a row of the deployment's procedure table."""

    ma_tthc: str
    ten_tthc: str
    ma_linh_vuc: str
    ten_linh_vuc: str
    muc_do: int

    def __post_init__(self) -> None:
        # Checked once here, so that every dossier built from the table is valid wire content.
        if not _MA_TTHC.fullmatch(self.ma_tthc):
            raise ValueError("ma_tthc is not a national procedure code")
        if clean_text(self.ten_tthc) is None:
            raise ValueError("ten_tthc is empty")
        if self.muc_do not in _MUC_DO:
            raise ValueError("muc_do must be 2, 3 or 4")


def map_row(row: Row, agency: Agency, procedures: Mapping[str, Procedure]) -> SourceRecord:
    """Map one ``hotich_yeu_cau`` row."""
    key = str(row["ma_yc"])
    changed_at = _changed_at(row["sua_luc"])
    code = (row["so_bien_nhan"] or "").strip() or None
    if code is None:
        return SourceRecord(key, "draft", changed_at=changed_at)
    findings: list[Finding] = []
    try:
        content = _dossier_fields(row, agency, procedures, code, findings)
    except Quarantine as q:
        return quarantined_record(key, code, changed_at, q)
    return dossier_record(key, code, changed_at, content, findings)


def _dossier_fields(
    row: Row,
    agency: Agency,
    procedures: Mapping[str, Procedure],
    code: str,
    findings: list[Finding],
) -> dict[str, Any]:
    """Every field, checked in the order of the spec's table."""
    fields: dict[str, Any] = {"MaHoSo": _dossier_code(code, agency.code)}
    fields.update(_procedure(row["loai"], procedures))
    fields["KenhThucHien"] = _channel(row["nop_qua"])
    fields["ChuHoSo"] = _applicant(row["ten_nguoi_yc"])
    fields["LoaiDoiTuong"] = "1"
    fields["DinhDanhCHS"] = _as_column(
        identity_documents, row["giay_to_so"], "giay_to_so", findings
    )
    fields["SoDienThoai"] = _as_column(phone, row["sdt"], "sdt", findings)
    fields["Email"] = ""
    fields["DiaChi"] = clean_text(row["dia_chi"]) or ""
    fields["TrichYeuHoSo"] = truncate(f"{fields['TenTTHC']} - {fields['ChuHoSo']}")
    fields.update(_times(row))
    fields["TrangThaiHoSo"] = _status(row["tinh_trang"])
    fields["DonViXuLy"] = agency.name
    fields["GhiChu"] = clean_text(row["ly_do_tu_choi"]) or ""
    fields["TaiLieuNop"] = []
    fields["DanhSachLePhi"] = []
    return fields


def _dossier_code(code: str, agency_code: str) -> str:
    if not _MA_HO_SO.fullmatch(code) or code.split("-", 1)[0] != agency_code:
        raise Quarantine("invalid_dossier_code", "so_bien_nhan", code)
    return code


def _procedure(loai: str | None, procedures: Mapping[str, Procedure]) -> dict[str, str]:
    procedure = procedures.get((loai or "").strip())
    if procedure is None:
        raise Quarantine("unknown_procedure", "loai", loai)
    return {
        "MaTTHC": procedure.ma_tthc,
        "TenTTHC": clean_text(procedure.ten_tthc) or "",
        "MaLinhVuc": procedure.ma_linh_vuc,
        "TenLinhVuc": clean_text(procedure.ten_linh_vuc) or "",
        "MucDo": str(procedure.muc_do),
    }


def _channel(nop_qua: Any) -> str:
    channel = HO_TICH_CHANNEL.get(nop_qua)
    if channel is None:
        raise Quarantine("unknown_channel", "nop_qua", nop_qua)
    return channel


def _applicant(raw: str | None) -> str:
    name = clean_text(raw)
    if name is None:
        raise Quarantine("missing_applicant", "ten_nguoi_yc", raw)
    return name


def _as_column(
    parse: Callable[[str | None, list[Finding]], T],
    raw: str | None,
    column: str,
    findings: list[Finding],
) -> T:
    """A mot_cua_v1 value rule applied to this register's ``column``: findings name it."""
    found: list[Finding] = []
    value = parse(raw, found)
    findings.extend(Finding(f.code, column) for f in found)
    return value


def _times(row: Row) -> dict[str, str]:
    received = _timestamp(row["tg_tiep_nhan"], "invalid_received_time", "tg_tiep_nhan")
    if received is None:
        # The column is NOT NULL; a register that does not enforce it gets the mot_cua_v1 reason.
        raise Quarantine("invalid_received_time", "tg_tiep_nhan", row["tg_tiep_nhan"])
    due = _due(row["han_tra"])
    if due is not None and due < received:
        raise Quarantine("due_before_received", "han_tra", due.date())
    returned = _timestamp(row["tg_tra"], "invalid_time", "tg_tra")
    if returned is not None and returned < received:
        # Shaped from the parsed time, so every engine (and SQLite's text) gives one shape.
        raise Quarantine(
            "returned_before_received", "tg_tra", returned.replace(tzinfo=None, microsecond=0)
        )
    finished = returned if row["tinh_trang"] in _FINISHED else None
    return {
        "NgayTiepNhan": format_wire_time(received),
        "NgayHenTra": format_wire_time(due),
        "NgayTra": format_wire_time(returned),
        "NgayKetThucXuLy": format_wire_time(finished),
    }


def _timestamp(value: object, reason: str, field: str) -> datetime | None:
    """A TIMESTAMP value (ISO text on SQLite) as aware local time; unreadable → quarantine."""
    try:
        return _local(value)
    except ValueError as exc:
        raise Quarantine(reason, field, value) from exc


def _due(value: object) -> datetime | None:
    """The end of the ``han_tra`` day (ISO text on SQLite); unreadable → quarantine."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise Quarantine("invalid_due_time", "han_tra", value) from exc
    return end_of_day(value) if isinstance(value, date) else None


def _local(value: object) -> datetime | None:
    """A naive local time as aware; ISO text (SQLite's) is parsed; blank is None."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip()) if value.strip() else None
    return as_local(value) if isinstance(value, datetime) else None


def _changed_at(value: object) -> datetime | None:
    """``sua_luc`` as aware local time; an unreadable one is unknown, not a broken rule."""
    try:
        return _local(value)
    except ValueError:
        return None


def _status(tinh_trang: Any) -> str:
    status = HO_TICH_STATUS.get(tinh_trang)
    if status is None:
        raise Quarantine("unknown_status", "tinh_trang", tinh_trang)
    return status
