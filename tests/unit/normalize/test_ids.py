"""parse_citizen_id: 12-digit CCCD → "1", 9-digit CMND → "2", anything else → None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igate_sync.normalize.ids import parse_citizen_id


def test_id_12_digits_is_cccd() -> None:
    assert parse_citizen_id("066190012345") == ("1", "066190012345")


def test_id_9_digits_is_cmnd() -> None:
    assert parse_citizen_id("241234567") == ("2", "241234567")


def test_id_keeps_leading_zeros() -> None:
    assert parse_citizen_id("001099000123") == ("1", "001099000123")
    assert parse_citizen_id("012345678") == ("2", "012345678")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("066 190 012 345", ("1", "066190012345"), id="spaces"),
        pytest.param("066.190.012.345", ("1", "066190012345"), id="dots"),
        pytest.param("066-190-012345", ("1", "066190012345"), id="dashes"),
        pytest.param(" 066 1.90-012 345 ", ("1", "066190012345"), id="mixed"),
        pytest.param("066\t190\u00a0012345\n", ("1", "066190012345"), id="tab-nbsp-newline"),
        pytest.param("066–190–012345", ("1", "066190012345"), id="en-dash"),
        pytest.param("241 234 567", ("2", "241234567"), id="cmnd-spaces"),
        pytest.param("241.234.567", ("2", "241234567"), id="cmnd-dots"),
        pytest.param("241-234-567", ("2", "241234567"), id="cmnd-dashes"),
    ],
)
def test_id_separators_removed(raw: str, expected: tuple[str, str]) -> None:
    assert parse_citizen_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("24123456", id="8-digits"),
        pytest.param("2412345678", id="10-digits"),
        pytest.param("24123456789", id="11-digits"),
        pytest.param("0661900123456", id="13-digits"),
    ],
)
def test_id_wrong_length_is_none(raw: str) -> None:
    assert parse_citizen_id(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("B1234567", id="passport"),
        pytest.param("C12345678", id="passport-9-characters"),
        pytest.param("06619001234A", id="letter-in-12"),
        pytest.param("٢٤١٢٣٤٥٦٧", id="arabic-indic-digits"),
        pytest.param("241/234/567", id="slashes"),
        pytest.param("241_234_567", id="underscores"),
    ],
)
def test_id_with_other_characters_is_none(raw: str) -> None:
    assert parse_citizen_id(raw) is None


@pytest.mark.parametrize("raw", [None, "", "   ", " - . "])
def test_id_blank_is_none(raw: str | None) -> None:
    assert parse_citizen_id(raw) is None


@given(st.text(alphabet="0123456789 .-\t", max_size=20))
def test_id_is_idempotent_on_its_output(raw: str) -> None:
    parsed = parse_citizen_id(raw)
    if parsed is not None:
        assert parse_citizen_id(parsed[1]) == parsed


@given(st.text())
def test_id_output_is_ascii_digits_of_the_right_length(raw: str) -> None:
    parsed = parse_citizen_id(raw)
    if parsed is not None:
        kind, digits = parsed
        assert digits.isascii()
        assert digits.isdigit()
        assert {"1": 12, "2": 9}[kind] == len(digits)
