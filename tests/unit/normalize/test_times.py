"""Legacy text times, DB timestamps and wire times, all in Vietnam's local time (UTC+7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igate_sync.normalize.times import (
    VN_TZ,
    InvalidTime,
    as_local,
    end_of_day,
    format_wire_time,
    parse_legacy_time,
    parse_wire_time,
)

# Hypothesis takes naive bounds for st.datetimes().
EARLIEST = datetime(1900, 1, 2)  # noqa: DTZ001
LATEST = datetime(2100, 12, 30)  # noqa: DTZ001


def vn(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=VN_TZ)


# -- VN_TZ -----------------------------------------------------------------------------------


def test_vn_tz_is_utc_plus_7() -> None:
    assert VN_TZ.utcoffset(None) == timedelta(hours=7)


def test_vn_tz_has_no_daylight_saving() -> None:
    assert vn(2021, 1, 1).dst() is None
    assert vn(2021, 1, 1).utcoffset() == vn(2021, 7, 1).utcoffset()


def test_vn_tz_name() -> None:
    assert VN_TZ.tzname(None) == "Asia/Ho_Chi_Minh"


# -- parse_legacy_time -----------------------------------------------------------------------


def test_legacy_date_and_time() -> None:
    assert parse_legacy_time("11/03/2021 08:05") == vn(2021, 3, 11, 8, 5)


def test_legacy_result_is_aware_in_vn_tz() -> None:
    result = parse_legacy_time("11/03/2021 08:05")
    assert result is not None
    assert result.tzinfo is VN_TZ
    assert result.utcoffset() == timedelta(hours=7)


def test_legacy_day_first() -> None:
    assert parse_legacy_time("02/03/2021 00:00") == vn(2021, 3, 2)


def test_legacy_date_only_is_midnight() -> None:
    assert parse_legacy_time("11/03/2021") == vn(2021, 3, 11, 0, 0, 0)


def test_legacy_due_date_only_is_end_of_day() -> None:
    assert parse_legacy_time("11/03/2021", end_of_day=True) == vn(2021, 3, 11, 23, 59, 59)


def test_legacy_due_with_time_keeps_its_time() -> None:
    assert parse_legacy_time("11/03/2021 16:30", end_of_day=True) == vn(2021, 3, 11, 16, 30)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1/3/2021 8:05", vn(2021, 3, 1, 8, 5), id="single-digit-day-month-hour"),
        pytest.param("1/3/2021", vn(2021, 3, 1), id="single-digit-date-only"),
        pytest.param("01/3/2021 08:05", vn(2021, 3, 1, 8, 5), id="single-digit-month"),
        pytest.param("  11/03/2021 08:05 ", vn(2021, 3, 11, 8, 5), id="surrounding-spaces"),
        pytest.param("\t11/03/2021\n", vn(2021, 3, 11), id="surrounding-tab-newline"),
        pytest.param("11/03/2021  08:05", vn(2021, 3, 11, 8, 5), id="two-spaces-before-time"),
        pytest.param("29/02/2024", vn(2024, 2, 29), id="leap-day"),
        pytest.param("31/12/2021 23:59", vn(2021, 12, 31, 23, 59), id="last-minute-of-year"),
    ],
)
def test_legacy_tolerated_spellings(raw: str, expected: datetime) -> None:
    assert parse_legacy_time(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_legacy_blank_is_none(raw: str | None) -> None:
    assert parse_legacy_time(raw) is None
    assert parse_legacy_time(raw, end_of_day=True) is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("31/02/2021", id="31-february"),
        pytest.param("00/00/0000", id="all-zero"),
        pytest.param("00/00/0000 00:00", id="all-zero-with-time"),
        pytest.param("29/02/2021", id="not-a-leap-year"),
        pytest.param("32/01/2021", id="day-32"),
        pytest.param("00/01/2021", id="day-0"),
        pytest.param("15/13/2021", id="month-13"),
        pytest.param("11/03/2021 24:00", id="hour-24"),
        pytest.param("11/03/2021 08:60", id="minute-60"),
        pytest.param("garbage", id="garbage"),
        pytest.param("2021-03-11", id="iso-date"),
        pytest.param("11/03/21", id="two-digit-year"),
        pytest.param("11-03-2021", id="dashes"),
        pytest.param("11/03/2021 8:5", id="one-digit-minute"),
        pytest.param("11/03/2021 08:05:30", id="seconds"),
        pytest.param("11/03/2021 08", id="hour-without-minute"),
        pytest.param("111/03/2021", id="three-digit-day"),
        pytest.param("١١/٠٣/٢٠٢١", id="arabic-indic-digits"),
    ],
)
def test_legacy_impossible_or_unreadable_raises(raw: str) -> None:
    with pytest.raises(InvalidTime):
        parse_legacy_time(raw)


def test_legacy_impossible_due_date_raises_too() -> None:
    with pytest.raises(InvalidTime):
        parse_legacy_time("31/02/2021", end_of_day=True)


def test_invalid_time_is_a_value_error() -> None:
    assert issubclass(InvalidTime, ValueError)


def test_invalid_time_message_does_not_echo_the_value() -> None:
    with pytest.raises(InvalidTime) as caught:
        parse_legacy_time("Nguyen Van A")
    assert "Nguyen" not in str(caught.value)


@given(st.datetimes(min_value=EARLIEST, max_value=LATEST))
def test_legacy_text_round_trip(moment: datetime) -> None:
    text = moment.strftime("%d/%m/%Y %H:%M")
    expected = moment.replace(second=0, microsecond=0, tzinfo=VN_TZ)
    assert parse_legacy_time(text) == expected


# -- as_local --------------------------------------------------------------------------------


def test_as_local_naive_is_local_time() -> None:
    naive = datetime(2021, 3, 11, 8, 5)  # noqa: DTZ001 - a DB TIMESTAMP column gives naive values
    result = as_local(naive)
    assert result == vn(2021, 3, 11, 8, 5)
    assert result.tzinfo is VN_TZ


def test_as_local_aware_utc_is_converted() -> None:
    result = as_local(datetime(2021, 3, 11, 1, 5, tzinfo=UTC))
    assert result == vn(2021, 3, 11, 8, 5)
    assert (result.hour, result.tzinfo) == (8, VN_TZ)


def test_as_local_across_midnight() -> None:
    result = as_local(datetime(2021, 3, 10, 20, 0, tzinfo=UTC))
    assert (result.day, result.hour) == (11, 3)


def test_as_local_aware_local_unchanged() -> None:
    value = vn(2021, 3, 11, 8, 5)
    assert as_local(value) == value


# -- end_of_day ------------------------------------------------------------------------------


def test_end_of_day_is_235959_local() -> None:
    result = end_of_day(date(2021, 3, 11))
    assert result == vn(2021, 3, 11, 23, 59, 59)
    assert result.tzinfo is VN_TZ


def test_end_of_day_wire_form() -> None:
    assert format_wire_time(end_of_day(date(2021, 3, 11))) == "20210311235959"


# -- format_wire_time / parse_wire_time ------------------------------------------------------


def test_wire_format_local() -> None:
    assert format_wire_time(vn(2021, 3, 11, 8, 5, 9)) == "20210311080509"


def test_wire_format_converts_other_zones() -> None:
    assert format_wire_time(datetime(2021, 3, 11, 1, 5, tzinfo=UTC)) == "20210311080500"


def test_wire_format_drops_microseconds() -> None:
    assert format_wire_time(vn(2021, 3, 11, 8, 5, 9, 999999)) == "20210311080509"


def test_wire_format_none_is_empty() -> None:
    assert format_wire_time(None) == ""


def test_wire_format_naive_raises() -> None:
    naive = datetime(2021, 3, 11, 8, 5)  # noqa: DTZ001 - the programming error under test
    with pytest.raises(ValueError, match="naive"):
        format_wire_time(naive)


def test_wire_format_pads_early_years() -> None:
    assert format_wire_time(vn(999, 1, 2, 3, 4, 5)) == "09990102030405"


def test_wire_format_of_legacy_received_time() -> None:
    assert format_wire_time(parse_legacy_time("11/03/2021 08:05")) == "20210311080500"


def test_wire_parse() -> None:
    assert parse_wire_time("20210311080509") == vn(2021, 3, 11, 8, 5, 9)


def test_wire_parse_empty_is_none() -> None:
    assert parse_wire_time("") is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2021031108050", id="13-digits"),
        pytest.param("202103110805090", id="15-digits"),
        pytest.param("2021-03-11T08:05:09", id="iso"),
        pytest.param("20210231080509", id="31-february"),
        pytest.param("00000000000000", id="all-zero"),
        pytest.param("20210311250000", id="hour-25"),
        pytest.param(" 20210311080509", id="leading-space"),
        pytest.param("abcdefghijklmn", id="letters"),
    ],
)
def test_wire_parse_bad_raises(value: str) -> None:
    with pytest.raises(InvalidTime):
        parse_wire_time(value)


offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(
    st.datetimes(
        min_value=EARLIEST,
        max_value=LATEST,
        timezones=offsets,
    )
)
def test_wire_round_trip(moment: datetime) -> None:
    parsed = parse_wire_time(format_wire_time(moment))
    assert parsed == moment.replace(microsecond=0)
    assert parsed is not None
    assert parsed.tzinfo is VN_TZ


@given(st.datetimes(min_value=EARLIEST, max_value=LATEST))
def test_wire_text_round_trip(moment: datetime) -> None:
    text = moment.strftime("%Y%m%d%H%M%S")
    assert format_wire_time(parse_wire_time(text)) == text
