"""Every rule of commune-schemas/README.md's mot_cua_v1 table, one named case each."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from igate_sync.adapters.base import Agency, Finding
from igate_sync.adapters.mot_cua_mapping import map_row
from igate_sync.schemas import DossierContent, phien_ban

AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "so_ho_so": "000.24.24.H16-210311-0001",
        "thu_tu_id": 1,
        "nguoi_nop": "Nguyễn Văn An",
        "ma_hoa": "UNICODE",
        "loai_doi_tuong": 1,
        "so_giay_to": "066 2 01 123456",
        "dien_thoai": "0905 123 456",
        "email": None,
        "dia_chi": "Thôn 3, xã Ea Yiêng",
        "trich_yeu": "Đăng ký khai sinh",
        "kenh_nop": "TRUC_TIEP",
        "ngay_nhan": "11/03/2021 08:30",
        "ngay_hen_tra": "15/03/2021",
        "ngay_ket_thuc_xu_ly": None,
        "ngay_tra": None,
        "trang_thai": "Đang xử lý",
        "ma_don_vi": "000.24.24.H16",
        "ma_xa": "24535",
        "ghi_chu": None,
        "da_xoa": 0,
        "ngay_cap_nhat": datetime(2021, 3, 11, 9, 0),  # noqa: DTZ001 - naive local, as the source
        "ma_tthc": "1.001193",
        "ten_tthc": "Đăng ký khai sinh",
        "muc_do": 3,
        "ma_linh_vuc": "HT",
        "ten_linh_vuc": "Hộ tịch",
    }
    base.update(changes)
    return base


def mapped(**changes: Any) -> dict[str, Any]:
    record = map_row(row(**changes), AGENCY)
    assert record.kind == "dossier", record.problem
    assert record.content is not None
    return record.content


def reason(**changes: Any) -> str:
    record = map_row(row(**changes), AGENCY)
    assert record.kind == "quarantined"
    assert record.problem is not None
    return record.problem.reason


# --- MaHoSo ----------------------------------------------------------------------------


def test_dossier_code_is_trimmed() -> None:
    assert mapped(so_ho_so="  000.24.24.H16-210311-0001 ")["MaHoSo"] == "000.24.24.H16-210311-0001"


def test_null_dossier_code_is_a_draft() -> None:
    assert map_row(row(so_ho_so=None), AGENCY).kind == "draft"


def test_blank_dossier_code_is_a_draft() -> None:
    assert map_row(row(so_ho_so="   "), AGENCY).kind == "draft"


def test_local_number_is_invalid_dossier_code() -> None:
    assert reason(so_ho_so="HS-2019-00012") == "invalid_dossier_code"


def test_other_agency_prefix_is_invalid_dossier_code() -> None:
    assert reason(so_ho_so="000.24.25.H16-210311-0001") == "invalid_dossier_code"


def test_soft_deleted_row_is_only_deleted_even_when_also_broken() -> None:
    record = map_row(row(da_xoa=1, so_ho_so=None, nguoi_nop=None), AGENCY)
    assert record.kind == "deleted"


def test_draft_wins_over_other_broken_rules() -> None:
    assert map_row(row(so_ho_so=None, trang_thai="chờ ký"), AGENCY).kind == "draft"


def test_first_broken_rule_in_table_order_gives_the_reason() -> None:
    assert reason(kenh_nop="qua zalo", nguoi_nop=None, trang_thai="chờ ký") == "unknown_channel"


# --- procedure -------------------------------------------------------------------------


def test_procedure_code_spaces_removed() -> None:
    assert mapped(ma_tthc=" 1.00 1193 ")["MaTTHC"] == "1.001193"


def test_procedure_code_with_local_suffix_kept() -> None:
    assert mapped(ma_tthc="1.001193.000.00.00.H16")["MaTTHC"] == "1.001193.000.00.00.H16"


def test_bad_procedure_code_is_quarantined() -> None:
    assert reason(ma_tthc="KS-01") == "invalid_procedure_code"


def test_missing_procedure_is_invalid_procedure_code() -> None:
    assert reason(ma_tthc=None, ten_tthc=None) == "invalid_procedure_code"


def test_procedure_name_is_clean_text() -> None:
    assert mapped(ten_tthc="  Đăng  ký\tkhai sinh ")["TenTTHC"] == "Đăng ký khai sinh"


def test_field_codes_empty_when_null() -> None:
    content = mapped(ma_linh_vuc=None, ten_linh_vuc=None)
    assert (content["MaLinhVuc"], content["TenLinhVuc"]) == ("", "")


def test_online_level_null_is_2() -> None:
    assert mapped(muc_do=None)["MucDo"] == "2"


def test_online_level_kept() -> None:
    assert mapped(muc_do=4)["MucDo"] == "4"


# --- channel ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("TRUC_TIEP", "1"),
        (None, "1"),
        ("truc tiep", "1"),
        ("Truc tuyen", "2"),
        ("TRUC_TUYEN", "2"),
        ("BUU_CHINH", "3"),
        ("Bưu chính", "3"),
    ],
)
def test_channel_labels(label: str | None, code: str) -> None:
    assert mapped(kenh_nop=label)["KenhThucHien"] == code


def test_unknown_channel_is_quarantined() -> None:
    assert reason(kenh_nop="qua zalo") == "unknown_channel"


# --- applicant -------------------------------------------------------------------------


def test_applicant_nfd_becomes_nfc() -> None:
    name = unicodedata.normalize("NFD", "Trần Thị Thuỷ")
    assert mapped(nguoi_nop=name)["ChuHoSo"] == unicodedata.normalize("NFC", "Trần Thị Thuỷ")


def test_applicant_keeps_tone_placement() -> None:
    assert mapped(nguoi_nop="Lê Hoà")["ChuHoSo"] == "Lê Hoà"
    assert mapped(nguoi_nop="Lê Hòa")["ChuHoSo"] == "Lê Hòa"


def test_applicant_spaces_collapsed_and_apostrophe_normalised() -> None:
    assert mapped(nguoi_nop="  H’Hen   Niê ")["ChuHoSo"] == "H'Hen Niê"


def test_single_token_name_is_fine() -> None:
    assert mapped(nguoi_nop="Blưn")["ChuHoSo"] == "Blưn"


def test_missing_applicant_is_quarantined() -> None:
    assert reason(nguoi_nop="  \u200b ") == "missing_applicant"


def test_applicant_type_null_is_citizen() -> None:
    assert mapped(loai_doi_tuong=None)["LoaiDoiTuong"] == "1"


# --- IDs, phones, e-mail ---------------------------------------------------------------


def test_twelve_digit_id_is_cccd() -> None:
    assert mapped(so_giay_to="066.201.123.456")["DinhDanhCHS"] == [
        {"LoaiDinhDanh": "1", "SoDinhDanh": "066201123456"}
    ]


def test_nine_digit_id_is_cmnd_with_leading_zero_kept() -> None:
    assert mapped(so_giay_to="024-123-456")["DinhDanhCHS"] == [
        {"LoaiDinhDanh": "2", "SoDinhDanh": "024123456"}
    ]


def test_passport_number_gives_no_id_and_a_finding() -> None:
    record = map_row(row(so_giay_to="B1234567"), AGENCY)
    assert record.content is not None
    assert record.content["DinhDanhCHS"] == []
    assert Finding("unusable_id", "so_giay_to") in record.findings


def test_empty_id_is_no_finding() -> None:
    record = map_row(row(so_giay_to=""), AGENCY)
    assert record.content is not None
    assert record.content["DinhDanhCHS"] == []
    assert record.findings == ()


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("0905 123 456", "0905123456"),
        ("0905.123.456", "0905123456"),
        ("+84 905123456", "0905123456"),
        ("84905123456", "0905123456"),
        ("01689123456", "0389123456"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_forms(raw: str | None, phone: str) -> None:
    assert mapped(dien_thoai=raw)["SoDienThoai"] == phone


def test_unusable_phone_is_empty_and_a_finding() -> None:
    record = map_row(row(dien_thoai="12345"), AGENCY)
    assert record.content is not None
    assert record.content["SoDienThoai"] == ""
    assert Finding("unusable_phone", "dien_thoai") in record.findings


def test_valid_email_kept_invalid_dropped() -> None:
    assert mapped(email=" an@example.vn ")["Email"] == "an@example.vn"
    assert mapped(email="an at example")["Email"] == ""


# --- texts -----------------------------------------------------------------------------


def test_summary_cut_at_1000_characters() -> None:
    summary = mapped(trich_yeu="x" * 1001)["TrichYeuHoSo"]
    assert len(summary) == 1000
    assert summary.endswith("...")
    assert summary[:997] == "x" * 997


def test_summary_of_exactly_1000_characters_kept() -> None:
    assert mapped(trich_yeu="y" * 1000)["TrichYeuHoSo"] == "y" * 1000


def test_address_and_note_are_clean_text() -> None:
    content = mapped(dia_chi=" Buôn\u00a0Ea  Yiêng ", ghi_chu=None)
    assert (content["DiaChi"], content["GhiChu"]) == ("Buôn Ea Yiêng", "")


def test_agency_name_is_configured() -> None:
    assert mapped()["DonViXuLy"] == "UBND xã Ea Yiêng"


# --- times -----------------------------------------------------------------------------


def test_received_time_with_minutes() -> None:
    assert mapped(ngay_nhan="11/03/2021 08:30")["NgayTiepNhan"] == "20210311083000"


def test_received_date_only_is_midnight() -> None:
    assert mapped(ngay_nhan="11/03/2021")["NgayTiepNhan"] == "20210311000000"


@pytest.mark.parametrize("raw", ["31/02/2021", "00/00/0000", None, "hôm qua"])
def test_bad_received_time_is_quarantined(raw: str | None) -> None:
    assert reason(ngay_nhan=raw) == "invalid_received_time"


def test_due_date_only_means_end_of_day() -> None:
    assert mapped(ngay_hen_tra="15/03/2021")["NgayHenTra"] == "20210315235959"


def test_due_with_time_kept() -> None:
    assert mapped(ngay_hen_tra="15/03/2021 16:00")["NgayHenTra"] == "20210315160000"


def test_no_due_date_is_empty() -> None:
    assert mapped(ngay_hen_tra=None)["NgayHenTra"] == ""


def test_invalid_due_is_quarantined() -> None:
    assert reason(ngay_hen_tra="99/99/2021") == "invalid_due_time"


def test_due_before_received_is_quarantined() -> None:
    assert reason(ngay_hen_tra="10/03/2021") == "due_before_received"


def test_due_on_the_received_day_is_fine() -> None:
    assert mapped(ngay_hen_tra="11/03/2021")["NgayHenTra"] == "20210311235959"


def test_finished_and_returned_times() -> None:
    content = mapped(ngay_ket_thuc_xu_ly="14/03/2021 10:00", ngay_tra="15/03/2021")
    assert (content["NgayKetThucXuLy"], content["NgayTra"]) == ("20210314100000", "20210315000000")


def test_invalid_finished_time_is_quarantined() -> None:
    assert reason(ngay_ket_thuc_xu_ly="32/01/2021") == "invalid_time"


def test_invalid_returned_time_is_quarantined() -> None:
    assert reason(ngay_tra="00/00/0000") == "invalid_time"


def test_returned_before_received_is_quarantined() -> None:
    assert reason(ngay_tra="01/03/2021") == "returned_before_received"


# --- status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Mới đăng ký", "1"),
        ("đã tiếp nhận", "2"),
        ("Từ chối tiếp nhận", "3"),
        ("ĐANG GIẢI QUYẾT", "4"),
        ("yêu cầu bổ sung", "5"),
        ("chờ nộp phí", "6"),
        ("Công dân rút hồ sơ", "7"),
        ("tạm dừng", "8"),
        ("Đã  Giải quyết", "9"),
        ("da giai quyet", "9"),
        (unicodedata.normalize("NFD", "Đã trả kết quả"), "10"),
    ],
)
def test_status_labels(label: str, code: str) -> None:
    assert mapped(trang_thai=label)["TrangThaiHoSo"] == code


@pytest.mark.parametrize("label", ["chờ ký", None])
def test_unknown_status_is_quarantined(label: str | None) -> None:
    assert reason(trang_thai=label) == "unknown_status"


# --- children --------------------------------------------------------------------------


def test_documents_in_order_with_defaults() -> None:
    docs = [
        {"id": 1, "ten_giay_to": " Tờ khai ", "so_ban": None, "da_so_hoa": 1},
        {"id": 2, "ten_giay_to": "Giấy chứng sinh", "so_ban": 2, "da_so_hoa": 0},
    ]
    record = map_row(row(), AGENCY, documents=docs)
    assert record.content is not None
    assert record.content["TaiLieuNop"] == [
        {"TenTepDinhKem": "Tờ khai", "SoBan": "1", "DuocSoHoa": "1"},
        {"TenTepDinhKem": "Giấy chứng sinh", "SoBan": "2", "DuocSoHoa": "0"},
    ]


def test_fees_whole_vnd_digits() -> None:
    fees = [{"id": 1, "ten_phi": "Lệ phí", "so_tien": Decimal("8000"), "da_thu": 1}]
    record = map_row(row(), AGENCY, fees=fees)
    assert record.content is not None
    assert record.content["DanhSachLePhi"] == [
        {"TenPhiLePhi": "Lệ phí", "Gia": "8000", "DaThu": "1"}
    ]


def test_lists_present_when_empty() -> None:
    content = mapped()
    assert (content["TaiLieuNop"], content["DanhSachLePhi"]) == ([], [])


# --- events ----------------------------------------------------------------------------


def step(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "thu_tu": 1,
        "nguoi_xu_ly": "Y Niê Kdăm",
        "chuc_danh": "Công chức Tư pháp - Hộ tịch",
        "phong_ban": "Bộ phận một cửa",
        "thoi_diem": "11/03/2021 09:00",
        "noi_dung": "Tiếp nhận hồ sơ",
        "trang_thai": "đã tiếp nhận",
        "han_xu_ly": None,
    }
    base.update(changes)
    return base


def test_event_fields() -> None:
    record = map_row(row(), AGENCY, steps=[step(han_xu_ly="12/03/2021 17:00")])
    assert record.events == (
        {
            "MaHoSo": "000.24.24.H16-210311-0001",
            "STT": "1",
            "NguoiXuLy": "Y Niê Kdăm",
            "ChucDanh": "Công chức Tư pháp - Hộ tịch",
            "PhongBanXuLy": "Bộ phận một cửa",
            "ThoiDiemXuLy": "20210311090000",
            "NoiDungXuLy": "Tiếp nhận hồ sơ",
            "TrangThai": "2",
            "HanXuLy": "20210312170000",
        },
    )


def test_event_officer_cut_to_50_then_trimmed() -> None:
    name = "A" * 49 + " " + "B" * 10
    (event,) = map_row(row(), AGENCY, steps=[step(nguoi_xu_ly=name)]).events
    assert event["NguoiXuLy"] == "A" * 49


def test_event_unknown_status_is_4() -> None:
    (event,) = map_row(row(), AGENCY, steps=[step(trang_thai="chờ ký")]).events
    assert event["TrangThai"] == "4"


def test_event_with_unreadable_time_is_not_sent_and_is_a_finding() -> None:
    record = map_row(row(), AGENCY, steps=[step(thoi_diem="31/02/2021 09:00"), step(thu_tu=2)])
    assert [e["STT"] for e in record.events] == ["2"]
    assert any(f.code == "unreadable_event" for f in record.findings)


def test_event_unreadable_deadline_is_empty_and_a_finding() -> None:
    record = map_row(row(), AGENCY, steps=[step(han_xu_ly="99/99/9999")])
    assert record.events[0]["HanXuLy"] == ""
    assert Finding("unreadable_step_deadline", "qua_trinh_xu_ly.han_xu_ly") in record.findings


def test_no_events_for_quarantined_rows() -> None:
    assert map_row(row(trang_thai="chờ ký"), AGENCY, steps=[step()]).events == ()


# --- legacy encodings ------------------------------------------------------------------


def test_unknown_encoding_is_quarantined_not_guessed() -> None:
    assert reason(ma_hoa="VISCII") == "unknown_encoding"


# --- version ---------------------------------------------------------------------------


def test_content_is_valid_wire_and_phien_ban_matches() -> None:
    record = map_row(row(), AGENCY)
    assert record.content is not None
    DossierContent.model_validate(record.content)
    assert record.phien_ban == phien_ban(record.content)


def test_nfd_and_nfc_sources_give_one_phien_ban() -> None:
    nfd = map_row(row(nguoi_nop=unicodedata.normalize("NFD", "Nguyễn Văn An")), AGENCY)
    nfc = map_row(row(), AGENCY)
    assert nfd.phien_ban == nfc.phien_ban


def test_change_time_is_local_and_aware() -> None:
    record = map_row(row(), AGENCY)
    assert record.changed_at is not None
    assert record.changed_at.utcoffset() is not None
    assert record.changed_at.isoformat() == "2021-03-11T09:00:00+07:00"


def test_quarantine_keeps_redacted_shape_not_value() -> None:
    record = map_row(row(ngay_nhan="31/02/2021"), AGENCY)
    assert record.problem is not None
    assert (record.problem.field, record.problem.value_shape) == ("ngay_nhan", "99/99/9999")
