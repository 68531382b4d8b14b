"""Seeded, realistic sample data for the ho_tich_v1 register (commune-schemas/ho_tich_v1.sql).

``create_register`` makes the table; ``generate`` streams civil-status requests into it, one
chunk per transaction, never holding the whole sample in memory. The same seed gives the
same rows, whatever the chunk size. ``mutate`` handles rows afterwards as the justice
officer does, stamping every row it touches with one ``sua_luc``, as a trigger in one
transaction would.

Many rows share one ``sua_luc``: the 2023 software upgrade re-stamped every older row at
one instant, and an evening job closes the day's handed-out results in one batch. A share
``quirk_rate`` of the rows carries one planted defect each: a draft, or exactly one broken
quarantine rule of commune-schemas/README.md. Independently, rows carry the harmless
realities of commune data: GUIDs in upper or lower case, NFD names, zero-width characters,
stray spaces, ID types that disagree with the number, and passports, mistyped IDs and
unusable phones (data-quality findings). ``HoTichStats`` counts every kind.
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection, RowMapping

from igate_sync.adapters.ho_tich_mapping import Procedure
from igate_sync.adapters.ho_tich_schema import hotich_yeu_cau as yc
from igate_sync.adapters.ho_tich_schema import metadata
from igate_sync.normalize import as_local, parse_citizen_id
from igate_sync.sample import clock, vocab
from igate_sync.sample.clock import DAY
from igate_sync.sample.people import People, Person, Weighted

Row = dict[str, Any]

_HT = ("HT", "Hộ tịch")
DEFAULT_PROCEDURES: dict[str, Procedure] = {
    "KS": Procedure("1.001193", "Đăng ký khai sinh", *_HT, 4),
    "KT": Procedure("1.000656", "Đăng ký khai tử", *_HT, 4),
    "KH": Procedure("1.000894", "Đăng ký kết hôn", *_HT, 3),
    "XNHN": Procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", *_HT, 4),
    "CMC": Procedure("1.001022", "Đăng ký nhận cha, mẹ, con", *_HT, 3),
}

# Planted defect → the share of defective rows it takes. Names are HoTichStats fields.
QUIRK_SHARES: dict[str, float] = {
    "drafts": 0.20,
    "bad_code": 0.12,
    "unknown_procedure": 0.12,
    "unknown_channel": 0.10,
    "missing_applicant": 0.12,
    "due_before_received": 0.10,
    "returned_before_received": 0.10,
    "unknown_status": 0.14,
}
# HoTichStats field → the quarantine reason code the spec gives such a row.
QUARANTINE_REASONS: dict[str, str] = {
    "bad_code": "invalid_dossier_code",
    "unknown_procedure": "unknown_procedure",
    "unknown_channel": "unknown_channel",
    "missing_applicant": "missing_applicant",
    "due_before_received": "due_before_received",
    "returned_before_received": "returned_before_received",
    "unknown_status": "unknown_status",
}
# The vendor's 2023 upgrade touched every row, so the trigger stamped them all at once.
UPGRADE = datetime(2023, 7, 15, 21, 30, 0)  # noqa: DTZ001 - sua_luc is naive local time
# Civil-status receipts take numbers from 5001 of each day's counter, so that this sample
# and a mot_cua_v1 sample of the same agency never share a dossier code.
COUNTER_BASE = 5000
UPPER_CASE_KEY_SHARE = 0.35
NFD_SHARE = 0.05


@dataclass
class HoTichStats:
    """What ``generate`` wrote: row counts and how many rows carry each planted quirk."""

    total: int = 0
    drafts: int = 0
    bad_code: int = 0
    unknown_procedure: int = 0
    unknown_channel: int = 0
    missing_applicant: int = 0
    due_before_received: int = 0
    returned_before_received: int = 0
    unknown_status: int = 0
    bad_id: int = 0
    bad_phone: int = 0
    id_type_mismatch: int = 0
    upper_case_keys: int = 0
    nfd_names: int = 0
    zero_width_names: int = 0
    batch_stamped: int = 0

    def quarantine_reasons(self) -> dict[str, int]:
        """Quarantine reason code → how many rows should be quarantined for it."""
        return {reason: getattr(self, name) for name, reason in QUARANTINE_REASONS.items()}

    @property
    def quarantined(self) -> int:
        """Rows that break a quarantine rule (drafts not included)."""
        return sum(self.quarantine_reasons().values())

    @property
    def pushable(self) -> int:
        """Rows that map to a dossier the gateway should receive."""
        return self.total - self.drafts - self.quarantined


def create_register(engine: Engine) -> None:
    """Create the hotich_yeu_cau table (idempotent)."""
    metadata.create_all(engine)


def generate(
    engine: Engine,
    *,
    count: int,
    seed: int = 1,
    agency_code: str = "000.24.24.H16",
    chunk: int = 2000,
    quirk_rate: float = 0.08,
) -> HoTichStats:
    """Insert ``count`` requests received from January 2021 to October 2026; call
    ``create_register`` first. Dossier codes continue the per-day counters already in the
    table; another call on the same table needs another seed (GUIDs come from the seed).
    """
    if count < 0 or chunk < 1 or not 0.0 <= quirk_rate <= 1.0:
        raise ValueError("count >= 0, chunk >= 1 and 0 <= quirk_rate <= 1 are required")
    with engine.connect() as conn:
        counters = _existing_counters(conn, agency_code)
    factory = _Factory(
        random.Random(seed),  # noqa: S311 - sample data, not security
        agency_code=agency_code,
        quirk_rate=quirk_rate,
        count=count,
        counters=counters,
    )
    for begin in range(0, count, chunk):
        rows = [factory.request(k) for k in range(begin, min(begin + chunk, count))]
        with engine.begin() as conn:
            conn.execute(yc.insert(), rows)
    return factory.stats()


def mutate(engine: Engine, *, keys: Sequence[str], seed: int, now: datetime) -> None:
    """Handle these requests: the next status (or a corrected address once closed, a
    corrected phone for a draft), all stamped ``sua_luc`` = ``now`` in naive local time."""
    local = as_local(now).replace(tzinfo=None, microsecond=0)
    with engine.begin() as conn:
        for key in keys:
            row = conn.execute(select(yc).where(yc.c.ma_yc == key)).mappings().first()
            if row is None:
                raise LookupError(f"no hotich_yeu_cau row with ma_yc {key}")
            rng = random.Random(f"mutate:{seed}:{key}")  # noqa: S311 - sample data
            values = _handled(row, rng, local)
            conn.execute(yc.update().where(yc.c.ma_yc == key).values(values))


# --- Changing rows afterwards ----------------------------------------------------------------

# Where the officer moves a request next; a closed one keeps its status (a correction).
_NEXT_STATUS = {0: 1, 1: 2, 2: 3}


def _handled(row: RowMapping, rng: random.Random, local: datetime) -> Row:
    values: Row = {"sua_luc": local}
    if row["so_bien_nhan"] is None:
        values["sdt"] = f"{rng.choice(vocab.MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
    elif row["tinh_trang"] in _NEXT_STATUS:
        status = _NEXT_STATUS[row["tinh_trang"]]
        values["tinh_trang"] = status
        values["can_bo_xu_ly"] = rng.choice(_OFFICERS)
        if status == 3 and row["tg_tra"] is None:
            values["tg_tra"] = local
    else:
        # A closed request (or one of unknown status) gets its address in the post-2025 units.
        values["dia_chi"] = vocab.ADDRESS_NEW.format(village=rng.choice(vocab.VILLAGES))
    return values


# --- Reading what is there -------------------------------------------------------------------

_COUNTER = re.compile(r"-([0-9]{6})-([0-9]{4,5})$")
_DAY_BY_CODE = {code: index for index, code in enumerate(clock.DAY_CODE)}


def _existing_counters(conn: Connection, agency_code: str) -> dict[int, int]:
    """Day → highest counter among this agency's dossier codes already in the table."""
    counters: dict[int, int] = {}
    query = select(yc.c.so_bien_nhan).where(yc.c.so_bien_nhan.like(f"{agency_code}-%"))
    for code in conn.execute(query).scalars():
        match = _COUNTER.search(code.strip())
        day = _DAY_BY_CODE.get(match.group(1)) if match else None
        if match and day is not None:
            counters[day] = max(counters.get(day, 0), int(match.group(2)))
    return counters


# --- Building rows ---------------------------------------------------------------------------

# Births and marital-status certificates fill the justice officer's days.
_KIND = Weighted([("KS", 40), ("XNHN", 33), ("KH", 12), ("KT", 12), ("CMC", 3)])
# Working days to the result the desk promises: births and deaths the same day.
_WORKING_DAYS = {"KS": 0, "KT": 0, "KH": 3, "XNHN": 3, "CMC": 3}
_ONLINE = frozenset(k for k, p in DEFAULT_PROCEDURES.items() if p.muc_do >= 3)
# tinh_trang at the sample's end: received more than 30 days before it, or recently.
_OUTCOME_OLD = Weighted([(3, 86), (2, 4), (1, 2), (0, 1), (4, 4), (5, 3)])
_OUTCOME_RECENT = Weighted([(3, 40), (2, 15), (1, 25), (0, 12), (4, 4), (5, 4)])
_OFFICERS = tuple(
    name
    for name, title, _ in (*vocab.OFFICERS_DESK, *vocab.OFFICERS_EXPERT)
    if title.endswith("Hộ tịch")
)
_NEVER = datetime(1900, 1, 1)  # noqa: DTZ001 - compared with naive local source times
_EVENING_BATCH = 19 * 60  # the 19:00 job, long after the desk's last change of the day
_REFUSALS = (
    "Hồ sơ không thuộc thẩm quyền giải quyết của UBND xã",
    "Bên nữ chưa đủ 18 tuổi, không đủ điều kiện kết hôn",
    "Giấy chứng sinh không hợp lệ,  đề nghị bổ sung",
    "Người yêu cầu không xuất trình được giấy tờ\nchứng minh nơi cư trú",
    "Trẻ đã được đăng ký khai sinh tại xã Hòa An",
)
_WITHDRAWALS = ("Công dân xin rút hồ sơ", "Công dân đề nghị rút hồ sơ để bổ sung giấy tờ")
_OTHER_LOAI = ("NCN", "TDHT", "DKLKS", "GTHT")  # procedures the table does not configure
_BAD_CHANNELS = (7, 3, 9)
_BAD_STATUSES = (9, 6, 8)
_BLANK_NAMES = ("", "  ", "\u200b", "\u00a0 ")
_ZERO_WIDTH = ("\u200b", "\ufeff", "\u200c", "\u2060")


@dataclass
class _Request:
    """One request while it is being built (times in sample minutes)."""

    received: int
    day: int
    loai: str
    status: int
    due_day: int | None
    returned: int | None
    last: int


def _date(day: int) -> date:
    return clock.BASE_DATE + timedelta(days=day)


class _Factory:
    """Draws requests one after another from a single random stream."""

    def __init__(
        self,
        rng: random.Random,
        *,
        agency_code: str,
        quirk_rate: float,
        count: int,
        counters: dict[int, int],
    ) -> None:
        self.rng = rng
        self.people = People(rng)
        self.agency = agency_code
        self.quirk_rate = quirk_rate
        self.count = count
        self.counters = counters
        self.counts: Counter[str] = Counter()
        self.other_agencies = [a for a in vocab.OTHER_AGENCIES if a != agency_code]

    def stats(self) -> HoTichStats:
        """The counts so far."""
        return HoTichStats(total=self.count, **self.counts)

    def request(self, k: int) -> Row:
        """Request ``k`` (0-based) as a row of ``hotich_yeu_cau``."""
        rng = self.rng
        received = self._received(k)
        quirk = _QUIRK.pick(rng) if rng.random() < self.quirk_rate else None
        loai = _KIND.pick(rng)
        r = self._timeline(loai, received, draft=quirk == "drafts")
        code = None if quirk == "drafts" else self._next_code(r.day)
        row = self._row(r, code, self._citizen())
        if quirk is not None:
            _APPLY[quirk](self, row, r)
            self.counts[quirk] += 1
        self._spell(row)
        return row

    # Times ------------------------------------------------------------------------------

    def _received(self, k: int) -> int:
        """Receipt minute of request ``k``: increasing with ``k``, at desk hours, 2021-2026."""
        slot = (k + self.rng.random()) * len(clock.RECEIPT_DAYS) / self.count
        whole = min(int(slot), len(clock.RECEIPT_DAYS) - 1)
        minute = clock.desk_minute(
            min(int((slot - whole) * clock.DESK_MINUTES), clock.DESK_MINUTES - 1)
        )
        return clock.RECEIPT_DAYS[whole] * DAY + minute

    def _timeline(self, loai: str, received: int, *, draft: bool) -> _Request:
        """Status, due day and return time; steps after the sample's end have not happened."""
        day = received // DAY
        if draft:
            return _Request(received, day, loai, 0, None, None, received)
        due_day = clock.workday_after(day, _WORKING_DAYS[loai])
        recent = clock.END - received < 30 * DAY
        status = (_OUTCOME_RECENT if recent else _OUTCOME_OLD).pick(self.rng)
        r = _Request(received, day, loai, status, due_day, None, received)
        if status in (0, 1):
            r.last = received + self.rng.randint(0, 60) * status
        elif status in (4, 5):
            self._closed_early(r)
        else:
            self._resolved(r)
        return r

    def _closed_early(self, r: _Request) -> None:
        """Refused (the letter sometimes handed out) or withdrawn within a few days."""
        rng = self.rng
        at = self._at_desk(r.received + rng.randint(10, 3 * DAY))
        if at > clock.END:
            r.status = 1
            return
        r.last = at
        if r.status == 4 and rng.random() < 0.5:
            r.returned = at

    def _resolved(self, r: _Request) -> None:
        """Registered, then the result handed out (status 3) or not yet (status 2)."""
        rng = self.rng
        due_day = r.due_day if r.due_day is not None else r.day
        finish = max(self._finish(r.day, due_day), self._at_desk(r.received + 10))
        if finish > clock.END:
            r.status = 1
            return
        r.last = finish
        if r.status == 2:
            if rng.random() < 0.2:
                r.returned = finish  # handed out at once, not closed yet
            return
        returned = self._at_desk(finish + rng.randint(0, 3 * DAY) * (rng.random() < 0.4))
        if returned > clock.END:
            r.status = 2
            return
        r.returned = r.last = returned

    def _finish(self, day: int, due_day: int) -> int:
        """When the officer registered it: early, on the due day, or late (about one in ten)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            finish_day = max(day, clock.workday_before(due_day, 1))
        elif roll < 0.9:
            finish_day = due_day
        else:
            finish_day = clock.workday_after(due_day, rng.randint(1, 5))
        return finish_day * DAY + clock.desk_minute(int(rng.random() * clock.DESK_MINUTES))

    def _at_desk(self, t: int) -> int:
        """``t``, or a while after the desk next opens if it is closed at ``t``."""
        opens = clock.at_desk(t)
        return t if opens == t else opens + self.rng.randint(0, 90)

    def _change_stamp(self, r: _Request, floor: datetime) -> datetime:
        """``sua_luc``: the last change, or the batch that stamped it with many others."""
        rng = self.rng
        # Never before the times the row holds (they share its last minute, not its second).
        stamp = max(clock.naive(r.last, rng.randint(0, 59)), floor)
        batch = r.status == 3 and r.returned is not None and rng.random() < 0.3
        if batch and r.returned is not None:
            stamp = clock.naive(r.returned // DAY * DAY + _EVENING_BATCH)
        if stamp < UPGRADE:
            stamp, batch = UPGRADE, True
        self.counts["batch_stamped"] += batch
        return stamp

    # The row ----------------------------------------------------------------------------

    def _row(self, r: _Request, code: str | None, person: Person) -> Row:
        rng = self.rng
        number, bad_id = self.people.identity(person)
        phone, bad_phone = self.people.phone()
        self.counts["bad_id"] += bad_id
        self.counts["bad_phone"] += bad_phone
        row: Row = {
            "ma_yc": self._guid(),
            "loai": r.loai,
            "so_bien_nhan": code,
            "ten_nguoi_yc": person.name,
            "giay_to_loai": self._id_kind(number),
            "giay_to_so": number,
            "sdt": phone,
            "dia_chi": self.people.address(r.day, clock.NEW_ERA),
            "nop_qua": self._channel(r),
            "tg_tiep_nhan": clock.naive(r.received, rng.randint(0, 59)),
            "han_tra": _date(r.due_day) if r.due_day is not None else None,
            "tg_tra": None if r.returned is None else clock.naive(r.returned, rng.randint(0, 59)),
            "tinh_trang": r.status,
            "ly_do_tu_choi": self._reason(r.status),
            "can_bo_xu_ly": rng.choice(_OFFICERS) if r.status else None,
        }
        row["sua_luc"] = self._change_stamp(r, max(row["tg_tiep_nhan"], row["tg_tra"] or _NEVER))
        return row

    def _guid(self) -> str:
        key = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if self.rng.random() < UPPER_CASE_KEY_SHARE:
            self.counts["upper_case_keys"] += 1
            return key.upper()  # written by the vendor's older desktop module
        return key

    def _citizen(self) -> Person:
        """Civil status is a citizen's business: organisations never file here."""
        person = self.people.person()
        while person.kind != 1:
            person = self.people.person()
        return person

    def _id_kind(self, number: str | None) -> int | None:
        """``giay_to_loai`` as the officer picked it: sometimes not what the number is."""
        rng = self.rng
        if number is None or not number.strip():
            return None if rng.random() < 0.7 else 4
        parsed = parse_citizen_id(number)
        if parsed is None:
            return 3 if number[0].isalpha() else 4
        kind = int(parsed[0])
        roll = rng.random()
        if roll < 0.06:
            self.counts["id_type_mismatch"] += 1
            return 3 - kind  # CCCD picked for an old CMND number, or the other way round
        return None if roll < 0.1 else kind

    def _channel(self, r: _Request) -> int:
        """nop_qua: online only for level 3/4 procedures, more of it every year."""
        roll = self.rng.random()
        if r.loai in _ONLINE and (r.status == 0 or roll < 0.1 + 0.08 * (r.day // 365)):
            return 1
        return 2 if roll > 0.98 else 0

    def _reason(self, status: int) -> str | None:
        rng = self.rng
        if status == 4 and rng.random() < 0.9:
            return rng.choice(_REFUSALS)
        if status == 5 and rng.random() < 0.5:
            return rng.choice(_WITHDRAWALS)
        return None

    def _next_code(self, day: int) -> str:
        n = max(self.counters.get(day, 0), COUNTER_BASE) + 1
        self.counters[day] = n
        return f"{self.agency}-{clock.DAY_CODE[day]}-{n:04d}"

    def _spell(self, row: Row) -> None:
        """NFD text, zero-width characters and stray spaces, as desks type them."""
        rng = self.rng
        name = row["ten_nguoi_yc"]
        if not name.strip(" \u200b\u00a0"):
            return
        roll = rng.random()
        if roll < NFD_SHARE:
            row["ten_nguoi_yc"] = unicodedata.normalize("NFD", name)
            if row["dia_chi"] is not None:
                row["dia_chi"] = unicodedata.normalize("NFD", row["dia_chi"])
            self.counts["nfd_names"] += not unicodedata.is_normalized("NFC", row["ten_nguoi_yc"])
        elif roll < NFD_SHARE + 0.01:
            mark = rng.choice(_ZERO_WIDTH)
            spelled = mark + name if mark == "\ufeff" else name.replace(" ", " " + mark, 1)
            row["ten_nguoi_yc"] = spelled
            self.counts["zero_width_names"] += spelled != name
        elif roll < NFD_SHARE + 0.04:
            row["ten_nguoi_yc"] = name.replace(" ", "  ", 1)
        elif roll < NFD_SHARE + 0.06:
            row["ten_nguoi_yc"] = f" {name} " if roll < NFD_SHARE + 0.05 else f"{name}\t"

    # Planted defects (each breaks exactly one rule) ------------------------------------------

    def _draft(self, row: Row, r: _Request) -> None:
        """Submitted online, not received yet: no receipt number (set by ``request``)."""
        row["nop_qua"] = 1

    def _bad_code(self, row: Row, r: _Request) -> None:
        code = row["so_bien_nhan"]
        suffix = code[len(self.agency) :]
        roll = self.rng.random()
        if roll < 0.4:
            row["so_bien_nhan"] = f"HT-{_date(r.day).year}-{self.rng.randrange(10**6):06d}"
        elif roll < 0.7 and self.other_agencies:
            row["so_bien_nhan"] = self.rng.choice(self.other_agencies) + suffix
        elif roll < 0.85 and code.lower() != code:
            row["so_bien_nhan"] = code.lower()
        else:
            head, counter = code.rsplit("-", 1)
            row["so_bien_nhan"] = head + counter  # the second dash left out

    def _unknown_procedure(self, row: Row, r: _Request) -> None:
        row["loai"] = self.rng.choice(_OTHER_LOAI)

    def _unknown_channel(self, row: Row, r: _Request) -> None:
        row["nop_qua"] = self.rng.choice(_BAD_CHANNELS)

    def _missing_applicant(self, row: Row, r: _Request) -> None:
        row["ten_nguoi_yc"] = self.rng.choice(_BLANK_NAMES)

    def _due_before(self, row: Row, r: _Request) -> None:
        row["han_tra"] = _date(r.day - self.rng.randint(1, 10))

    def _returned_before(self, row: Row, r: _Request) -> None:
        row["tg_tra"] = clock.naive(r.received - self.rng.randint(1, 30) * DAY)
        row["tinh_trang"] = 3

    def _unknown_status(self, row: Row, r: _Request) -> None:
        row["tinh_trang"] = self.rng.choice(_BAD_STATUSES)


_QUIRK = Weighted([(name, round(share * 1000)) for name, share in QUIRK_SHARES.items()])
_APPLY: dict[str, Callable[[_Factory, Row, _Request], None]] = {
    "drafts": _Factory._draft,
    "bad_code": _Factory._bad_code,
    "unknown_procedure": _Factory._unknown_procedure,
    "unknown_channel": _Factory._unknown_channel,
    "missing_applicant": _Factory._missing_applicant,
    "due_before_received": _Factory._due_before,
    "returned_before_received": _Factory._returned_before,
    "unknown_status": _Factory._unknown_status,
}
