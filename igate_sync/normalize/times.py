"""Local times: legacy ``dd/mm/yyyy[ HH:MM]`` text, DB timestamps and the wire's ``yyyyMMddHHmmss``.

Commune sources hold local time in Vietnam, which has kept UTC+7 without daylight saving
since 1975, so a fixed offset is exact and needs no tz database.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


class InvalidTime(ValueError):
    """Text that should hold a time holds no possible one ('31/02/2021', '00/00/0000', ...)."""


_LEGACY_TIME = re.compile(
    r"(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})"
    r"(?:\s+(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}))?"
)
_WIRE_TIME = re.compile(r"[0-9]{14}")


def parse_legacy_time(raw: str | None, *, end_of_day: bool = False) -> datetime | None:
    """Local ``dd/mm/yyyy HH:MM`` or ``dd/mm/yyyy`` (00:00:00, or 23:59:59 if end_of_day)."""
    # None or blank → None; text that holds no possible time → InvalidTime.
    if raw is None or not (text := raw.strip()):
        return None
    match = _LEGACY_TIME.fullmatch(text)
    if match is None:
        raise InvalidTime("not a dd/mm/yyyy [HH:MM] time")
    day, month, year, hour, minute = match.group("day", "month", "year", "hour", "minute")
    if hour is not None:
        return _local(int(year), int(month), int(day), int(hour), int(minute), 0)
    if end_of_day:
        return _local(int(year), int(month), int(day), 23, 59, 59)
    return _local(int(year), int(month), int(day), 0, 0, 0)


def _local(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    """An aware local datetime, or InvalidTime for an impossible one."""
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=VN_TZ)
    except ValueError as exc:
        raise InvalidTime("no such date or time") from exc


def as_local(value: datetime) -> datetime:
    """``value`` in VN_TZ: a naive one (a DB TIMESTAMP column) is local time already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=VN_TZ)
    return value.astimezone(VN_TZ)


def end_of_day(d: date) -> datetime:
    """23:59:59 local time on ``d``: a due date counts as met until then."""
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=VN_TZ)


def format_wire_time(value: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in local time; None → ""; a naive ``value`` is a bug → ValueError."""
    if value is None:
        return ""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: call as_local() first")
    local = value.astimezone(VN_TZ)
    # Formatted by hand: strftime('%Y') does not zero-pad years before 1000 on every platform.
    return (
        f"{local.year:04d}{local.month:02d}{local.day:02d}"
        f"{local.hour:02d}{local.minute:02d}{local.second:02d}"
    )


def parse_wire_time(value: str) -> datetime | None:
    """Inverse of format_wire_time: "" → None; not a real yyyyMMddHHmmss → InvalidTime."""
    if value == "":
        return None
    if _WIRE_TIME.fullmatch(value) is None:
        raise InvalidTime("not a yyyyMMddHHmmss time")
    return _local(
        int(value[0:4]),
        int(value[4:6]),
        int(value[6:8]),
        int(value[8:10]),
        int(value[10:12]),
        int(value[12:14]),
    )
