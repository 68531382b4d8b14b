"""Decode text that pre-Unicode Vietnamese software stored: TCVN3 (ABC) and VNI-Windows.

mot_cua_v1 rows say in ``ma_hoa`` how their text columns are encoded. The legacy bytes were
stored as if they were Windows-1252 characters, so a column holds, for each byte, the
character cp1252 gives it (and U+0081, U+008D, U+008F, U+0090, U+009D for the five bytes
cp1252 leaves undefined, as MySQL's latin1 does). Each table below is therefore keyed by
that character and turns it straight into Unicode with one ``str.translate``.

TCVN3 is TCVN 5712:1993 "VN3", the 8-bit set of the ABC fonts (.VnTime). It has a code for
each lower-case letter and only seven capitals: Ă Â Ê Ô Ơ Ư Đ. A toned capital was typed
with the lower-case code and shown with an all-capitals font (.VnTimeH), which the bytes do
not record; those codes always decode to the lower-case letter. Bytes outside VN3 keep
their cp1252 character.

VNI-Windows writes a base letter followed by separate bytes for its vowel mark and tone
(``Nguyeãn`` is ``Nguyễn``), except for ơ ư đ, the toned i and ỵ, which are single bytes.
Mark bytes decode to Unicode combining marks and the result is composed to NFC.

Characters outside cp1252 cannot have come from a legacy byte and pass through unchanged.
Decode before cleaning: TCVN3 uses byte 0xAD (a soft hyphen in cp1252) for ư.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

LEGACY_ENCODINGS = ("UNICODE", "TCVN3", "VNI")


class UnknownEncoding(ValueError):
    """A row names a text encoding this decoder does not know: never guess one."""


def _byte_chars() -> tuple[str, ...]:
    """The character each byte value became when legacy bytes were stored as Windows-1252."""
    chars: list[str] = []
    for byte in range(256):
        try:
            chars.append(bytes((byte,)).decode("cp1252"))
        except UnicodeDecodeError:
            # Undefined in cp1252: databases keep such a byte as the C1 control of that value.
            chars.append(chr(byte))
    return tuple(chars)


_BYTE_CHARS = _byte_chars()

# TCVN 5712:1993 VN3 as runs of consecutive byte values: (first byte, the letters from there).
_TCVN3_RUNS = (
    (0xA1, "ĂÂÊÔƠƯĐăâêôơưđ"),
    (0xB5, "àảãáạ"),
    (0xBB, "ằẳẵắ"),
    (0xC6, "ặầẩẫấậè"),
    (0xCE, "ẻẽéẹềểễếệìỉ"),
    (0xDC, "ĩíịò"),
    (0xE1, "ỏõóọồổỗốộờởỡớợù"),
    (0xF1, "ủũúụừửữứựỳỷỹýỵ"),
)

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"

# VNI-Windows, lower-case byte → what it writes; each upper-case byte (Ù for ù, ...) writes
# the same mark, or the upper-case letter. All are bytes 0xC0-0xFF, where the cp1252
# character has the byte's own code point.
_VNI_MARKS = {
    "ø": _GRAVE,
    "ù": _ACUTE,
    "û": _HOOK,
    "õ": _TILDE,
    "ï": _DOT,
    "â": _CIRCUMFLEX,
    "à": _CIRCUMFLEX + _GRAVE,
    "á": _CIRCUMFLEX + _ACUTE,
    "å": _CIRCUMFLEX + _HOOK,
    "ã": _CIRCUMFLEX + _TILDE,
    "ä": _CIRCUMFLEX + _DOT,
    "ê": _BREVE,
    "è": _BREVE + _GRAVE,
    "é": _BREVE + _ACUTE,
    "ú": _BREVE + _HOOK,
    "ü": _BREVE + _TILDE,
    "ë": _BREVE + _DOT,
}
_VNI_LETTERS = {
    "ô": "ơ",
    "ö": "ư",
    "ñ": "đ",
    "ì": "ì",
    "í": "í",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "î": "ỵ",
}


def _tcvn3_table() -> dict[int, str]:
    """The TCVN3 translate table, keyed by the cp1252 character of each byte."""
    table: dict[int, str] = {}
    for first, letters in _TCVN3_RUNS:
        for offset, letter in enumerate(letters):
            table[ord(_BYTE_CHARS[first + offset])] = letter
    return table


def _vni_table() -> dict[int, str]:
    """The VNI-Windows translate table, both cases of every mark and letter byte."""
    pairs: Iterable[tuple[str, str]] = [
        *((char, mark) for char, mark in _VNI_MARKS.items()),
        *((char.upper(), mark) for char, mark in _VNI_MARKS.items()),
        *((char, letter) for char, letter in _VNI_LETTERS.items()),
        *((char.upper(), letter.upper()) for char, letter in _VNI_LETTERS.items()),
    ]
    return {ord(char): value for char, value in pairs}


_TABLES = {"TCVN3": _tcvn3_table(), "VNI": _vni_table()}


def decode_legacy(value: str, encoding: str) -> str:
    """Decode ``value`` stored in ``encoding`` (UNICODE, TCVN3 or VNI) to Unicode NFC."""
    name = encoding.strip().upper()
    if name == "UNICODE":
        return value
    table = _TABLES.get(name)
    if table is None:
        raise UnknownEncoding(f"unknown text encoding {encoding[:20]!r}")
    return unicodedata.normalize("NFC", value.translate(table))
