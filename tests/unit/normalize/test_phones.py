"""normalize_phone and is_blank: ten-digit numbers, +84/84 prefixes, the 2018 renumbering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igate_sync.normalize.phones import is_blank, normalize_phone

RENUMBERED = [
    ("0162", "032"),
    ("0163", "033"),
    ("0164", "034"),
    ("0165", "035"),
    ("0166", "036"),
    ("0167", "037"),
    ("0168", "038"),
    ("0169", "039"),
    ("0120", "070"),
    ("0121", "079"),
    ("0122", "077"),
    ("0126", "076"),
    ("0128", "078"),
    ("0123", "083"),
    ("0124", "084"),
    ("0125", "085"),
    ("0127", "081"),
    ("0129", "082"),
    ("0186", "056"),
    ("0188", "058"),
    ("0199", "059"),
]


def test_phone_ten_digits_unchanged() -> None:
    assert normalize_phone("0905123456") == "0905123456"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("0905 123 456", "0905123456", id="spaces"),
        pytest.param("0905.123.456", "0905123456", id="dots"),
        pytest.param("0905-123-456", "0905123456", id="dashes"),
        pytest.param("(0905) 123 456", "0905123456", id="parentheses"),
        pytest.param(" 0905\u00a0123\t456 ", "0905123456", id="nbsp-tab"),
        pytest.param("ĐT: 0905123456", "0905123456", id="label-text"),
    ],
)
def test_phone_keeps_digits_only(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("+84 905123456", "0905123456", id="plus-84-space"),
        pytest.param("+84905123456", "0905123456", id="plus-84"),
        pytest.param("84905123456", "0905123456", id="84"),
        pytest.param("+84 905.123.456", "0905123456", id="plus-84-dots"),
        pytest.param("(+84) 905-123-456", "0905123456", id="parenthesised-84"),
    ],
)
def test_phone_country_code_84_becomes_0(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_phone_84_followed_by_old_mobile_is_renumbered() -> None:
    assert normalize_phone("+84 1689 123 456") == "0389123456"


def test_phone_84_followed_by_10_digits_without_old_prefix_is_none() -> None:
    # "84" + 10 digits gives 11 digits: only an old mobile number survives that.
    assert normalize_phone("84 262 3812345") is None


def test_phone_84_followed_by_8_digits_is_none() -> None:
    assert normalize_phone("8490512345") is None


@pytest.mark.parametrize(
    ("old", "new"),
    [pytest.param(old, new, id=f"{old}-becomes-{new}") for old, new in RENUMBERED],
)
def test_phone_old_11_digit_prefix_is_renumbered(old: str, new: str) -> None:
    assert normalize_phone(old + "9123456") == new + "9123456"


def test_phone_old_11_digit_0168_becomes_038() -> None:
    assert normalize_phone("01689123456") == "0389123456"


def test_phone_old_11_digit_with_separators() -> None:
    assert normalize_phone("0168.912.3456") == "0389123456"


def test_phone_11_digits_without_old_mobile_prefix_is_none() -> None:
    assert normalize_phone("01301234567") is None


def test_phone_11_digit_landline_is_none() -> None:
    # Landlines have 11 digits since 2017, but the wire takes "0" + 9 digits only.
    assert normalize_phone("02623812345") is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("090512345", id="9-digits"),
        pytest.param("9051234567", id="10-digits-no-leading-0"),
        pytest.param("090512345678", id="12-digits"),
        pytest.param("abc", id="no-digits"),
        pytest.param("0905 123 45x", id="too-few-digits-after-letters"),
    ],
)
def test_phone_not_ten_digits_is_none(raw: str) -> None:
    assert normalize_phone(raw) is None


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\u00a0"])
def test_phone_blank_is_none(raw: str | None) -> None:
    assert normalize_phone(raw) is None


@given(st.text(alphabet="0123456789 +.-()", max_size=20))
def test_phone_is_idempotent_on_phone_like_text(raw: str) -> None:
    once = normalize_phone(raw)
    if once is not None:
        assert normalize_phone(once) == once


@given(st.text())
def test_phone_result_is_zero_and_nine_digits(raw: str) -> None:
    once = normalize_phone(raw)
    if once is not None:
        assert len(once) == 10
        assert once.startswith("0")
        assert once.isascii()
        assert once.isdigit()
        assert normalize_phone(once) == once


@pytest.mark.parametrize("raw", [None, "", " ", "\t\n", "\u00a0"])
def test_is_blank_true_for_none_or_whitespace(raw: str | None) -> None:
    assert is_blank(raw)


@pytest.mark.parametrize("raw", ["0905123456", "abc", " x "])
def test_is_blank_false_for_content(raw: str) -> None:
    assert not is_blank(raw)
