"""Field rules of contract sections 1-3: one named case per rule, each mutating one field."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

import pytest

from igate_sync.upstream.simulator.rules import (
    compute_phien_ban,
    parse_wire_time,
    validate_dossier,
    validate_event,
)
from tests.unit.simulator.builders import AGENCY, dossier, event, phien_ban, seal

NFD_NAME = unicodedata.normalize("NFD", "Hòa")
BAD = "SAI_DINH_DANG"
CODE = "GIA_TRI_KHONG_HOP_LE"


def test_valid_dossier_has_no_errors() -> None:
    assert validate_dossier(dossier(), AGENCY) == []


def test_phien_ban_matches_the_contracts_recipe() -> None:
    obj = dossier()
    assert compute_phien_ban(obj) == phien_ban(obj) == obj["PhienBan"]


def test_phien_ban_ignores_ngay_cap_nhat() -> None:
    assert dossier(NgayCapNhat="20220101000000")["PhienBan"] == dossier()["PhienBan"]


VALID_VARIANTS: dict[str, dict[str, Any]] = {
    "five_digit_counter": {"MaHoSo": f"{AGENCY}-210311-12345"},
    "mattHC_with_local_suffix": {"MaTTHC": "1.001193.000.00.00.H16"},
    "single_token_name": {"ChuHoSo": "Blir"},
    "no_id_documents": {"DinhDanhCHS": []},
    "old_9_digit_id": {"DinhDanhCHS": [{"LoaiDinhDanh": "2", "SoDinhDanh": "241234567"}]},
    "no_phone": {"SoDienThoai": ""},
    "plausible_email": {"Email": "h.nie@example.vn"},
    "summary_of_1000_chars": {"TrichYeuHoSo": "x" * 1000},
    "due_date_equal_to_intake": {"NgayHenTra": "20210311083000"},
    "no_due_date": {"NgayHenTra": ""},
    "result_returned": {"NgayTra": "20210312100000", "NgayKetThucXuLy": "20210312090000"},
    "status_10": {"TrangThaiHoSo": "10"},
    "empty_lists": {"TaiLieuNop": [], "DanhSachLePhi": []},
    "empty_optional_text": {"MaLinhVuc": "", "TenLinhVuc": "", "DiaChi": "", "DonViXuLy": ""},
    "leap_day": {"NgayTiepNhan": "20240229083000", "NgayHenTra": "20240229235959"},
}


@pytest.mark.parametrize("changes", VALID_VARIANTS.values(), ids=VALID_VARIANTS.keys())
def test_valid_variants_pass(changes: dict[str, Any]) -> None:
    assert validate_dossier(dossier(**changes), AGENCY) == []


DOSSIER_CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (changed fields, Truong, MoTa)
    "ma_ho_so_bad_date_part": ({"MaHoSo": f"{AGENCY}-21031-0001"}, "MaHoSo", BAD),
    "ma_ho_so_short_counter": ({"MaHoSo": f"{AGENCY}-210311-001"}, "MaHoSo", BAD),
    "ma_ho_so_lowercase": ({"MaHoSo": "000.24.24.h16-210311-0001"}, "MaHoSo", BAD),
    "ma_ho_so_empty": ({"MaHoSo": ""}, "MaHoSo", "BAT_BUOC"),
    "ma_ho_so_other_agency": (
        {"MaHoSo": "000.25.24.H16-210311-0001"},
        "MaHoSo",
        "KHONG_KHOP_MA_DON_VI",
    ),
    "ma_tthc_short": ({"MaTTHC": "1.00119"}, "MaTTHC", BAD),
    "ma_tthc_no_dot": ({"MaTTHC": "1001193"}, "MaTTHC", BAD),
    "ma_tthc_lowercase_suffix": ({"MaTTHC": "1.001193.h16"}, "MaTTHC", BAD),
    "ten_tthc_empty": ({"TenTTHC": ""}, "TenTTHC", "BAT_BUOC"),
    "kenh_4": ({"KenhThucHien": "4"}, "KenhThucHien", CODE),
    "kenh_as_number": ({"KenhThucHien": 1}, "KenhThucHien", "KIEU_KHONG_HOP_LE"),
    "muc_do_1": ({"MucDo": "1"}, "MucDo", CODE),
    "muc_do_5": ({"MucDo": "5"}, "MucDo", CODE),
    "chu_ho_so_empty": ({"ChuHoSo": ""}, "ChuHoSo", "BAT_BUOC"),
    "chu_ho_so_leading_space": ({"ChuHoSo": " Y Bhim"}, "ChuHoSo", "KHOANG_TRANG"),
    "chu_ho_so_trailing_space": ({"ChuHoSo": "Y Bhim "}, "ChuHoSo", "KHOANG_TRANG"),
    "chu_ho_so_double_space": ({"ChuHoSo": "Y  Bhim"}, "ChuHoSo", "KHOANG_TRANG"),
    "chu_ho_so_right_quote": ({"ChuHoSo": "H\u2019Hen Niê"}, "ChuHoSo", "DAU_NHAY"),
    "chu_ho_so_modifier_apostrophe": ({"ChuHoSo": "H\u02bcHen Niê"}, "ChuHoSo", "DAU_NHAY"),
    "chu_ho_so_left_quote": ({"ChuHoSo": "H\u2018Hen Niê"}, "ChuHoSo", "DAU_NHAY"),
    "chu_ho_so_backtick": ({"ChuHoSo": "H`Hen Niê"}, "ChuHoSo", "DAU_NHAY"),
    "chu_ho_so_nfd": ({"ChuHoSo": NFD_NAME}, "ChuHoSo", "KHONG_CHUAN_NFC"),
    "loai_doi_tuong_5": ({"LoaiDoiTuong": "5"}, "LoaiDoiTuong", CODE),
    "loai_doi_tuong_0": ({"LoaiDoiTuong": "0"}, "LoaiDoiTuong", CODE),
    "dinh_danh_not_list": ({"DinhDanhCHS": ""}, "DinhDanhCHS", "KIEU_KHONG_HOP_LE"),
    "dinh_danh_item_not_object": (
        {"DinhDanhCHS": ["066190001234"]},
        "DinhDanhCHS[0]",
        ("KIEU_KHONG_HOP_LE"),
    ),
    "dinh_danh_cccd_with_9_digits": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "241234567"}]},
        "DinhDanhCHS[0].SoDinhDanh",
        BAD,
    ),
    "dinh_danh_cmnd_with_12_digits": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "2", "SoDinhDanh": "066190001234"}]},
        "DinhDanhCHS[0].SoDinhDanh",
        BAD,
    ),
    "dinh_danh_13_digits": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "0661900012345"}]},
        "DinhDanhCHS[0].SoDinhDanh",
        BAD,
    ),
    "dinh_danh_with_dots": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "066.190.001.234"}]},
        "DinhDanhCHS[0].SoDinhDanh",
        BAD,
    ),
    "dinh_danh_kind_3": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "3", "SoDinhDanh": "066190001234"}]},
        "DinhDanhCHS[0].LoaiDinhDanh",
        CODE,
    ),
    "dinh_danh_missing_number": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "1"}]},
        "DinhDanhCHS[0].SoDinhDanh",
        "THIEU_TRUONG",
    ),
    "dinh_danh_extra_key": (
        {"DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "066190001234", "NoiCap": ""}]},
        "DinhDanhCHS[0].NoiCap",
        "TRUONG_KHONG_XAC_DINH",
    ),
    "phone_without_zero": ({"SoDienThoai": "912345678"}, "SoDienThoai", BAD),
    "phone_international": ({"SoDienThoai": "+84912345678"}, "SoDienThoai", BAD),
    "phone_old_11_digits": ({"SoDienThoai": "01623456789"}, "SoDienThoai", BAD),
    "phone_with_spaces": ({"SoDienThoai": "0912 345 678"}, "SoDienThoai", BAD),
    "email_without_at": ({"Email": "h.nie.example.vn"}, "Email", BAD),
    "email_without_domain_dot": ({"Email": "h.nie@localhost"}, "Email", BAD),
    "email_with_space": ({"Email": "h nie@example.vn"}, "Email", BAD),
    "summary_too_long": ({"TrichYeuHoSo": "x" * 1001}, "TrichYeuHoSo", "QUA_DAI"),
    "intake_missing_value": ({"NgayTiepNhan": "", "NgayHenTra": ""}, "NgayTiepNhan", "BAT_BUOC"),
    "intake_13_digits": ({"NgayTiepNhan": "2021031108300"}, "NgayTiepNhan", BAD),
    "intake_iso_format": ({"NgayTiepNhan": "2021-03-11T08:30"}, "NgayTiepNhan", BAD),
    "intake_february_30": ({"NgayTiepNhan": "20210230083000"}, "NgayTiepNhan", BAD),
    "intake_hour_25": ({"NgayTiepNhan": "20210311250000"}, "NgayTiepNhan", BAD),
    "intake_second_60": ({"NgayTiepNhan": "20210311083060"}, "NgayTiepNhan", BAD),
    "due_date_bad_format": ({"NgayHenTra": "12/03/2021"}, "NgayHenTra", BAD),
    "due_date_before_intake": (
        {"NgayHenTra": "20210311082959"},
        "NgayHenTra",
        "TRUOC_NGAY_TIEP_NHAN",
    ),
    "finished_bad_format": ({"NgayKetThucXuLy": "20211311000000"}, "NgayKetThucXuLy", BAD),
    "returned_before_intake": ({"NgayTra": "20210310000000"}, "NgayTra", "TRUOC_NGAY_TIEP_NHAN"),
    "returned_bad_format": ({"NgayTra": "20210312"}, "NgayTra", BAD),
    "status_0": ({"TrangThaiHoSo": "0"}, "TrangThaiHoSo", CODE),
    "status_11": ({"TrangThaiHoSo": "11"}, "TrangThaiHoSo", CODE),
    "status_zero_padded": ({"TrangThaiHoSo": "04"}, "TrangThaiHoSo", CODE),
    "status_as_number": ({"TrangThaiHoSo": 4}, "TrangThaiHoSo", "KIEU_KHONG_HOP_LE"),
    "text_field_null": ({"DonViXuLy": None}, "DonViXuLy", "KIEU_KHONG_HOP_LE"),
    "address_nfd": ({"DiaChi": NFD_NAME}, "DiaChi", "KHONG_CHUAN_NFC"),
    "field_name_nfd": ({"TenLinhVuc": NFD_NAME}, "TenLinhVuc", "KHONG_CHUAN_NFC"),
    "document_digitised_2": (
        {"TaiLieuNop": [{"TenTepDinhKem": "Tờ khai", "SoBan": "1", "DuocSoHoa": "2"}]},
        "TaiLieuNop[0].DuocSoHoa",
        CODE,
    ),
    "document_copies_as_number": (
        {"TaiLieuNop": [{"TenTepDinhKem": "Tờ khai", "SoBan": 1, "DuocSoHoa": "1"}]},
        "TaiLieuNop[0].SoBan",
        "KIEU_KHONG_HOP_LE",
    ),
    "document_name_nfd": (
        {"TaiLieuNop": [{"TenTepDinhKem": NFD_NAME, "SoBan": "1", "DuocSoHoa": "1"}]},
        "TaiLieuNop[0].TenTepDinhKem",
        "KHONG_CHUAN_NFC",
    ),
    "document_missing_copies": (
        {"TaiLieuNop": [{"TenTepDinhKem": "Tờ khai", "DuocSoHoa": "1"}]},
        "TaiLieuNop[0].SoBan",
        "THIEU_TRUONG",
    ),
    "fee_with_thousands_dot": (
        {"DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "10.000", "DaThu": "1"}]},
        "DanhSachLePhi[0].Gia",
        BAD,
    ),
    "fee_empty_price": (
        {"DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "", "DaThu": "1"}]},
        "DanhSachLePhi[0].Gia",
        BAD,
    ),
    "fee_paid_yes": (
        {"DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "0", "DaThu": "yes"}]},
        "DanhSachLePhi[0].DaThu",
        CODE,
    ),
    "documents_null": ({"TaiLieuNop": None}, "TaiLieuNop", "KIEU_KHONG_HOP_LE"),
    "updated_at_empty": ({"NgayCapNhat": ""}, "NgayCapNhat", "BAT_BUOC"),
    "updated_at_invalid": ({"NgayCapNhat": "20210229000000"}, "NgayCapNhat", BAD),
    "unknown_key": ({"MaHoSoCu": ""}, "MaHoSoCu", "TRUONG_KHONG_XAC_DINH"),
}


@pytest.mark.parametrize(
    ("changes", "field", "code"), DOSSIER_CASES.values(), ids=DOSSIER_CASES.keys()
)
def test_dossier_rule(changes: dict[str, Any], field: str, code: str) -> None:
    assert validate_dossier(dossier(**changes), AGENCY) == [{"Truong": field, "MoTa": code}]


@pytest.mark.parametrize("key", ["GhiChu", "DanhSachLePhi", "NgayTra", "NgayCapNhat"])
def test_every_key_is_required(key: str) -> None:
    obj = seal({k: v for k, v in dossier().items() if k != key})
    assert validate_dossier(obj, AGENCY) == [{"Truong": key, "MoTa": "THIEU_TRUONG"}]


def test_missing_phien_ban() -> None:
    obj = {k: v for k, v in dossier().items() if k != "PhienBan"}
    assert validate_dossier(obj, AGENCY) == [{"Truong": "PhienBan", "MoTa": "THIEU_TRUONG"}]


def test_phien_ban_mismatch() -> None:
    obj = {**dossier(), "GhiChu": "changed after sealing"}
    assert validate_dossier(obj, AGENCY) == [{"Truong": "PhienBan", "MoTa": "KHONG_KHOP"}]


def test_phien_ban_computed_with_ascii_escaping_is_a_mismatch() -> None:
    obj = dossier()
    body = {k: v for k, v in obj.items() if k not in ("PhienBan", "NgayCapNhat")}
    escaped = json.dumps(body, sort_keys=True, separators=(",", ":"))
    obj["PhienBan"] = hashlib.sha256(escaped.encode()).hexdigest()
    assert validate_dossier(obj, AGENCY) == [{"Truong": "PhienBan", "MoTa": "KHONG_KHOP"}]


def test_phien_ban_uppercase_hex_is_malformed() -> None:
    obj = {**dossier(), "PhienBan": dossier()["PhienBan"].upper()}
    assert validate_dossier(obj, AGENCY) == [{"Truong": "PhienBan", "MoTa": BAD}]


def test_several_errors_are_all_reported() -> None:
    obj = dossier(MucDo="9", SoDienThoai="123", Email="x")
    fields = {error["Truong"] for error in validate_dossier(obj, AGENCY)}
    assert fields == {"MucDo", "SoDienThoai", "Email"}


def test_a_dossier_that_is_not_an_object() -> None:
    assert validate_dossier(["not", "an", "object"], AGENCY) == [
        {"Truong": "", "MoTa": "KIEU_KHONG_HOP_LE"}
    ]


def test_error_descriptions_never_echo_values() -> None:
    errors = validate_dossier(dossier(ChuHoSo=" Nguyễn Văn A", SoDienThoai="0912"), AGENCY)
    assert all("Nguyễn" not in e["MoTa"] and "0912" not in e["MoTa"] for e in errors)


# --- events ---------------------------------------------------------------------------------


def test_valid_event_has_no_errors() -> None:
    assert validate_event(event(), AGENCY) == []
    assert validate_event(event(HanXuLy="20210312235959", NguoiXuLy="x" * 50), AGENCY) == []


EVENT_CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "stt_zero": ({"STT": "0"}, "STT", BAD),
    "stt_zero_padded": ({"STT": "01"}, "STT", BAD),
    "stt_negative": ({"STT": "-1"}, "STT", BAD),
    "stt_number": ({"STT": 1}, "STT", "KIEU_KHONG_HOP_LE"),
    "stt_empty": ({"STT": ""}, "STT", "BAT_BUOC"),
    "handler_51_chars": ({"NguoiXuLy": "x" * 51}, "NguoiXuLy", "QUA_DAI"),
    "handler_nfd": ({"NguoiXuLy": NFD_NAME}, "NguoiXuLy", "KHONG_CHUAN_NFC"),
    "time_missing": ({"ThoiDiemXuLy": ""}, "ThoiDiemXuLy", "BAT_BUOC"),
    "time_invalid": ({"ThoiDiemXuLy": "20210332000000"}, "ThoiDiemXuLy", BAD),
    "status_11": ({"TrangThai": "11"}, "TrangThai", CODE),
    "deadline_bad": ({"HanXuLy": "2021-03-12"}, "HanXuLy", BAD),
    "dossier_code_bad": ({"MaHoSo": "HS-0001"}, "MaHoSo", BAD),
    "dossier_of_other_agency": (
        {"MaHoSo": "000.25.24.H16-210311-0001"},
        "MaHoSo",
        "KHONG_KHOP_MA_DON_VI",
    ),
    "unknown_key": ({"GhiChu": ""}, "GhiChu", "TRUONG_KHONG_XAC_DINH"),
    "content_null": ({"NoiDungXuLy": None}, "NoiDungXuLy", "KIEU_KHONG_HOP_LE"),
}


@pytest.mark.parametrize(("changes", "field", "code"), EVENT_CASES.values(), ids=EVENT_CASES.keys())
def test_event_rule(changes: dict[str, Any], field: str, code: str) -> None:
    assert validate_event(event(**changes), AGENCY) == [{"Truong": field, "MoTa": code}]


def test_event_missing_key() -> None:
    obj = {k: v for k, v in event().items() if k != "ChucDanh"}
    assert validate_event(obj, AGENCY) == [{"Truong": "ChucDanh", "MoTa": "THIEU_TRUONG"}]


# --- wire times -----------------------------------------------------------------------------


def test_wire_time_is_vietnam_local_and_aware() -> None:
    parsed = parse_wire_time("20210311083000")
    assert parsed is not None
    assert parsed.utcoffset() is not None
    assert parsed.isoformat() == "2021-03-11T08:30:00+07:00"


@pytest.mark.parametrize("text", ["", "2021031108300", "202103110830001", "2021031108300x"])
def test_wire_time_rejects_malformed(text: str) -> None:
    assert parse_wire_time(text) is None


def test_wire_time_rejects_non_ascii_digits() -> None:
    assert parse_wire_time("２０２１０３１１０８３０００") is None
