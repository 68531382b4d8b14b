"""Every rule of commune-schemas/README.md's ho_tich_v1 table, one named case each."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from igate_sync.adapters.base import Agency, Finding, Problem
from igate_sync.adapters.ho_tich_mapping import Procedure, map_row
from igate_sync.sample.ho_tich import DEFAULT_PROCEDURES
from igate_sync.schemas import DossierContent, phien_ban

AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")
PROCEDURES = DEFAULT_PROCEDURES
GUID = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"


def local(*parts: int) -> datetime:
    return datetime(*parts)  # noqa: DTZ001 - naive local time, as the source keeps it


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ma_yc": GUID,
        "loai": "KS",
        "so_bien_nhan": "000.24.24.H16-210311-5001",
        "ten_nguoi_yc": "Nguyễn Văn An",
        "giay_to_loai": 1,
        "giay_to_so": "066 2 01 123456",
        "sdt": "0905 123 456",
        "dia_chi": "Thôn 3, xã Ea Yiêng",
        "nop_qua": 0,
        "tg_tiep_nhan": local(2021, 3, 11, 8, 30, 15),
        "han_tra": date(2021, 3, 15),
        "tg_tra": None,
        "tinh_trang": 1,
        "ly_do_tu_choi": None,
        "can_bo_xu_ly": "Lê Văn Hoà",
        "sua_luc": local(2021, 3, 11, 9, 0, 0),
    }
    base.update(changes)
    return base


def mapped(**changes: Any) -> dict[str, Any]:
    record = map_row(row(**changes), AGENCY, PROCEDURES)
    assert record.kind == "dossier", record.problem
    assert record.content is not None
    return record.content


def problem(**changes: Any) -> Problem:
    record = map_row(row(**changes), AGENCY, PROCEDURES)
    assert record.kind == "quarantined"
    assert record.problem is not None
    return record.problem


def reason(**changes: Any) -> str:
    return problem(**changes).reason


# --- the whole dossier -----------------------------------------------------------------


def test_a_plain_row_gives_the_whole_wire_dossier() -> None:
    record = map_row(row(), AGENCY, PROCEDURES)
    assert (record.source_key, record.kind, record.ma_ho_so) == (
        GUID,
        "dossier",
        "000.24.24.H16-210311-5001",
    )
    assert record.content == {
        "MaHoSo": "000.24.24.H16-210311-5001",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "HT",
        "TenLinhVuc": "Hộ tịch",
        "MucDo": "4",
        "KenhThucHien": "1",
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": "1",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "066201123456"}],
        "SoDienThoai": "0905123456",
        "Email": "",
        "DiaChi": "Thôn 3, xã Ea Yiêng",
        "TrichYeuHoSo": "Đăng ký khai sinh - Nguyễn Văn An",
        "NgayTiepNhan": "20210311083015",
        "NgayHenTra": "20210315235959",
        "NgayTra": "",
        "NgayKetThucXuLy": "",
        "TrangThaiHoSo": "4",
        "DonViXuLy": "UBND xã Ea Yiêng",
        "GhiChu": "",
        "TaiLieuNop": [],
        "DanhSachLePhi": [],
    }
    assert record.findings == ()


def test_content_is_valid_wire_and_phien_ban_matches() -> None:
    record = map_row(row(), AGENCY, PROCEDURES)
    assert record.content is not None
    DossierContent.model_validate(record.content)
    assert record.phien_ban == phien_ban(record.content)


# --- MaHoSo ----------------------------------------------------------------------------


def test_dossier_code_is_trimmed() -> None:
    record = map_row(row(so_bien_nhan=" 000.24.24.H16-210311-5001  "), AGENCY, PROCEDURES)
    assert record.ma_ho_so == "000.24.24.H16-210311-5001"
    assert record.content is not None
    assert record.content["MaHoSo"] == "000.24.24.H16-210311-5001"


@pytest.mark.parametrize("code", [None, "", "   "])
def test_no_dossier_code_is_a_draft(code: str | None) -> None:
    record = map_row(row(so_bien_nhan=code), AGENCY, PROCEDURES)
    assert (record.kind, record.ma_ho_so, record.content) == ("draft", None, None)


def test_draft_wins_over_every_broken_rule() -> None:
    broken = row(so_bien_nhan=None, loai="NCN", nop_qua=7, ten_nguoi_yc="", tinh_trang=9)
    assert map_row(broken, AGENCY, PROCEDURES).kind == "draft"


@pytest.mark.parametrize(
    "code",
    [
        "HT-2021-000123",  # a local receipt number
        "000.24.25.H16-210311-5001",  # another agency's prefix
        "000.24.24.h16-210311-5001",  # lower case
        "000.24.24.H16-2103115001",  # the second dash left out
    ],
)
def test_bad_dossier_code_is_quarantined(code: str) -> None:
    assert reason(so_bien_nhan=code) == "invalid_dossier_code"


def test_first_broken_rule_in_table_order_gives_the_reason() -> None:
    everything = {
        "so_bien_nhan": "HT-2021-000123",
        "loai": "NCN",
        "nop_qua": 7,
        "ten_nguoi_yc": " ",
        "han_tra": date(2021, 3, 1),
        "tg_tra": local(2021, 3, 1, 8, 0),
        "tinh_trang": 9,
    }
    order = [
        ("so_bien_nhan", "invalid_dossier_code"),
        ("loai", "unknown_procedure"),
        ("nop_qua", "unknown_channel"),
        ("ten_nguoi_yc", "missing_applicant"),
        ("han_tra", "due_before_received"),
        ("tg_tra", "returned_before_received"),
        ("tinh_trang", "unknown_status"),
    ]
    for column, expected in order:
        assert reason(**everything) == expected
        del everything[column]
    assert mapped(**everything)["TrangThaiHoSo"] == "4"


# --- procedure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loai", "ma_tthc", "muc_do"),
    [
        ("KS", "1.001193", "4"),
        ("KT", "1.000656", "4"),
        ("KH", "1.000894", "3"),
        ("XNHN", "1.004873", "4"),
        ("CMC", "1.001022", "3"),
    ],
)
def test_procedure_fields_come_from_the_configured_table(
    loai: str, ma_tthc: str, muc_do: str
) -> None:
    content = mapped(loai=loai)
    assert (content["MaTTHC"], content["MucDo"]) == (ma_tthc, muc_do)
    assert content["TenTTHC"] == PROCEDURES[loai].ten_tthc
    assert (content["MaLinhVuc"], content["TenLinhVuc"]) == ("HT", "Hộ tịch")


def test_a_deployments_own_table_is_used() -> None:
    own = {"KS": Procedure("1.001193.000.00.00.H16", "Thủ tục  đăng ký khai sinh", "HT", "", 2)}
    record = map_row(row(), AGENCY, own)
    assert record.content is not None
    assert record.content["MaTTHC"] == "1.001193.000.00.00.H16"
    assert record.content["TenTTHC"] == "Thủ tục đăng ký khai sinh"
    assert (record.content["TenLinhVuc"], record.content["MucDo"]) == ("", "2")


def test_loai_is_matched_without_surrounding_spaces() -> None:
    assert mapped(loai="XNHN ")["MaTTHC"] == "1.004873"


@pytest.mark.parametrize("loai", ["NCN", "TDHT", "", None])
def test_loai_missing_from_the_table_is_unknown_procedure(loai: str | None) -> None:
    assert reason(loai=loai) == "unknown_procedure"


def test_an_empty_procedure_table_quarantines_every_row() -> None:
    record = map_row(row(), AGENCY, {})
    assert record.problem == Problem("unknown_procedure", "loai", "AA")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"ma_tthc": "1.00 1193"}, "ma_tthc"),
        ({"ma_tthc": "KS-01"}, "ma_tthc"),
        ({"ten_tthc": " \u200b "}, "ten_tthc"),
        ({"muc_do": 1}, "muc_do"),
        ({"muc_do": 5}, "muc_do"),
    ],
)
def test_a_procedure_that_cannot_go_on_the_wire_is_refused_when_built(
    fields: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        replace(PROCEDURES["KS"], **fields)


# --- channel ---------------------------------------------------------------------------


@pytest.mark.parametrize(("nop_qua", "code"), [(0, "1"), (1, "2"), (2, "3")])
def test_channel_codes(nop_qua: int, code: str) -> None:
    assert mapped(nop_qua=nop_qua)["KenhThucHien"] == code


@pytest.mark.parametrize("nop_qua", [7, 3, -1, None])
def test_any_other_channel_is_quarantined(nop_qua: int | None) -> None:
    assert reason(nop_qua=nop_qua) == "unknown_channel"


# --- applicant -------------------------------------------------------------------------


def test_applicant_nfd_becomes_nfc() -> None:
    name = unicodedata.normalize("NFD", "Trần Thị Thuỷ")
    assert mapped(ten_nguoi_yc=name)["ChuHoSo"] == unicodedata.normalize("NFC", "Trần Thị Thuỷ")


def test_applicant_keeps_tone_placement() -> None:
    assert mapped(ten_nguoi_yc="Lê Hoà")["ChuHoSo"] == "Lê Hoà"
    assert mapped(ten_nguoi_yc="Lê Hòa")["ChuHoSo"] == "Lê Hòa"


def test_applicant_is_clean_text() -> None:
    name = " H’Hen\u200b   Niê\t"
    assert mapped(ten_nguoi_yc=name)["ChuHoSo"] == "H'Hen Niê"


def test_single_token_name_is_fine() -> None:
    assert mapped(ten_nguoi_yc="Blưn")["ChuHoSo"] == "Blưn"


@pytest.mark.parametrize("name", ["", "   ", "\u200b", "\u00a0 \ufeff", None])
def test_empty_applicant_is_quarantined(name: str | None) -> None:
    assert reason(ten_nguoi_yc=name) == "missing_applicant"


def test_applicant_type_is_always_citizen() -> None:
    assert mapped()["LoaiDoiTuong"] == "1"


# --- IDs, phones, e-mail ---------------------------------------------------------------


@pytest.mark.parametrize("giay_to_loai", [1, 2, 3, 4, None])
def test_twelve_digits_are_a_cccd_whatever_giay_to_loai_says(giay_to_loai: int | None) -> None:
    content = mapped(giay_to_so="066.201.123.456", giay_to_loai=giay_to_loai)
    assert content["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": "066201123456"}]


@pytest.mark.parametrize("giay_to_loai", [1, 2, 3, None])
def test_nine_digits_are_a_cmnd_whatever_giay_to_loai_says(giay_to_loai: int | None) -> None:
    content = mapped(giay_to_so="024-123-456", giay_to_loai=giay_to_loai)
    assert content["DinhDanhCHS"] == [{"LoaiDinhDanh": "2", "SoDinhDanh": "024123456"}]


@pytest.mark.parametrize(("number", "giay_to_loai"), [("B1234567", 3), ("0661234567", 1)])
def test_unusable_id_gives_no_id_and_a_finding_on_giay_to_so(
    number: str, giay_to_loai: int
) -> None:
    record = map_row(row(giay_to_so=number, giay_to_loai=giay_to_loai), AGENCY, PROCEDURES)
    assert record.kind == "dossier"
    assert record.content is not None
    assert record.content["DinhDanhCHS"] == []
    assert record.findings == (Finding("unusable_id", "giay_to_so"),)


@pytest.mark.parametrize("number", [None, "", "  "])
def test_no_id_is_no_finding(number: str | None) -> None:
    record = map_row(row(giay_to_so=number, giay_to_loai=None), AGENCY, PROCEDURES)
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
    assert mapped(sdt=raw)["SoDienThoai"] == phone


def test_unusable_phone_is_empty_and_a_finding_on_sdt() -> None:
    record = map_row(row(sdt="12345"), AGENCY, PROCEDURES)
    assert record.content is not None
    assert record.content["SoDienThoai"] == ""
    assert record.findings == (Finding("unusable_phone", "sdt"),)


def test_findings_of_id_and_phone_together() -> None:
    record = map_row(row(giay_to_so="B1234567", sdt="không có"), AGENCY, PROCEDURES)
    assert record.findings == (
        Finding("unusable_id", "giay_to_so"),
        Finding("unusable_phone", "sdt"),
    )


def test_quarantined_rows_carry_no_findings() -> None:
    record = map_row(row(giay_to_so="B1234567", tinh_trang=9), AGENCY, PROCEDURES)
    assert (record.kind, record.findings) == ("quarantined", ())


def test_email_is_always_empty() -> None:
    assert mapped()["Email"] == ""


# --- texts -----------------------------------------------------------------------------


def test_address_is_clean_text() -> None:
    assert mapped(dia_chi=" Buôn\u00a0Ea  Yiêng ")["DiaChi"] == "Buôn Ea Yiêng"


def test_no_address_is_empty() -> None:
    assert mapped(dia_chi=None)["DiaChi"] == ""


def test_summary_is_procedure_name_dash_applicant() -> None:
    content = mapped(loai="KH", ten_nguoi_yc="  H`Bia   Mlô ")
    assert content["TrichYeuHoSo"] == "Đăng ký kết hôn - H'Bia Mlô"


def test_summary_cut_at_1000_characters() -> None:
    name = "x" * 150  # the column holds 150; a long configured name pushes it past 1000
    own = {"KS": Procedure("1.001193", "T" * 900, "HT", "Hộ tịch", 4)}
    record = map_row(row(ten_nguoi_yc=name), AGENCY, own)
    assert record.content is not None
    summary = record.content["TrichYeuHoSo"]
    assert len(summary) == 1000
    assert summary == ("T" * 900 + " - " + name)[:997] + "..."


def test_summary_of_exactly_1000_characters_kept() -> None:
    own = {"KS": Procedure("1.001193", "T" * 897, "HT", "Hộ tịch", 4)}
    record = map_row(row(ten_nguoi_yc="y" * 100), AGENCY, own)
    assert record.content is not None
    assert record.content["TrichYeuHoSo"] == "T" * 897 + " - " + "y" * 100


def test_note_is_clean_text_of_the_refusal_reason() -> None:
    reason_text = "Thiếu  giấy tờ\nchứng minh nơi cư trú "
    content = mapped(tinh_trang=4, ly_do_tu_choi=reason_text)
    assert content["GhiChu"] == "Thiếu giấy tờ chứng minh nơi cư trú"


@pytest.mark.parametrize("note", [None, "", " \u200b "])
def test_no_refusal_reason_is_an_empty_note(note: str | None) -> None:
    assert mapped(ly_do_tu_choi=note)["GhiChu"] == ""


def test_agency_name_is_configured() -> None:
    assert mapped()["DonViXuLy"] == "UBND xã Ea Yiêng"


def test_lists_are_present_and_empty() -> None:
    content = mapped()
    assert (content["TaiLieuNop"], content["DanhSachLePhi"]) == ([], [])


def test_no_progress_events() -> None:
    assert (
        map_row(row(tinh_trang=3, tg_tra=local(2021, 3, 12, 9, 0)), AGENCY, PROCEDURES).events == ()
    )


# --- times -----------------------------------------------------------------------------


def test_received_time_with_seconds() -> None:
    assert mapped(tg_tiep_nhan=local(2021, 3, 11, 8, 30, 15))["NgayTiepNhan"] == "20210311083015"


def test_received_time_drops_fractions() -> None:
    received = local(2021, 3, 11, 8, 30, 15, 999999)
    assert mapped(tg_tiep_nhan=received)["NgayTiepNhan"] == "20210311083015"


def test_missing_received_time_is_quarantined() -> None:
    assert problem(tg_tiep_nhan=None) == Problem("invalid_received_time", "tg_tiep_nhan", "NULL")


def test_due_date_means_the_end_of_that_day() -> None:
    assert mapped(han_tra=date(2021, 3, 15))["NgayHenTra"] == "20210315235959"


def test_due_on_the_received_day_is_fine() -> None:
    assert mapped(han_tra=date(2021, 3, 11))["NgayHenTra"] == "20210311235959"


def test_no_due_date_is_empty() -> None:
    assert mapped(han_tra=None)["NgayHenTra"] == ""


def test_due_before_received_is_quarantined() -> None:
    assert reason(han_tra=date(2021, 3, 10)) == "due_before_received"


def test_returned_time() -> None:
    content = mapped(tinh_trang=3, tg_tra=local(2021, 3, 12, 14, 5, 9))
    assert content["NgayTra"] == "20210312140509"


def test_not_returned_is_empty() -> None:
    assert mapped(tg_tra=None)["NgayTra"] == ""


def test_returned_at_the_received_second_is_fine() -> None:
    assert mapped(tg_tra=local(2021, 3, 11, 8, 30, 15))["NgayTra"] == "20210311083015"


def test_returned_before_received_is_quarantined() -> None:
    assert reason(tinh_trang=3, tg_tra=local(2021, 3, 11, 8, 30, 14)) == "returned_before_received"


@pytest.mark.parametrize(
    ("tinh_trang", "finished"),
    [(0, ""), (1, ""), (2, "20210312140509"), (3, "20210312140509"), (4, ""), (5, "")],
)
def test_finished_time_is_the_return_time_only_when_registered_or_returned(
    tinh_trang: int, finished: str
) -> None:
    content = mapped(tinh_trang=tinh_trang, tg_tra=local(2021, 3, 12, 14, 5, 9))
    assert content["NgayKetThucXuLy"] == finished
    assert content["NgayTra"] == "20210312140509"


@pytest.mark.parametrize("tinh_trang", [2, 3])
def test_finished_time_is_empty_without_a_return_time(tinh_trang: int) -> None:
    assert mapped(tinh_trang=tinh_trang, tg_tra=None)["NgayKetThucXuLy"] == ""


# --- times as SQLite keeps them: text in whatever ISO spelling the writer chose -------------


def test_sqlite_text_times_read_like_timestamps() -> None:
    content = mapped(
        tg_tiep_nhan="2021-03-11 08:30:15.000000",
        han_tra="2021-03-15",
        tg_tra="2021-03-12T14:05:09",
        tinh_trang=3,
        sua_luc="2021-03-12 17:30",
    )
    assert (content["NgayTiepNhan"], content["NgayHenTra"]) == ("20210311083015", "20210315235959")
    assert content["NgayTra"] == content["NgayKetThucXuLy"] == "20210312140509"
    record = map_row(row(sua_luc="2021-03-12 17:30"), AGENCY, PROCEDURES)
    assert record.changed_at == datetime.fromisoformat("2021-03-12T17:30:00+07:00")


def test_blank_sqlite_text_times_are_null() -> None:
    content = mapped(han_tra=" ", tg_tra="")
    assert (content["NgayHenTra"], content["NgayTra"]) == ("", "")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"tg_tiep_nhan": "hôm qua"}, Problem("invalid_received_time", "tg_tiep_nhan", "aaa aaa")),
        ({"tg_tiep_nhan": ""}, Problem("invalid_received_time", "tg_tiep_nhan", "''")),
        ({"han_tra": "2021-02-31"}, Problem("invalid_due_time", "han_tra", "9999-99-99")),
        ({"tg_tra": "31/02/2021"}, Problem("invalid_time", "tg_tra", "99/99/9999")),
    ],
)
def test_unreadable_sqlite_text_times_are_quarantined(
    changes: dict[str, Any], expected: Problem
) -> None:
    assert problem(**changes) == expected


def test_unreadable_sua_luc_is_an_unknown_change_time_not_a_broken_rule() -> None:
    record = map_row(row(sua_luc="0000-00-00 00:00:00"), AGENCY, PROCEDURES)
    assert (record.kind, record.changed_at) == ("dossier", None)


# --- status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tinh_trang", "code"), [(0, "2"), (1, "4"), (2, "9"), (3, "10"), (4, "3"), (5, "7")]
)
def test_status_table(tinh_trang: int, code: str) -> None:
    assert mapped(tinh_trang=tinh_trang)["TrangThaiHoSo"] == code


@pytest.mark.parametrize("tinh_trang", [9, 6, -1, None])
def test_unknown_status_is_quarantined(tinh_trang: int | None) -> None:
    assert reason(tinh_trang=tinh_trang) == "unknown_status"


# --- change time and identity ------------------------------------------------------------


def test_change_time_is_sua_luc_as_aware_local_time() -> None:
    record = map_row(row(), AGENCY, PROCEDURES)
    assert record.changed_at is not None
    assert record.changed_at.isoformat() == "2021-03-11T09:00:00+07:00"


@pytest.mark.parametrize("changes", [{}, {"so_bien_nhan": None}, {"tinh_trang": 9}])
def test_every_kind_of_record_carries_the_change_time(changes: dict[str, Any]) -> None:
    record = map_row(row(**changes), AGENCY, PROCEDURES)
    assert record.changed_at == datetime.fromisoformat("2021-03-11T09:00:00+07:00")


def test_the_adapter_leaves_ngay_cap_nhat_to_the_pipeline() -> None:
    content = mapped()
    assert "NgayCapNhat" not in content
    assert "PhienBan" not in content


def test_source_key_is_the_guid_as_stored() -> None:
    lower = GUID.lower()
    assert map_row(row(ma_yc=lower), AGENCY, PROCEDURES).source_key == lower
    assert map_row(row(), AGENCY, PROCEDURES).source_key == GUID


def test_nfd_and_nfc_sources_give_one_phien_ban() -> None:
    nfd = map_row(
        row(ten_nguoi_yc=unicodedata.normalize("NFD", "Nguyễn Văn An")), AGENCY, PROCEDURES
    )
    assert nfd.phien_ban == map_row(row(), AGENCY, PROCEDURES).phien_ban


def test_a_change_of_sua_luc_alone_keeps_the_version() -> None:
    later = map_row(row(sua_luc=local(2022, 1, 1, 0, 0)), AGENCY, PROCEDURES)
    assert later.phien_ban == map_row(row(), AGENCY, PROCEDURES).phien_ban


# --- quarantine value shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"so_bien_nhan": "HT-2021-000123"},
            Problem("invalid_dossier_code", "so_bien_nhan", "AA-9999-999999"),
        ),
        ({"loai": "NCN"}, Problem("unknown_procedure", "loai", "AAA")),
        ({"nop_qua": 7}, Problem("unknown_channel", "nop_qua", "9")),
        ({"nop_qua": None}, Problem("unknown_channel", "nop_qua", "NULL")),
        ({"ten_nguoi_yc": ""}, Problem("missing_applicant", "ten_nguoi_yc", "''")),
        ({"ten_nguoi_yc": "  "}, Problem("missing_applicant", "ten_nguoi_yc", "' '")),
        ({"han_tra": date(2021, 3, 1)}, Problem("due_before_received", "han_tra", "9999-99-99")),
        (
            {"tg_tra": local(2021, 3, 1, 8, 0)},
            Problem("returned_before_received", "tg_tra", "9999-99-99 99:99:99"),
        ),
        ({"tinh_trang": 9}, Problem("unknown_status", "tinh_trang", "9")),
    ],
)
def test_quarantine_keeps_the_shape_not_the_value(
    changes: dict[str, Any], expected: Problem
) -> None:
    assert problem(**changes) == expected


def test_quarantined_record_keeps_its_code_and_nothing_to_push() -> None:
    record = map_row(row(tinh_trang=9), AGENCY, PROCEDURES)
    assert record.ma_ho_so == "000.24.24.H16-210311-5001"
    assert (record.content, record.phien_ban, record.events) == (None, None, ())
