"""Vietnamese phone numbers: ten digits, ``0`` + 9, since the 2018 renumbering."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[^0-9]+")

_COUNTRY_CODE = "84"
# "84" + 9 digits is a ten-digit national number, "84" + 10 an old eleven-digit mobile one.
_INTERNATIONAL_LENGTHS = frozenset({11, 12})
_NATIONAL_LENGTH = 10
_OLD_MOBILE_LENGTH = 11

# The 2018 mobile renumbering: old 4-digit prefix → new 3-digit prefix (domain.md).
_OLD_MOBILE_PREFIXES: dict[str, str] = {
    **{f"016{last}": f"03{last}" for last in "23456789"},
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}


def normalize_phone(raw: str | None) -> str | None:
    """The ten-digit national form of ``raw`` (``0`` + 9 digits), or None when it has none."""
    if raw is None:
        return None
    digits = _NON_DIGITS.sub("", raw)
    if digits.startswith(_COUNTRY_CODE) and len(digits) in _INTERNATIONAL_LENGTHS:
        digits = "0" + digits[len(_COUNTRY_CODE) :]
    if len(digits) == _OLD_MOBILE_LENGTH:
        new_prefix = _OLD_MOBILE_PREFIXES.get(digits[:4])
        if new_prefix is not None:
            digits = new_prefix + digits[4:]
    if len(digits) == _NATIONAL_LENGTH and digits.startswith("0"):
        return digits
    return None


def is_blank(raw: str | None) -> bool:
    """True for None or white space only: no number was given, so a None result is no finding."""
    return raw is None or not raw.strip()
