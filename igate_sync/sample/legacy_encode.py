"""Encode Unicode text the way pre-Unicode Vietnamese software stored it: TCVN3 or VNI.

The inverse of ``igate_sync.normalize.legacy.decode_legacy``, built without tables of its
own: for each character of the alphabet the samples use, a brute-force search through
``decode_legacy`` finds the shortest string of one or two "stored" characters (the cp1252
character of a byte, or U+0081, U+008D, U+008F, U+0090, U+009D for the five bytes cp1252
leaves undefined) that decodes to it. The inverse is built lazily, once per encoding.

TCVN3 has no code for a toned capital (Á, Ễ, ...): those are written with the lower-case
code, as ABC users did, so they decode to the lower-case letter. Every other character of
the alphabet round-trips. ASCII characters map to themselves.
"""

from __future__ import annotations

import functools
import unicodedata

from igate_sync.normalize.legacy import decode_legacy

# Vietnamese letters (lower case) beyond ASCII, and the tones that combine with each vowel.
_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_ASCII = "".join(chr(code) for code in range(0x20, 0x7F)) + "\t\n\r"
# Typographic marks a word processor leaves in text, which cp1252 can hold.
_PUNCTUATION = "\u2019\u2018\u201c\u201d\u2013\u2026"


def _letter(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def vietnamese_alphabet() -> frozenset[str]:
    """Every Vietnamese letter with or without tone, both cases, plus ASCII and a few marks."""
    lower = {_letter(unicodedata.normalize("NFD", v), t) for v in _VOWELS for t in _TONES}
    lower.add("đ")
    letters = lower | {c.upper() for c in lower}
    return frozenset(letters | set(_ASCII) | set(_PUNCTUATION))


def _stored_chars() -> tuple[str, ...]:
    """The character each byte value is stored as (cp1252, or the C1 control if undefined)."""
    chars: list[str] = []
    for byte in range(256):
        try:
            chars.append(bytes((byte,)).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return tuple(chars)


def _case_mismatch(target: str, candidate: str) -> int:
    """1 when ``candidate`` mixes cases against ``target`` (VNI 'eÃ' for 'ễ'), else 0."""
    if target.islower():
        return int(candidate != candidate.lower())
    if target.isupper():
        return int(candidate != candidate.upper())
    return 0


def _passes_capital(stored: str, decoded: str) -> bool:
    """A non-ASCII capital the encoding merely passes through: no code of its own.

    TCVN3 leaves bytes such as 0xC1 undefined, so their cp1252 capital ('Á') survives
    decoding; real TCVN3 text never holds them (it has no toned capitals).
    """
    return stored == decoded and not stored.isascii() and stored.isupper()


@functools.cache
def _inverse(encoding: str) -> dict[str, str]:
    """Unicode character → the shortest stored string that ``decode_legacy`` turns into it."""
    wanted = vietnamese_alphabet()
    stored = _stored_chars()
    found: dict[str, str] = {char: char for char in _ASCII}
    for char in stored:
        decoded = decode_legacy(char, encoding)
        if decoded in wanted and decoded not in found and not _passes_capital(char, decoded):
            found[decoded] = char
    best: dict[str, tuple[int, int, str]] = {}
    for first_rank, first in enumerate(stored):
        for second_rank, second in enumerate(stored):
            pair = first + second
            decoded = decode_legacy(pair, encoding)
            if len(decoded) != 1 or decoded not in wanted or decoded in found:
                continue
            rank = (_case_mismatch(decoded, pair), first_rank * 256 + second_rank, pair)
            if decoded not in best or rank < best[decoded]:
                best[decoded] = rank
    found.update((char, rank[2]) for char, rank in best.items())
    return found


class NotEncodable(ValueError):
    """A character that the legacy encoding cannot hold."""


def encode_legacy(value: str, encoding: str) -> str:
    """``value`` as a TCVN3 or VNI column stores it (cp1252 characters of the legacy bytes)."""
    name = encoding.strip().upper()
    if name == "UNICODE" or value.isascii():
        return value
    table = _inverse(name)
    out: list[str] = []
    for char in unicodedata.normalize("NFC", value):
        code = table.get(char)
        if code is None:
            code = table.get(char.lower())
        if code is None:
            raise NotEncodable(f"U+{ord(char):04X} has no {name} code")
        out.append(code)
    return "".join(out)
