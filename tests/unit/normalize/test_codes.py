"""status_from_label, channel_from_label and the ho_tich_v1 code tables."""

from __future__ import annotations

import unicodedata

import pytest

from igate_sync.normalize.codes import (
    HO_TICH_CHANNEL,
    HO_TICH_STATUS,
    channel_from_label,
    status_from_label,
)
from igate_sync.normalize.text import fold

# The label table at the end of commune-schemas/mot_cua_v1.sql, copied independently.
LABELS = [
    ("mới đăng ký", "1"),
    ("đã tiếp nhận", "2"),
    ("tiếp nhận", "2"),
    ("không tiếp nhận", "3"),
    ("từ chối tiếp nhận", "3"),
    ("đang xử lý", "4"),
    ("đang giải quyết", "4"),
    ("chờ bổ sung", "5"),
    ("yêu cầu bổ sung", "5"),
    ("chờ nộp phí", "6"),
    ("chờ thực hiện nghĩa vụ tài chính", "6"),
    ("rút hồ sơ", "7"),
    ("công dân rút hồ sơ", "7"),
    ("dừng xử lý", "8"),
    ("tạm dừng", "8"),
    ("đã giải quyết", "9"),
    ("đã xử lý xong", "9"),
    ("hoàn thành", "9"),
    ("đã trả kết quả", "10"),
    ("đã trả", "10"),
]


@pytest.mark.parametrize(("label", "code"), [pytest.param(*row, id=row[0]) for row in LABELS])
def test_status_label_in_table(label: str, code: str) -> None:
    assert status_from_label(label) == code


@pytest.mark.parametrize(("label", "code"), [pytest.param(*row, id=row[0]) for row in LABELS])
def test_status_label_upper_case(label: str, code: str) -> None:
    assert status_from_label(label.upper()) == code


@pytest.mark.parametrize(("label", "code"), [pytest.param(*row, id=row[0]) for row in LABELS])
def test_status_label_without_accents(label: str, code: str) -> None:
    assert status_from_label(fold(label)) == code


@pytest.mark.parametrize(("label", "code"), [pytest.param(*row, id=row[0]) for row in LABELS])
def test_status_label_nfd_spelling_folds(label: str, code: str) -> None:
    assert status_from_label(unicodedata.normalize("NFD", label.capitalize())) == code


def test_status_labels_fold_to_distinct_keys() -> None:
    assert len({fold(label) for label, _ in LABELS}) == len(LABELS)


def test_status_every_code_has_a_label() -> None:
    assert {code for _, code in LABELS} == {str(number) for number in range(1, 11)}


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("Đã  Giải quyết", id="double-space-capitals"),
        pytest.param("da giai quyet", id="plain"),
        pytest.param(unicodedata.normalize("NFD", "Đã Giải quyết"), id="nfd"),
        pytest.param("  ĐÃ GIẢI QUYẾT\u00a0", id="upper-case-nbsp"),
        pytest.param("đã\tgiải\nquyết", id="tab-newline"),
    ],
)
def test_status_resolved_spellings(label: str) -> None:
    assert status_from_label(label) == "9"


@pytest.mark.parametrize("label", [None, "", "   ", "\u200b"])
def test_status_blank_is_none(label: str | None) -> None:
    assert status_from_label(label) is None


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("đã hủy", id="not-in-table"),
        pytest.param("9", id="code-not-label"),
        pytest.param("đã giải quyết xong", id="longer-label"),
        pytest.param("giải quyết", id="shorter-label"),
        pytest.param("đã_giải_quyết", id="underscores"),
    ],
)
def test_status_unknown_label_is_none(label: str) -> None:
    assert status_from_label(label) is None


@pytest.mark.parametrize(
    ("label", "code"),
    [
        pytest.param("TRUC_TIEP", "1", id="TRUC_TIEP"),
        pytest.param("truc tiep", "1", id="lower-spaced"),
        pytest.param("Trực tiếp", "1", id="accented"),
        pytest.param("truc_tiep", "1", id="lower-underscore"),
        pytest.param("TRUC_TUYEN", "2", id="TRUC_TUYEN"),
        pytest.param("Truc tuyen", "2", id="capitalised-spaced"),
        pytest.param("trực  tuyến", "2", id="accented-double-space"),
        pytest.param("BUU_CHINH", "3", id="BUU_CHINH"),
        pytest.param("buu chinh", "3", id="postal-lower-spaced"),
        pytest.param(unicodedata.normalize("NFD", "Bưu chính"), "3", id="postal-nfd"),
    ],
)
def test_channel_label(label: str, code: str) -> None:
    assert channel_from_label(label) == code


@pytest.mark.parametrize("label", [None, "", "   ", "\u00a0"])
def test_channel_null_or_blank_is_direct(label: str | None) -> None:
    assert channel_from_label(label) == "1"


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("ONLINE", id="english"),
        pytest.param("TRUC-TIEP", id="dash"),
        pytest.param("1", id="code-not-label"),
        pytest.param("TRUCTIEP", id="no-separator"),
    ],
)
def test_channel_unknown_is_none(label: str) -> None:
    assert channel_from_label(label) is None


def test_ho_tich_status_table() -> None:
    assert HO_TICH_STATUS == {0: "2", 1: "4", 2: "9", 3: "10", 4: "3", 5: "7"}


def test_ho_tich_channel_table() -> None:
    assert HO_TICH_CHANNEL == {0: "1", 1: "2", 2: "3"}
