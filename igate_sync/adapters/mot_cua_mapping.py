"""mot_cua_v1 row → wire dossier, exactly as commune-schemas/README.md says.

Pure: a joined ``ho_so`` row and its child rows in, a ``SourceRecord`` out. The first rule a
row breaks, in the order of the spec's table, gives its one quarantine reason. A row whose
``ma_hoa`` names no known encoding is quarantined as ``unknown_encoding`` rather than guessed.
Anything the wire model still refuses after these rules is quarantined as
``invalid_content`` with the field the model named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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
    format_wire_time,
    is_blank,
    normalize_phone,
    parse_citizen_id,
    parse_legacy_time,
    status_from_label,
    truncate,
)
from igate_sync.schemas import MA_HO_SO_PATTERN, MA_TTHC_PATTERN, DossierContent, ProgressEvent
from igate_sync.schemas import phien_ban as compute_phien_ban

Row = Mapping[Any, Any]
Decoder = Callable[[str | None], str | None]

_MA_HO_SO = re.compile(MA_HO_SO_PATTERN)
_MA_TTHC = re.compile(MA_TTHC_PATTERN)


class Quarantine(Exception):
    """A rule of the spec is broken: the row goes to quarantine."""

    def __init__(self, reason: str, field: str, value: object) -> None:
        super().__init__(reason)
        self.problem = Problem(reason, field, value_shape(value))


def map_row(
    row: Row,
    agency: Agency,
    *,
    documents: Sequence[Row] = (),
    fees: Sequence[Row] = (),
    steps: Sequence[Row] = (),
) -> SourceRecord:
    """Map one joined ho_so row (with thu_tuc and linh_vuc columns) and its child rows."""
    key = str(row["id"])
    changed_at = as_local(row["ngay_cap_nhat"]) if row["ngay_cap_nhat"] is not None else None
    raw_code = (row["so_ho_so"] or "").strip() or None
    if row["da_xoa"] == 1:
        return SourceRecord(key, "deleted", ma_ho_so=raw_code, changed_at=changed_at)
    if raw_code is None:
        return SourceRecord(key, "draft", changed_at=changed_at)
    try:
        return _map_dossier(row, agency, documents, fees, steps, key, raw_code, changed_at)
    except Quarantine as q:
        return SourceRecord(
            key, "quarantined", ma_ho_so=raw_code, changed_at=changed_at, problem=q.problem
        )


def _map_dossier(
    row: Row,
    agency: Agency,
    documents: Sequence[Row],
    fees: Sequence[Row],
    steps: Sequence[Row],
    key: str,
    code: str,
    changed_at: Any,
) -> SourceRecord:
    text = _decoder(row["ma_hoa"])
    findings: list[Finding] = []
    content = _dossier_fields(row, agency, code, text, findings)
    content["TaiLieuNop"] = [_document(d, text) for d in documents]
    content["DanhSachLePhi"] = [_fee(f, text) for f in fees]
    _validate(content)
    events = tuple(e for s in steps if (e := _event(s, code, text, findings)) is not None)
    return SourceRecord(
        key,
        "dossier",
        ma_ho_so=code,
        changed_at=changed_at,
        content=content,
        phien_ban=compute_phien_ban(content),
        events=events,
        findings=tuple(dict.fromkeys(findings)),
    )


def _decoder(ma_hoa: str | None) -> Decoder:
    encoding = (ma_hoa or "UNICODE").strip().upper()
    if encoding == "UNICODE":
        return clean_text
    try:
        decode_legacy("", encoding)
    except UnknownEncoding as exc:
        raise Quarantine("unknown_encoding", "ma_hoa", ma_hoa) from exc

    def decode(value: str | None) -> str | None:
        return clean_text(decode_legacy(value, encoding)) if value is not None else None

    return decode


def _dossier_fields(
    row: Row, agency: Agency, code: str, text: Decoder, findings: list[Finding]
) -> dict[str, Any]:
    """Every scalar field, checked in the order of the spec's table."""
    fields: dict[str, Any] = {"MaHoSo": _dossier_code(code, agency.code)}
    fields.update(_procedure(row))
    fields["KenhThucHien"] = _channel(text(row["kenh_nop"]))
    fields["MucDo"] = str(row["muc_do"]) if row["muc_do"] is not None else "2"
    fields.update(_applicant(row, text, findings))
    fields["DiaChi"] = text(row["dia_chi"]) or ""
    fields["TrichYeuHoSo"] = truncate(text(row["trich_yeu"]) or "")
    fields.update(_times(row))
    fields["TrangThaiHoSo"] = _status(text(row["trang_thai"]))
    fields["DonViXuLy"] = agency.name
    fields["GhiChu"] = text(row["ghi_chu"]) or ""
    return fields


def _dossier_code(code: str, agency_code: str) -> str:
    if not _MA_HO_SO.fullmatch(code) or code.split("-", 1)[0] != agency_code:
        raise Quarantine("invalid_dossier_code", "so_ho_so", code)
    return code


def _procedure(row: Row) -> dict[str, str]:
    ma_tthc = "".join((row["ma_tthc"] or "").split())
    if not _MA_TTHC.fullmatch(ma_tthc):
        raise Quarantine("invalid_procedure_code", "ma_tthc", row["ma_tthc"])
    return {
        "MaTTHC": ma_tthc,
        "TenTTHC": clean_text(row["ten_tthc"]) or "",
        "MaLinhVuc": row["ma_linh_vuc"] or "",
        "TenLinhVuc": clean_text(row["ten_linh_vuc"]) or "",
    }


def _channel(label: str | None) -> str:
    channel = channel_from_label(label)
    if channel is None:
        raise Quarantine("unknown_channel", "kenh_nop", label)
    return channel


def _applicant(row: Row, text: Decoder, findings: list[Finding]) -> dict[str, Any]:
    name = text(row["nguoi_nop"])
    if name is None:
        raise Quarantine("missing_applicant", "nguoi_nop", row["nguoi_nop"])
    email = text(row["email"]) or ""
    return {
        "ChuHoSo": name,
        "LoaiDoiTuong": str(row["loai_doi_tuong"]) if row["loai_doi_tuong"] is not None else "1",
        "DinhDanhCHS": identity_documents(row["so_giay_to"], findings),
        "SoDienThoai": phone(row["dien_thoai"], findings),
        "Email": email if _EMAIL.fullmatch(email) else "",
    }


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def identity_documents(raw: str | None, findings: list[Finding]) -> list[dict[str, str]]:
    """DinhDanhCHS from an ID number as typed; an unusable one is a finding."""
    parsed = parse_citizen_id(raw)
    if parsed is None:
        if not is_blank(raw):
            findings.append(Finding("unusable_id", "so_giay_to"))
        return []
    return [{"LoaiDinhDanh": parsed[0], "SoDinhDanh": parsed[1]}]


def phone(raw: str | None, findings: list[Finding]) -> str:
    """SoDienThoai from a phone number as typed; an unusable one is a finding."""
    number = normalize_phone(raw)
    if number is None and not is_blank(raw):
        findings.append(Finding("unusable_phone", "dien_thoai"))
    return number or ""


def _times(row: Row) -> dict[str, str]:
    received = _parse(row["ngay_nhan"], "invalid_received_time", "ngay_nhan")
    if received is None:
        raise Quarantine("invalid_received_time", "ngay_nhan", None)
    due = _parse(row["ngay_hen_tra"], "invalid_due_time", "ngay_hen_tra", end_of_day=True)
    if due is not None and due < received:
        raise Quarantine("due_before_received", "ngay_hen_tra", row["ngay_hen_tra"])
    finished = _parse(row["ngay_ket_thuc_xu_ly"], "invalid_time", "ngay_ket_thuc_xu_ly")
    returned = _parse(row["ngay_tra"], "invalid_time", "ngay_tra")
    if returned is not None and returned < received:
        raise Quarantine("returned_before_received", "ngay_tra", row["ngay_tra"])
    return {
        "NgayTiepNhan": format_wire_time(received),
        "NgayHenTra": format_wire_time(due),
        "NgayKetThucXuLy": format_wire_time(finished),
        "NgayTra": format_wire_time(returned),
    }


def _parse(raw: str | None, reason: str, field: str, *, end_of_day: bool = False) -> Any:
    try:
        return parse_legacy_time(raw, end_of_day=end_of_day)
    except InvalidTime as exc:
        raise Quarantine(reason, field, raw) from exc


def _status(label: str | None) -> str:
    status = status_from_label(label)
    if status is None:
        raise Quarantine("unknown_status", "trang_thai", label)
    return status


def _document(row: Row, text: Decoder) -> dict[str, str]:
    return {
        "TenTepDinhKem": text(row["ten_giay_to"]) or "",
        "SoBan": str(row["so_ban"]) if row["so_ban"] is not None else "1",
        "DuocSoHoa": "1" if row["da_so_hoa"] == 1 else "0",
    }


def _fee(row: Row, text: Decoder) -> dict[str, str]:
    return {
        "TenPhiLePhi": text(row["ten_phi"]) or "",
        "Gia": str(int(row["so_tien"])),
        "DaThu": "1" if row["da_thu"] == 1 else "0",
    }


def _validate(content: dict[str, Any]) -> None:
    try:
        DossierContent.model_validate(content)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "dossier"
        raise Quarantine("invalid_content", field, error.get("input")) from exc


def _event(step: Row, code: str, text: Decoder, findings: list[Finding]) -> dict[str, str] | None:
    """One progress event, or None (and a finding) when its time cannot be read."""
    try:
        at = parse_legacy_time(step["thoi_diem"])
    except InvalidTime:
        at = None
    if at is None or step["thu_tu"] is None or step["thu_tu"] < 1:
        findings.append(Finding("unreadable_event", "qua_trinh_xu_ly.thoi_diem"))
        return None
    event = {
        "MaHoSo": code,
        "STT": str(step["thu_tu"]),
        "NguoiXuLy": cut(text(step["nguoi_xu_ly"]) or "", 50),
        "ChucDanh": text(step["chuc_danh"]) or "",
        "PhongBanXuLy": text(step["phong_ban"]) or "",
        "ThoiDiemXuLy": format_wire_time(at),
        "NoiDungXuLy": text(step["noi_dung"]) or "",
        "TrangThai": status_from_label(text(step["trang_thai"])) or "4",
        "HanXuLy": _step_deadline(step["han_xu_ly"], findings),
    }
    try:
        ProgressEvent.model_validate(event)
    except ValidationError:
        findings.append(Finding("unsendable_event", "qua_trinh_xu_ly"))
        return None
    return event


def _step_deadline(raw: str | None, findings: list[Finding]) -> str:
    try:
        return format_wire_time(parse_legacy_time(raw))
    except InvalidTime:
        findings.append(Finding("unreadable_step_deadline", "qua_trinh_xu_ly.han_xu_ly"))
        return ""
