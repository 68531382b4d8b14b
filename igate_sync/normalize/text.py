"""Clean and fold free text: the "clean text" and "folded" rules of commune-schemas/README.md."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_APOSTROPHE_LOOKALIKES = "\u2019\u02bc\u2018`"

_CLEAN_TABLE: dict[int, str | None] = str.maketrans(
    {**dict.fromkeys(_ZERO_WIDTH), **dict.fromkeys(_APOSTROPHE_LOOKALIKES, "'")}
)

# The Unicode "combining diacritical marks" blocks: after NFD these carry every Vietnamese
# tone and vowel mark, so one translate pass strips them on the hot path.
_DIACRITIC_BLOCKS = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_FOLD_TABLE: dict[int, str | None] = {
    **{code: None for first, last in _DIACRITIC_BLOCKS for code in range(first, last + 1)},
    ord("đ"): "d",
}

_ELLIPSIS = "..."


# Labels, officers' names, departments, procedure names repeat row after row: short texts
# are cleaned and folded once (bounded caches: about 3 MB at most).
_CACHED_LENGTH = 64
_CACHE_SIZE = 16_384


def clean_text(value: str | None) -> str | None:
    """NFC, no zero-width characters, plain apostrophes, single spaces, trimmed; empty → None."""
    if value is None:
        return None
    if len(value) <= _CACHED_LENGTH:
        return _clean_short(value)
    return _clean(value)


def _clean(value: str) -> str | None:
    text = unicodedata.normalize("NFC", value).translate(_CLEAN_TABLE)
    if not unicodedata.is_normalized("NFC", text):
        # A removed zero-width character can leave a base letter next to a combining mark.
        text = unicodedata.normalize("NFC", text)
    # str.split() without arguments splits on every Unicode space, no-break spaces included.
    return " ".join(text.split()) or None


def fold(value: str | None) -> str | None:
    """Clean text, lower-cased, without diacritics and with đ as d: the key for label matching."""
    if value is None:
        return None
    if len(value) <= _CACHED_LENGTH:
        return _fold_short(value)
    return _fold(value)


def _fold(value: str) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    bare = unicodedata.normalize("NFD", text.lower()).translate(_FOLD_TABLE)
    if not bare.isascii():
        bare = _drop_marks(bare)
    # A dropped mark that stood alone can leave a space at an edge or two spaces together.
    return " ".join(bare.split()) or None


_clean_short = lru_cache(maxsize=_CACHE_SIZE)(_clean)
_fold_short = lru_cache(maxsize=_CACHE_SIZE)(_fold)


def _drop_marks(text: str) -> str:
    """Drop every combining mark, for the rare text with marks outside the diacritic blocks."""
    return "".join(char for char in text if unicodedata.category(char)[0] != "M")


def truncate(text: str, limit: int = 1000) -> str:
    """Keep ``text`` within ``limit`` characters: a longer one becomes its start plus "..."."""
    if len(text) <= limit:
        return text
    return text[: limit - len(_ELLIPSIS)] + _ELLIPSIS


def cut(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, trimmed (NguoiXuLy takes 50)."""
    return text[:limit].strip()
