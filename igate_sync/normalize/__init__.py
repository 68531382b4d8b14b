"""Pure normalisation: text, legacy encodings, IDs, phones, times and code tables.

Nothing here does I/O or imports the rest of igate_sync; each function takes a raw source
value and returns the cleaned value, None, or raises a ValueError subclass.
"""

from __future__ import annotations

from igate_sync.normalize.codes import (
    HO_TICH_CHANNEL,
    HO_TICH_STATUS,
    channel_from_label,
    status_from_label,
)
from igate_sync.normalize.ids import parse_citizen_id
from igate_sync.normalize.legacy import LEGACY_ENCODINGS, UnknownEncoding, decode_legacy
from igate_sync.normalize.phones import is_blank, normalize_phone
from igate_sync.normalize.text import clean_text, cut, fold, truncate
from igate_sync.normalize.times import (
    VN_TZ,
    InvalidTime,
    as_local,
    end_of_day,
    format_wire_time,
    parse_legacy_time,
    parse_wire_time,
)

__all__ = [
    "HO_TICH_CHANNEL",
    "HO_TICH_STATUS",
    "LEGACY_ENCODINGS",
    "VN_TZ",
    "InvalidTime",
    "UnknownEncoding",
    "as_local",
    "channel_from_label",
    "clean_text",
    "cut",
    "decode_legacy",
    "end_of_day",
    "fold",
    "format_wire_time",
    "is_blank",
    "normalize_phone",
    "parse_citizen_id",
    "parse_legacy_time",
    "parse_wire_time",
    "status_from_label",
    "truncate",
]
