"""clean_text, fold, truncate and cut: the "clean text" and "folded" rules of the spec."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igate_sync.normalize.text import clean_text, cut, fold, truncate


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# -- clean_text ------------------------------------------------------------------------------


def test_clean_text_none_is_none() -> None:
    assert clean_text(None) is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\t\n\r ", id="tabs-newlines"),
        pytest.param("\u00a0\u3000", id="no-break-and-ideographic-spaces"),
        pytest.param("\u200b\ufeff", id="zero-width-only"),
        pytest.param(" \u200b \u2060 ", id="zero-width-and-spaces"),
    ],
)
def test_clean_text_empty_after_cleaning_is_none(raw: str) -> None:
    assert clean_text(raw) is None


def test_clean_text_nfd_input_becomes_nfc() -> None:
    result = clean_text(nfd("Nguyễn Thị Thủy"))
    assert result == "Nguyễn Thị Thủy"
    assert result is not None
    assert unicodedata.is_normalized("NFC", result)


def test_clean_text_nfd_and_nfc_spellings_are_equal() -> None:
    assert clean_text(nfd("Đắk Lắk")) == clean_text("Đắk Lắk")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Hoà", id="old-style-hoa"),
        pytest.param("Hòa", id="new-style-hoa"),
        pytest.param("Thuỷ", id="old-style-thuy"),
        pytest.param("Thủy", id="new-style-thuy"),
    ],
)
def test_clean_text_keeps_tone_placement(name: str) -> None:
    assert clean_text(name) == name
    assert clean_text(nfd(name)) == name


def test_clean_text_old_and_new_tone_placement_stay_distinct() -> None:
    assert clean_text("Hoà") != clean_text("Hòa")


@pytest.mark.parametrize(
    "zero_width",
    [
        pytest.param("\u200b", id="zero-width-space"),
        pytest.param("\u200c", id="zero-width-non-joiner"),
        pytest.param("\u200d", id="zero-width-joiner"),
        pytest.param("\u2060", id="word-joiner"),
        pytest.param("\ufeff", id="byte-order-mark"),
    ],
)
def test_clean_text_removes_zero_width_character(zero_width: str) -> None:
    assert clean_text(f"{zero_width}Nguy{zero_width}ễn{zero_width}") == "Nguyễn"


def test_clean_text_zero_width_between_letter_and_mark_composes() -> None:
    assert clean_text("Nguye\u200b\u0302\u0303n") == "Nguyễn"


@pytest.mark.parametrize(
    "apostrophe",
    [
        pytest.param("\u2019", id="right-single-quotation-mark"),
        pytest.param("\u02bc", id="modifier-letter-apostrophe"),
        pytest.param("\u2018", id="left-single-quotation-mark"),
        pytest.param("`", id="grave-accent"),
    ],
)
def test_clean_text_apostrophe_lookalike_becomes_apostrophe(apostrophe: str) -> None:
    assert clean_text(f"H{apostrophe}Hen Niê") == "H'Hen Niê"


def test_clean_text_plain_apostrophe_kept() -> None:
    assert clean_text("H'Hen Niê") == "H'Hen Niê"


@pytest.mark.parametrize(
    "space",
    [
        pytest.param("  ", id="double-space"),
        pytest.param("\t", id="tab"),
        pytest.param("\n", id="newline"),
        pytest.param("\r\n", id="crlf"),
        pytest.param("\u00a0", id="no-break-space"),
        pytest.param("\u202f", id="narrow-no-break-space"),
        pytest.param("\u2003", id="em-space"),
        pytest.param("\u3000", id="ideographic-space"),
        pytest.param(" \u00a0\t \n ", id="mixed-run"),
    ],
)
def test_clean_text_whitespace_run_becomes_one_space(space: str) -> None:
    assert clean_text(f"Nguyễn{space}Thị{space}Thủy") == "Nguyễn Thị Thủy"


def test_clean_text_trims_both_ends() -> None:
    assert clean_text(" \u00a0\tNguyễn Văn A \n") == "Nguyễn Văn A"


def test_clean_text_single_token_name_unchanged() -> None:
    assert clean_text("Blưh") == "Blưh"


def test_clean_text_single_token_name_trimmed() -> None:
    assert clean_text("  Blưh\u00a0") == "Blưh"


def test_clean_text_ede_name_with_gender_prefix() -> None:
    assert clean_text("Y  Niê   Kdăm") == "Y Niê Kdăm"


def test_clean_text_h_apostrophe_name_from_nfd_with_typographic_quote() -> None:
    assert clean_text(nfd("H’Hen  Niê ")) == "H'Hen Niê"


def test_clean_text_keeps_case() -> None:
    assert clean_text("ỦY BAN nhân dân") == "ỦY BAN nhân dân"


@given(st.text())
def test_clean_text_is_idempotent(value: str) -> None:
    once = clean_text(value)
    assert clean_text(once) == once


@given(st.text())
def test_clean_text_result_is_nfc_and_trimmed(value: str) -> None:
    result = clean_text(value)
    if result is not None:
        assert unicodedata.is_normalized("NFC", result)
        assert result == result.strip()
        assert "  " not in result


# -- fold ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("Đã  Giải quyết", id="accented-double-space"),
        pytest.param("da giai quyet", id="plain"),
        pytest.param(nfd("Đã Giải quyết"), id="nfd"),
        pytest.param("ĐÃ GIẢI QUYẾT", id="upper-case"),
        pytest.param(" \u00a0đã\tgiải quyết\u200b ", id="spaces-and-zero-width"),
    ],
)
def test_fold_spellings_of_one_label_agree(label: str) -> None:
    assert fold(label) == "da giai quyet"


def test_fold_none_is_none() -> None:
    assert fold(None) is None


@pytest.mark.parametrize("raw", ["", "   ", "\u200b"])
def test_fold_blank_is_none(raw: str) -> None:
    assert fold(raw) is None


def test_fold_lower_case_d_with_stroke_becomes_d() -> None:
    assert fold("đăng ký") == "dang ky"


def test_fold_upper_case_d_with_stroke_becomes_d() -> None:
    assert fold("ĐĂNG KÝ") == "dang ky"


def test_fold_removes_every_vietnamese_diacritic() -> None:
    assert fold("ăâêôơư àảãáạ ằẳẵắặ ầẩẫấậ ờởỡớợ ừửữứự ỳỷỹýỵ") == (
        "aaeoou aaaaa aaaaa aaaaa ooooo uuuuu yyyyy"
    )


def test_fold_mark_only_value_is_none() -> None:
    assert fold("\u0301") is None


def test_fold_lone_mark_between_words_leaves_one_space() -> None:
    assert fold("a \u0301 b") == "a b"


@given(st.text())
def test_fold_is_idempotent(value: str) -> None:
    once = fold(value)
    assert fold(once) == once


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệ ĐÂ"))
def test_fold_of_vietnamese_text_is_ascii(value: str) -> None:
    result = fold(value)
    assert result is None or result.isascii()


# -- truncate --------------------------------------------------------------------------------


def test_truncate_exactly_1000_characters_unchanged() -> None:
    text = "x" * 1000
    assert truncate(text) == text


def test_truncate_999_characters_unchanged() -> None:
    text = "x" * 999
    assert truncate(text) == text


def test_truncate_1001_characters_becomes_997_plus_ellipsis() -> None:
    text = "a" * 997 + "bcde"
    result = truncate(text)
    assert result == "a" * 997 + "..."
    assert len(result) == 1000


def test_truncate_several_thousand_characters() -> None:
    assert len(truncate("ệ" * 5000)) == 1000


def test_truncate_custom_limit() -> None:
    assert truncate("abcdefghij", 8) == "abcde..."


def test_truncate_counts_characters_not_bytes() -> None:
    text = "ễ" * 1000
    assert truncate(text) == text


# -- cut -------------------------------------------------------------------------------------


def test_cut_officer_name_to_50_characters() -> None:
    assert cut("x" * 60, 50) == "x" * 50


def test_cut_trims_after_cutting() -> None:
    name = "Nguyễn Văn A" + " " * 38 + "Phó Chủ tịch UBND"
    assert cut(name, 50) == "Nguyễn Văn A"


def test_cut_trailing_space_at_the_cut_is_removed() -> None:
    assert cut("a" * 49 + " b", 50) == "a" * 49


def test_cut_short_text_unchanged() -> None:
    assert cut("Lê Thị B", 50) == "Lê Thị B"
