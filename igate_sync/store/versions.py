"""NgayCapNhat of a new dossier version: from the source when it can tell, never backwards."""

from __future__ import annotations

from datetime import datetime, timedelta

from igate_sync.normalize import format_wire_time, parse_wire_time


def version_time(changed_at: datetime | None, previous: str | None, now: datetime) -> str:
    """The source's change time when later than the previous version's, else first-read time."""
    if changed_at is not None:
        candidate = format_wire_time(changed_at)
        if previous is None or candidate > previous:
            return candidate
    chosen = format_wire_time(now)
    if previous is not None and chosen <= previous:
        last = parse_wire_time(previous)
        assert last is not None
        chosen = format_wire_time(last + timedelta(seconds=1))
    return chosen
