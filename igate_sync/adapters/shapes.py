"""Redacted shapes of source values, safe to store and show beside a quarantine reason."""

from __future__ import annotations

_MAX = 40


def value_shape(value: object) -> str:
    """The shape of a value without its content: digits as 9, letters as a/A."""
    if value is None:
        return "NULL"
    text = str(value)
    if not text.strip():
        return "''" if not text else "' '"
    shape = "".join(_shape_char(c) for c in text[:_MAX])
    return shape + ("…" if len(text) > _MAX else "")


def _shape_char(c: str) -> str:
    if c.isdigit():
        return "9"
    if c.isalpha():
        return "A" if c.isupper() else "a"
    return " " if c.isspace() else c
