"""Citizen identity numbers: CCCD (12 digits) and the older CMND (9 digits)."""

from __future__ import annotations

import re

_CCCD = "1"
_CMND = "2"

# Sources type IDs with spaces, dots and dashes (typographic dashes too, from word processors).
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]+")


def parse_citizen_id(raw: str | None) -> tuple[str, str] | None:
    """``(LoaiDinhDanh, digits)`` for a CCCD ("1") or CMND ("2") number; anything else → None."""
    if raw is None:
        return None
    digits = _SEPARATORS.sub("", raw)
    # isdigit() alone accepts other scripts' digits; isascii() keeps it to 0-9.
    if not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits) == 12:
        return (_CCCD, digits)
    if len(digits) == 9:
        return (_CMND, digits)
    return None
