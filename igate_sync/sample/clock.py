"""Local time for the samples as whole minutes since 2021-01-01 00:00 (Asia/Ho_Chi_Minh).

Integers keep the generator fast and exact; the register's text columns want
``dd/mm/yyyy[ HH:MM]`` and its ``ngay_cap_nhat`` a naive local datetime, both made here.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta

DAY = 1440
BASE_DATE = date(2021, 1, 1)
# The register's columns hold naive local time, so the sample's times are naive local too.
BASE = datetime(2021, 1, 1)  # noqa: DTZ001 - source columns are naive local time
_DAYS = 8 * 366  # 2021 .. 2028: room for due dates and late results past the last receipt

# Fixed public holidays (Tết moves; desks close for it, which the sample ignores).
_HOLIDAYS = {(1, 1), (30, 4), (1, 5), (2, 9)}


def _build() -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    texts: list[str] = []
    codes: list[str] = []
    workdays: list[int] = []
    for index in range(_DAYS):
        d = BASE_DATE + timedelta(days=index)
        texts.append(f"{d.day:02d}/{d.month:02d}/{d.year:04d}")
        codes.append(f"{d.year % 100:02d}{d.month:02d}{d.day:02d}")
        if d.weekday() < 5 and (d.day, d.month) not in _HOLIDAYS:
            workdays.append(index)
    return tuple(texts), tuple(codes), tuple(workdays)


DAY_TEXT, DAY_CODE, WORKDAYS = _build()


def day_index(d: date) -> int:
    """Days from 2021-01-01 to ``d``."""
    return (d - BASE_DATE).days


FIRST_RECEIPT = day_index(date(2021, 1, 4))
LAST_RECEIPT = day_index(date(2026, 10, 30))
# Nothing in the sample happens after this (tests mutate rows "now", later than any of it).
END = day_index(date(2026, 11, 20)) * DAY + 16 * 60
NEW_ERA = day_index(date(2025, 7, 1))  # the 2025 reorganisation: new commune code after it
OLD_ROWS = day_index(date(2023, 1, 1))  # rows before this may be migrated or legacy-encoded

RECEIPT_DAYS: tuple[int, ...] = tuple(d for d in WORKDAYS if FIRST_RECEIPT <= d <= LAST_RECEIPT)

# Desk hours: 07:30-11:30 and 13:30-17:00, 450 minutes a day.
MORNING, NOON, AFTERNOON, EVENING = 450, 690, 810, 1020
DESK_MINUTES = (NOON - MORNING) + (EVENING - AFTERNOON)


def desk_minute(offset: int) -> int:
    """Minute of the day of the ``offset``-th desk minute (0 .. DESK_MINUTES - 1)."""
    if offset < NOON - MORNING:
        return MORNING + offset
    return AFTERNOON + offset - (NOON - MORNING)


def at_desk(t: int) -> int:
    """``t``, or the next minute the desk is open if it falls outside desk hours."""
    minute = t % DAY
    if minute < MORNING:
        return t + MORNING - minute
    if NOON <= minute < AFTERNOON:
        return t + AFTERNOON - minute
    if minute >= EVENING:
        return t + DAY - minute + MORNING
    return t


def workday_after(day: int, n: int) -> int:
    """The ``n``-th working day after ``day`` (``day`` itself, or the next one, for 0)."""
    pos = bisect.bisect_left(WORKDAYS, day)
    return WORKDAYS[min(pos + n, len(WORKDAYS) - 1)]


def workday_before(day: int, n: int) -> int:
    """The ``n``-th working day before ``day``."""
    pos = bisect.bisect_left(WORKDAYS, day)
    return WORKDAYS[max(pos - n, 0)]


def date_text(t: int) -> str:
    """``dd/mm/yyyy`` of minute ``t``."""
    return DAY_TEXT[t // DAY]


def time_text(t: int) -> str:
    """``dd/mm/yyyy HH:MM`` of minute ``t``."""
    minute = t % DAY
    return f"{DAY_TEXT[t // DAY]} {minute // 60:02d}:{minute % 60:02d}"


def naive(t: int, seconds: int = 0) -> datetime:
    """Minute ``t`` (plus ``seconds``) as a naive local datetime, as the register stores it."""
    return BASE + timedelta(minutes=t, seconds=seconds)
