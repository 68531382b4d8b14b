"""mot_cua_v1 row → wire dossier, exactly as commune-schemas/README.md says.

Pure: a joined ``ho_so`` row and its child rows in, a ``SourceRecord`` out. The first rule a
row breaks, in the order of the spec's table, gives its one quarantine reason. A row whose
``ma_hoa`` names no known encoding is quarantined as ``unknown_encoding`` rather than guessed.
Anything the wire model still refuses after these rules is quarantined as
``invalid_content`` with the field the model named. The rules themselves live in
``transforms``, shared with the declarative mapping adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from igate_sync.adapters.base import Agency, Finding, SourceRecord
from igate_sync.adapters.transforms import (
    OFFICER_LIMIT,
    SUMMARY_LIMIT,
    Quarantine,
    channel,
    check_content,
    dossier_code,
    dossier_record,
    email,
    flag,
    identity_documents,
    legacy_decoder,
    legacy_time,
    not_before,
    phone,
    procedure_code,
    quarantined_record,
    sendable_event,
    status,
    whole_digits,
)
from igate_sync.normalize import (
    InvalidTime,
    as_local,
    clean_text,
    cut,
    format_wire_time,
    parse_legacy_time,
    status_from_label,
    truncate,
)

__all__ = ["Quarantine", "identity_documents", "map_row", "phone"]

Row = Mapping[Any, Any]
Decoder = Callable[[str | None], str | None]


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
        return quarantined_record(key, raw_code, changed_at, q)


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
    check_content(content)
    events = tuple(e for s in steps if (e := _event(s, code, text, findings)) is not None)
    return dossier_record(key, code, changed_at, content, findings, events)


def _decoder(ma_hoa: str | None) -> Decoder:
    decode = legacy_decoder(ma_hoa)

    def text(value: str | None) -> str | None:
        return clean_text(decode(value))

    return text


def _dossier_fields(
    row: Row, agency: Agency, code: str, text: Decoder, findings: list[Finding]
) -> dict[str, Any]:
    """Every scalar field, checked in the order of the spec's table."""
    fields: dict[str, Any] = {"MaHoSo": dossier_code(code, agency.code)}
    fields.update(_procedure(row))
    fields["KenhThucHien"] = channel(text(row["kenh_nop"]))
    fields["MucDo"] = whole_digits(row["muc_do"], field="muc_do") or "2"
    fields.update(_applicant(row, text, findings))
    fields["DiaChi"] = text(row["dia_chi"]) or ""
    fields["TrichYeuHoSo"] = truncate(text(row["trich_yeu"]) or "", SUMMARY_LIMIT)
    fields.update(_times(row))
    fields["TrangThaiHoSo"] = status(text(row["trang_thai"]))
    fields["DonViXuLy"] = agency.name
    fields["GhiChu"] = text(row["ghi_chu"]) or ""
    return fields


def _procedure(row: Row) -> dict[str, str]:
    return {
        "MaTTHC": procedure_code(row["ma_tthc"]),
        "TenTTHC": clean_text(row["ten_tthc"]) or "",
        "MaLinhVuc": row["ma_linh_vuc"] or "",
        "TenLinhVuc": clean_text(row["ten_linh_vuc"]) or "",
    }


def _applicant(row: Row, text: Decoder, findings: list[Finding]) -> dict[str, Any]:
    name = text(row["nguoi_nop"])
    if name is None:
        raise Quarantine("missing_applicant", "nguoi_nop", row["nguoi_nop"])
    return {
        "ChuHoSo": name,
        "LoaiDoiTuong": whole_digits(row["loai_doi_tuong"], field="loai_doi_tuong") or "1",
        "DinhDanhCHS": identity_documents(row["so_giay_to"], findings),
        "SoDienThoai": phone(row["dien_thoai"], findings),
        "Email": email(text(row["email"])),
    }


def _times(row: Row) -> dict[str, str]:
    received = legacy_time(
        row["ngay_nhan"], reason="invalid_received_time", field="ngay_nhan", required=True
    )
    due = legacy_time(
        row["ngay_hen_tra"], reason="invalid_due_time", field="ngay_hen_tra", end_of_day=True
    )
    not_before(
        due, received, row["ngay_hen_tra"], reason="due_before_received", field="ngay_hen_tra"
    )
    finished = legacy_time(
        row["ngay_ket_thuc_xu_ly"], reason="invalid_time", field="ngay_ket_thuc_xu_ly"
    )
    returned = legacy_time(row["ngay_tra"], reason="invalid_time", field="ngay_tra")
    not_before(
        returned, received, row["ngay_tra"], reason="returned_before_received", field="ngay_tra"
    )
    return {
        "NgayTiepNhan": format_wire_time(received),
        "NgayHenTra": format_wire_time(due),
        "NgayKetThucXuLy": format_wire_time(finished),
        "NgayTra": format_wire_time(returned),
    }


def _document(row: Row, text: Decoder) -> dict[str, str]:
    return {
        "TenTepDinhKem": text(row["ten_giay_to"]) or "",
        "SoBan": whole_digits(row["so_ban"], field="giay_to_nop.so_ban") or "1",
        "DuocSoHoa": flag(row["da_so_hoa"]),
    }


def _fee(row: Row, text: Decoder) -> dict[str, str]:
    return {
        "TenPhiLePhi": text(row["ten_phi"]) or "",
        "Gia": whole_digits(row["so_tien"], field="le_phi.so_tien") or "",
        "DaThu": flag(row["da_thu"]),
    }


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
        "NguoiXuLy": cut(text(step["nguoi_xu_ly"]) or "", OFFICER_LIMIT),
        "ChucDanh": text(step["chuc_danh"]) or "",
        "PhongBanXuLy": text(step["phong_ban"]) or "",
        "ThoiDiemXuLy": format_wire_time(at),
        "NoiDungXuLy": text(step["noi_dung"]) or "",
        "TrangThai": status_from_label(text(step["trang_thai"])) or "4",
        "HanXuLy": _step_deadline(step["han_xu_ly"], findings),
    }
    return event if sendable_event(event, findings, field="qua_trinh_xu_ly") else None


def _step_deadline(raw: str | None, findings: list[Finding]) -> str:
    try:
        return format_wire_time(parse_legacy_time(raw))
    except InvalidTime:
        findings.append(Finding("unreadable_step_deadline", "qua_trinh_xu_ly.han_xu_ly"))
        return ""
