"""Field rules of the gateway's dossier and event objects (upstream-contract.md sections 1-3).

Written from the contract text alone, never from ``igate_sync.schemas``, so that a client bug
and a simulator bug cannot cancel out. Each error is ``{"Truong": field, "MoTa": code}``;
nested fields are named like ``DinhDanhCHS[0].SoDinhDanh``. Codes never echo the value
(personal data stays out of replies):

- ``THIEU_TRUONG``: the key is missing.
- ``TRUONG_KHONG_XAC_DINH``: a key the contract does not know.
- ``KIEU_KHONG_HOP_LE``: wrong JSON type (a scalar that is not a string, a list that is not one).
- ``KHONG_CHUAN_NFC``: text not in Unicode NFC.
- ``BAT_BUOC``: a required value is empty.
- ``SAI_DINH_DANG``: the value does not have the required format (pattern, time, digits).
- ``GIA_TRI_KHONG_HOP_LE``: a code outside its code table.
- ``QUA_DAI``: the text is longer than allowed.
- ``KHOANG_TRANG``: leading, trailing or doubled spaces.
- ``DAU_NHAY``: an apostrophe look-alike where ``'`` is required.
- ``KHONG_KHOP_MA_DON_VI``: the MaHoSo prefix is not the request's MaDonVi.
- ``TRUOC_NGAY_TIEP_NHAN``: a date before NgayTiepNhan.
- ``KHONG_KHOP``: PhienBan differs from the recomputed hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

Error = dict[str, str]
Check = Callable[[object], str | None]
ItemRule = Callable[[Mapping[str, object]], tuple[str, str] | None]

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
VERSION_KEYS = ("PhienBan", "NgayCapNhat")

_MA_HO_SO = re.compile(r"[0-9A-Z.]+-[0-9]{6}-[0-9]{4,5}")
_MA_TTHC = re.compile(r"[0-9]\.[0-9]{6}(\.[0-9A-Z.]+)?")
_TIME = re.compile(r"[0-9]{14}")
_PHONE = re.compile(r"0[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DIGITS = re.compile(r"[0-9]+")
_ID_NUMBER = re.compile(r"[0-9]{12}|[0-9]{9}")
_STT = re.compile(r"[1-9][0-9]*")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_APOSTROPHE_LOOKALIKES = frozenset("\u2019\u02bc\u2018`")
_ID_LENGTH = {"1": 12, "2": 9}
_STATUSES = tuple(str(n) for n in range(1, 11))


def parse_wire_time(value: str) -> datetime | None:
    """The aware datetime of a ``yyyyMMddHHmmss`` wire time, or None when it is not one."""
    if not _TIME.fullmatch(value):
        return None
    year, month, day = int(value[0:4]), int(value[4:6]), int(value[6:8])
    hour, minute, second = int(value[8:10]), int(value[10:12]), int(value[12:14])
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=VIETNAM)
    except ValueError:
        return None


def compute_phien_ban(obj: Mapping[str, object]) -> str:
    """PhienBan per contract section 2: SHA-256 hex of the canonical JSON without version keys."""
    content = {k: v for k, v in obj.items() if k not in VERSION_KEYS}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- scalar checks: each returns an error code or None -------------------------------------


def is_text(value: object) -> str | None:
    """Every scalar is a string, in NFC."""
    if not isinstance(value, str):
        return "KIEU_KHONG_HOP_LE"
    if not unicodedata.is_normalized("NFC", value):
        return "KHONG_CHUAN_NFC"
    return None


def non_empty(value: object) -> str | None:
    """A required value is not empty."""
    return "BAT_BUOC" if value == "" else None


def matches(pattern: re.Pattern[str], *, allow_empty: bool = False) -> Check:
    """The whole text matches ``pattern`` (or is empty when allowed)."""

    def check(value: object) -> str | None:
        text = str(value)
        if allow_empty and text == "":
            return None
        return None if pattern.fullmatch(text) else "SAI_DINH_DANG"

    return check


def one_of(*codes: str) -> Check:
    """The value is one of the code table's codes."""

    def check(value: object) -> str | None:
        return None if value in codes else "GIA_TRI_KHONG_HOP_LE"

    return check


def at_most(limit: int) -> Check:
    """The text has at most ``limit`` characters."""

    def check(value: object) -> str | None:
        return "QUA_DAI" if len(str(value)) > limit else None

    return check


def wire_time(*, required: bool) -> Check:
    """A valid ``yyyyMMddHHmmss`` calendar time; ``""`` only when not required."""

    def check(value: object) -> str | None:
        text = str(value)
        if text == "":
            return "BAT_BUOC" if required else None
        return None if parse_wire_time(text) else "SAI_DINH_DANG"

    return check


def clean_spaces(value: object) -> str | None:
    """No leading, trailing or doubled spaces."""
    text = str(value)
    return "KHOANG_TRANG" if text != text.strip() or "  " in text else None


def plain_apostrophes(value: object) -> str | None:
    """Apostrophes are written as ``'``, never as a look-alike."""
    return "DAU_NHAY" if _APOSTROPHE_LOOKALIKES.intersection(str(value)) else None


# --- object specs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ListOf:
    """A list field whose items are objects with exactly these keys."""

    fields: Mapping[str, tuple[Check, ...]]
    item_rules: tuple[ItemRule, ...] = field(default=())


def _id_length_matches(item: Mapping[str, object]) -> tuple[str, str] | None:
    expected = _ID_LENGTH.get(str(item.get("LoaiDinhDanh")))
    number = item.get("SoDinhDanh")
    if expected is None or not isinstance(number, str) or len(number) == expected:
        return None
    return ("SoDinhDanh", "SAI_DINH_DANG")


TEXT: tuple[Check, ...] = (is_text,)
REQUIRED_TEXT: tuple[Check, ...] = (is_text, non_empty)

DOSSIER_SPEC: Mapping[str, tuple[Check, ...] | ListOf] = {
    "MaHoSo": (is_text, non_empty, matches(_MA_HO_SO)),
    "MaTTHC": (is_text, non_empty, matches(_MA_TTHC)),
    "TenTTHC": REQUIRED_TEXT,
    "MaLinhVuc": TEXT,
    "TenLinhVuc": TEXT,
    "KenhThucHien": (is_text, one_of("1", "2", "3")),
    "MucDo": (is_text, one_of("2", "3", "4")),
    "ChuHoSo": (is_text, non_empty, clean_spaces, plain_apostrophes),
    "LoaiDoiTuong": (is_text, one_of("1", "2", "3", "4")),
    "DinhDanhCHS": ListOf(
        {
            "LoaiDinhDanh": (is_text, one_of("1", "2")),
            "SoDinhDanh": (is_text, matches(_ID_NUMBER)),
        },
        (_id_length_matches,),
    ),
    "SoDienThoai": (is_text, matches(_PHONE, allow_empty=True)),
    "Email": (is_text, matches(_EMAIL, allow_empty=True)),
    "DiaChi": TEXT,
    "TrichYeuHoSo": (is_text, at_most(1000)),
    "NgayTiepNhan": (is_text, wire_time(required=True)),
    "NgayHenTra": (is_text, wire_time(required=False)),
    "NgayKetThucXuLy": (is_text, wire_time(required=False)),
    "NgayTra": (is_text, wire_time(required=False)),
    "TrangThaiHoSo": (is_text, one_of(*_STATUSES)),
    "DonViXuLy": TEXT,
    "GhiChu": TEXT,
    "TaiLieuNop": ListOf(
        {
            "TenTepDinhKem": TEXT,
            "SoBan": TEXT,
            "DuocSoHoa": (is_text, one_of("0", "1")),
        }
    ),
    "DanhSachLePhi": ListOf(
        {
            "TenPhiLePhi": TEXT,
            "Gia": (is_text, matches(_DIGITS)),
            "DaThu": (is_text, one_of("0", "1")),
        }
    ),
    "NgayCapNhat": (is_text, wire_time(required=True)),
    "PhienBan": (is_text, non_empty, matches(_SHA256_HEX)),
}

EVENT_SPEC: Mapping[str, tuple[Check, ...] | ListOf] = {
    "MaHoSo": (is_text, non_empty, matches(_MA_HO_SO)),
    "STT": (is_text, non_empty, matches(_STT)),
    "NguoiXuLy": (is_text, at_most(50)),
    "ChucDanh": TEXT,
    "PhongBanXuLy": TEXT,
    "ThoiDiemXuLy": (is_text, wire_time(required=True)),
    "NoiDungXuLy": TEXT,
    "TrangThai": (is_text, one_of(*_STATUSES)),
    "HanXuLy": (is_text, wire_time(required=False)),
}


# --- the validation engine ------------------------------------------------------------------


def _error(field_name: str, code: str) -> Error:
    return {"Truong": field_name, "MoTa": code}


def _first_failure(value: object, checks: tuple[Check, ...]) -> str | None:
    for check in checks:
        code = check(value)
        if code is not None:
            return code
    return None


def _key_errors(obj: Mapping[str, object], keys: Mapping[str, object], prefix: str) -> list[Error]:
    missing = [_error(prefix + k, "THIEU_TRUONG") for k in keys if k not in obj]
    unknown = [_error(prefix + str(k), "TRUONG_KHONG_XAC_DINH") for k in obj if k not in keys]
    return missing + unknown


def _object_errors(
    obj: Mapping[str, object], spec: Mapping[str, tuple[Check, ...] | ListOf], prefix: str = ""
) -> list[Error]:
    errors = _key_errors(obj, spec, prefix)
    for name, rule in spec.items():
        if name not in obj:
            continue
        if isinstance(rule, ListOf):
            errors.extend(_list_errors(obj[name], rule, prefix + name))
            continue
        code = _first_failure(obj[name], rule)
        if code is not None:
            errors.append(_error(prefix + name, code))
    return errors


def _item_errors(item: object, spec: ListOf, name: str) -> list[Error]:
    if not isinstance(item, dict):
        return [_error(name, "KIEU_KHONG_HOP_LE")]
    errors = _object_errors(item, spec.fields, name + ".")
    if errors:
        return errors
    failures = (rule(item) for rule in spec.item_rules)
    return [_error(f"{name}.{sub}", code) for sub, code in filter(None, failures)]


def _list_errors(value: object, spec: ListOf, name: str) -> list[Error]:
    if not isinstance(value, list):
        return [_error(name, "KIEU_KHONG_HOP_LE")]
    errors: list[Error] = []
    for index, item in enumerate(value):
        errors.extend(_item_errors(item, spec, f"{name}[{index}]"))
    return errors


def _agency_error(obj: Mapping[str, object], ma_don_vi: str) -> list[Error]:
    ma_ho_so = obj.get("MaHoSo")
    if not isinstance(ma_ho_so, str) or not _MA_HO_SO.fullmatch(ma_ho_so):
        return []  # the format error is reported already
    prefix = ma_ho_so.split("-", 1)[0]
    return [] if prefix == ma_don_vi else [_error("MaHoSo", "KHONG_KHOP_MA_DON_VI")]


def _not_before_intake(obj: Mapping[str, object], name: str) -> list[Error]:
    intake, other = obj.get("NgayTiepNhan"), obj.get(name)
    if not isinstance(intake, str) or not isinstance(other, str):
        return []
    start, end = parse_wire_time(intake), parse_wire_time(other)
    if start is None or end is None or end >= start:
        return []
    return [_error(name, "TRUOC_NGAY_TIEP_NHAN")]


def _version_error(obj: Mapping[str, object]) -> list[Error]:
    given = obj.get("PhienBan")
    if not isinstance(given, str) or not _SHA256_HEX.fullmatch(given):
        return []  # the missing or format error is reported already
    return [] if given == compute_phien_ban(obj) else [_error("PhienBan", "KHONG_KHOP")]


def validate_dossier(obj: object, ma_don_vi: str) -> list[Error]:
    """Every field error of one pushed dossier; ``[]`` when the gateway would store it."""
    if not isinstance(obj, dict):
        return [_error("", "KIEU_KHONG_HOP_LE")]
    return [
        *_object_errors(obj, DOSSIER_SPEC),
        *_agency_error(obj, ma_don_vi),
        *_not_before_intake(obj, "NgayHenTra"),
        *_not_before_intake(obj, "NgayTra"),
        *_version_error(obj),
    ]


def validate_event(obj: object, ma_don_vi: str) -> list[Error]:
    """Every field error of one pushed progress event; ``[]`` when it is well formed."""
    if not isinstance(obj, dict):
        return [_error("", "KIEU_KHONG_HOP_LE")]
    return [*_object_errors(obj, EVENT_SPEC), *_agency_error(obj, ma_don_vi)]
