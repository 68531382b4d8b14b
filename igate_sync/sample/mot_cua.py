"""Seeded, realistic sample data for the mot_cua_v1 register (commune-schemas/mot_cua_v1.sql).

``create_register`` makes the tables and the procedure catalogue; ``generate`` streams
dossiers with their documents, fees and processing history into them, one chunk per
transaction, never holding the whole sample in memory. The same seed gives the same rows,
whatever the chunk size. ``mutate`` and ``touch_children_only`` change rows afterwards the
way a desk officer does, for tests of change detection.

A share ``quirk_rate`` of the dossiers carries one planted defect each: a draft, a soft
delete, or exactly one broken quarantine rule of commune-schemas/README.md. Independently,
rows carry the harmless realities of commune data: legacy TCVN3/VNI text, NFD spellings,
zero-width characters, stray spaces, unusable phone and ID numbers, NULL ``ngay_cap_nhat``.
``SampleStats`` counts every kind.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.engine import Connection

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.normalize import as_local, decode_legacy, status_from_label
from igate_sync.sample import clock, vocab
from igate_sync.sample.clock import DAY
from igate_sync.sample.legacy_encode import encode_legacy
from igate_sync.sample.people import People, Person, Weighted

Row = dict[str, Any]

# Planted defect → the share of defective rows it takes. Names are SampleStats fields.
QUIRK_SHARES: dict[str, float] = {
    "drafts": 0.17,
    "deleted": 0.12,
    "bad_code": 0.09,
    "bad_procedure": 0.08,
    "unknown_channel": 0.06,
    "missing_applicant": 0.08,
    "invalid_received_time": 0.08,
    "invalid_due_time": 0.06,
    "due_before_received": 0.06,
    "returned_before_received": 0.05,
    "invalid_time": 0.05,
    "unknown_status": 0.10,
}
# SampleStats field → the quarantine reason code the spec gives such a row.
QUARANTINE_REASONS: dict[str, str] = {
    "bad_code": "invalid_dossier_code",
    "bad_procedure": "invalid_procedure_code",
    "unknown_channel": "unknown_channel",
    "missing_applicant": "missing_applicant",
    "invalid_received_time": "invalid_received_time",
    "invalid_due_time": "invalid_due_time",
    "due_before_received": "due_before_received",
    "returned_before_received": "returned_before_received",
    "invalid_time": "invalid_time",
    "unknown_status": "unknown_status",
}
LEGACY_SHARE_OF_OLD_ROWS = 0.06  # rows received before 2023: about 2 % of all rows
NULL_CHANGE_TIME_SHARE_OF_OLD_ROWS = 0.3  # about 10 % of all rows
NFD_SHARE = 0.05


@dataclass
class SampleStats:
    """What ``generate`` wrote: row counts and how many rows carry each planted quirk."""

    total: int = 0
    drafts: int = 0
    deleted: int = 0
    bad_code: int = 0
    bad_procedure: int = 0
    unknown_channel: int = 0
    missing_applicant: int = 0
    invalid_received_time: int = 0
    invalid_due_time: int = 0
    due_before_received: int = 0
    returned_before_received: int = 0
    invalid_time: int = 0
    unknown_status: int = 0
    legacy_tcvn3: int = 0
    legacy_vni: int = 0
    nfd_names: int = 0
    zero_width_names: int = 0
    long_summaries: int = 0
    bad_id: int = 0
    bad_phone: int = 0
    null_ngay_cap_nhat: int = 0
    events: int = 0
    documents: int = 0
    fees: int = 0

    def quarantine_reasons(self) -> dict[str, int]:
        """Quarantine reason code → how many rows should be quarantined for it."""
        return {reason: getattr(self, name) for name, reason in QUARANTINE_REASONS.items()}

    @property
    def quarantined(self) -> int:
        """Rows that break a quarantine rule (drafts and deleted rows not included)."""
        return sum(self.quarantine_reasons().values())

    @property
    def pushable(self) -> int:
        """Rows that map to a dossier the gateway should receive."""
        return self.total - self.drafts - self.deleted - self.quarantined


def create_register(engine: Engine) -> None:
    """Create the mot_cua_v1 tables and fill the procedure catalogue (idempotent)."""
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        fields_present = set(conn.execute(select(t.linh_vuc.c.ma_linh_vuc)).scalars())
        fields_new = [
            {"ma_linh_vuc": code, "ten_linh_vuc": name}
            for code, name in vocab.LINH_VUC
            if code not in fields_present
        ]
        if fields_new:
            conn.execute(t.linh_vuc.insert(), fields_new)
        present = set(conn.execute(select(t.thu_tuc.c.id)).scalars())
        procedures = [
            {
                "id": p.id,
                "ma_tthc": p.ma_tthc,
                "ten_tthc": p.ten_tthc,
                "ma_linh_vuc": p.ma_linh_vuc,
                "muc_do": p.muc_do,
                "so_ngay_giai_quyet": p.so_ngay,
            }
            for p in (*vocab.PROCEDURES, vocab.INVALID_PROCEDURE)
            if p.id not in present
        ]
        if procedures:
            conn.execute(t.thu_tuc.insert(), procedures)


def generate(
    engine: Engine,
    *,
    count: int,
    seed: int = 1,
    agency_code: str = "000.24.24.H16",
    first_id: int = 1,
    chunk: int = 2000,
    quirk_rate: float = 0.08,
) -> SampleStats:
    """Insert ``count`` dossiers with ids ``first_id``.. and their child rows; call
    ``create_register`` first. Received times run from January 2021 to October 2026 in
    id order; dossier codes continue the per-day counters of codes already in the table.
    """
    if count < 0 or chunk < 1 or not 0.0 <= quirk_rate <= 1.0:
        raise ValueError("count >= 0, chunk >= 1 and 0 <= quirk_rate <= 1 are required")
    with engine.connect() as conn:
        counters = _existing_counters(conn, agency_code)
        ids = _ChildIds(
            _next_id(conn, t.giay_to_nop),
            _next_id(conn, t.le_phi),
            _next_id(conn, t.qua_trinh_xu_ly),
        )
    factory = _Factory(
        random.Random(seed),  # noqa: S311 - sample data, not security
        agency_code=agency_code,
        quirk_rate=quirk_rate,
        count=count,
        counters=counters,
        ids=ids,
    )
    for begin in range(0, count, chunk):
        batch = _Batch()
        for k in range(begin, min(begin + chunk, count)):
            factory.dossier(batch, first_id + k, k)
        with engine.begin() as conn:
            conn.execute(t.ho_so.insert(), batch.ho_so)
            for table, rows in (
                (t.giay_to_nop, batch.documents),
                (t.le_phi, batch.fees),
                (t.qua_trinh_xu_ly, batch.events),
            ):
                if rows:
                    conn.execute(table.insert(), rows)
    return factory.stats()


def mutate(engine: Engine, *, ids: Sequence[int], seed: int, now: datetime) -> None:
    """Handle these dossiers at the desk: next status, a new processing step, a note, and
    ``ngay_cap_nhat`` set to ``now`` (naive local time, as the register keeps it)."""
    local = as_local(now).replace(tzinfo=None)
    stamp = (
        f"{local.day:02d}/{local.month:02d}/{local.year:04d} {local.hour:02d}:{local.minute:02d}"
    )
    with engine.begin() as conn:
        next_step = _next_id(conn, t.qua_trinh_xu_ly)
        for ho_so_id in ids:
            rng = random.Random(f"mutate:{seed}:{ho_so_id}")  # noqa: S311 - sample data
            _mutate_one(conn, rng, ho_so_id, next_step, stamp, local)
            next_step += 1


def touch_children_only(engine: Engine, *, ho_so_id: int, seed: int) -> None:
    """Add a document to a dossier without bumping its ``ngay_cap_nhat`` (a stale cursor)."""
    rng = random.Random(f"touch:{seed}:{ho_so_id}")  # noqa: S311 - sample data
    with engine.begin() as conn:
        encoding = _encoding_of(conn, ho_so_id)
        name = f"{rng.choice(_ALL_DOCUMENTS)} (bổ sung)"
        conn.execute(
            t.giay_to_nop.insert(),
            [
                {
                    "id": _next_id(conn, t.giay_to_nop),
                    "ho_so_id": ho_so_id,
                    "ten_giay_to": encode_legacy(name, encoding),
                    "so_ban": rng.randint(1, 2),
                    "duong_dan": None,
                    "da_so_hoa": 0,
                }
            ],
        )


# --- Changing rows afterwards ----------------------------------------------------------------

# Where a desk officer moves a dossier next; a closed one keeps its status (a correction).
_NEXT_STATUS = {1: 2, 2: 4, 4: 9, 5: 4, 6: 9, 9: 10}


def _encoding_of(conn: Connection, ho_so_id: int) -> str:
    encoding = conn.execute(select(t.ho_so.c.ma_hoa).where(t.ho_so.c.id == ho_so_id)).scalar()
    if encoding is None:
        raise LookupError(f"no ho_so row with id {ho_so_id}")
    return str(encoding)


def _mutate_one(
    conn: Connection, rng: random.Random, ho_so_id: int, step_id: int, stamp: str, local: datetime
) -> None:
    encoding = _encoding_of(conn, ho_so_id)
    label = conn.execute(select(t.ho_so.c.trang_thai).where(t.ho_so.c.id == ho_so_id)).scalar()
    current = status_from_label(decode_legacy(label, encoding)) if label is not None else None
    code = _NEXT_STATUS.get(int(current), int(current)) if current is not None else 4
    new_label = rng.choice(vocab.STATUS_LABELS[code]).capitalize()
    officer = rng.choice(_OFFICERS[code])
    values: Row = {
        "trang_thai": encode_legacy(new_label, encoding),
        "ghi_chu": encode_legacy(f"Cập nhật {stamp}: {rng.choice(vocab.NOTES)}", encoding),
        "ngay_cap_nhat": local,
    }
    if code == 9:
        values["ngay_ket_thuc_xu_ly"] = stamp
    if code == 10:
        values["ngay_tra"] = stamp
    conn.execute(t.ho_so.update().where(t.ho_so.c.id == ho_so_id).values(values))
    last = conn.execute(
        select(func.max(t.qua_trinh_xu_ly.c.thu_tu)).where(t.qua_trinh_xu_ly.c.ho_so_id == ho_so_id)
    ).scalar()
    step = {
        "id": step_id,
        "ho_so_id": ho_so_id,
        "thu_tu": int(last or 0) + 1,
        "nguoi_xu_ly": officer[0],
        "chuc_danh": officer[1],
        "phong_ban": officer[2],
        "thoi_diem": stamp,
        "noi_dung": rng.choice(vocab.STEP_TEXT[code]),
        "trang_thai": new_label,
        "han_xu_ly": None,
    }
    conn.execute(t.qua_trinh_xu_ly.insert(), [_encoded(step, encoding)])


# --- Reading what is there -------------------------------------------------------------------


def _next_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


_COUNTER = re.compile(r"-([0-9]{6})-([0-9]{4,5})$")
_DAY_BY_CODE = {code: index for index, code in enumerate(clock.DAY_CODE)}


def _existing_counters(conn: Connection, agency_code: str) -> dict[int, int]:
    """Day → highest counter among this agency's dossier codes already in the table."""
    counters: dict[int, int] = {}
    query = select(t.ho_so.c.so_ho_so).where(t.ho_so.c.so_ho_so.like(f"{agency_code}-%"))
    for code in conn.execute(query).scalars():
        match = _COUNTER.search(code.strip())
        day = _DAY_BY_CODE.get(match.group(1)) if match else None
        if match and day is not None:
            counters[day] = max(counters.get(day, 0), int(match.group(2)))
    return counters


# --- Building rows ---------------------------------------------------------------------------


@dataclass
class _ChildIds:
    document: int
    fee: int
    event: int


@dataclass
class _Batch:
    ho_so: list[Row] = field(default_factory=list)
    documents: list[Row] = field(default_factory=list)
    fees: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


@dataclass
class _Dossier:
    """One dossier while it is being built."""

    row_id: int
    received: int  # minute
    day: int
    procedure: vocab.Procedure
    person: Person
    legacy: str | None
    path: list[int]
    times: list[int]
    due_day: int | None
    code: str | None = None


def _label_variants(label: str) -> tuple[str, ...]:
    """One status label as desks type it: case, accents, spaces and NFD vary."""
    capital = label[0].upper() + label[1:]
    bare = "".join(
        c
        for c in unicodedata.normalize("NFD", label.replace("đ", "d"))
        if not unicodedata.combining(c)
    )
    return (
        capital,
        label,
        label.upper(),
        bare,
        bare.capitalize(),
        capital.replace(" ", "  ", 1),
        unicodedata.normalize("NFD", capital),
        f" {capital} ",
    )


_LABELS = {
    code: tuple(_label_variants(label) for label in labels)
    for code, labels in vocab.STATUS_LABELS.items()
}
_LABEL_FORM = Weighted([(0, 50), (1, 15), (2, 10), (3, 8), (4, 5), (5, 5), (6, 4), (7, 3)])
_QUIRK = Weighted([(name, round(share * 1000)) for name, share in QUIRK_SHARES.items()])
_PROCEDURE = Weighted([(p, p.weight) for p in vocab.PROCEDURES])
_CHANNELS = {
    "1": Weighted(vocab.CHANNEL_DIRECT),
    "2": Weighted(vocab.CHANNEL_ONLINE),
    "3": Weighted(vocab.CHANNEL_POST),
}
# How dossiers end: received more than 30 days before the sample's end, or recently.
_OUTCOME_OLD = Weighted(
    [
        ("returned", 80),
        ("resolved", 6),
        ("processing", 6),
        ("refused", 3),
        ("withdrawn", 3),
        ("stopped", 2),
    ]
)
_OUTCOME_RECENT = Weighted(
    [
        ("returned", 35),
        ("resolved", 12),
        ("processing", 45),
        ("refused", 3),
        ("withdrawn", 3),
        ("stopped", 2),
    ]
)
_DOCUMENT_COUNT = Weighted([(0, 8), (1, 20), (2, 35), (3, 25), (4, 12)])
_FEE_COUNT = Weighted([(0, 30), (1, 55), (2, 15)])
# Minutes from one step to the next, by the status the later step leaves.
_DELAY = {
    2: (10, 2 * DAY),
    3: (30, DAY),
    4: (5, 240),
    5: (60, 2 * DAY),
    6: (30, 600),
    7: (DAY, 10 * DAY),
    8: (DAY, 10 * DAY),
    10: (10, 5 * DAY),
}
_OFFICERS: dict[int, tuple[tuple[str | None, str | None, str | None], ...]] = {
    1: ((None, None, "Cổng Dịch vụ công"),),
    2: vocab.OFFICERS_DESK,
    3: vocab.OFFICERS_DESK,
    4: vocab.OFFICERS_EXPERT,
    5: vocab.OFFICERS_EXPERT,
    6: vocab.OFFICERS_EXPERT,
    7: vocab.OFFICERS_DESK,
    8: vocab.OFFICERS_LEADER,
    9: vocab.OFFICERS_LEADER,
    10: vocab.OFFICERS_DESK,
}
_ALL_DOCUMENTS = tuple(sorted({d for p in vocab.PROCEDURES for d in p.documents}))
_ZERO_WIDTH = ("\u200b", "\ufeff", "\u200c", "\u2060")
_HO_SO_TEXT = ("nguoi_nop", "dia_chi", "trich_yeu", "ghi_chu")


def _encoded(row: Row, encoding: str | None) -> Row:
    """``row`` with every text value in the legacy ``encoding`` (None: as it is)."""
    if encoding is None or encoding == "UNICODE":
        return row
    return {k: encode_legacy(v, encoding) if isinstance(v, str) else v for k, v in row.items()}


class _Factory:
    """Draws dossiers one after another from a single random stream."""

    def __init__(
        self,
        rng: random.Random,
        *,
        agency_code: str,
        quirk_rate: float,
        count: int,
        counters: dict[int, int],
        ids: _ChildIds,
    ) -> None:
        self.rng = rng
        self.people = People(rng)
        self.agency = agency_code
        self.quirk_rate = quirk_rate
        self.count = count
        self.counters = counters
        self.ids = ids
        self.counts: Counter[str] = Counter()
        self.other_agencies = [a for a in vocab.OTHER_AGENCIES if a != agency_code]

    def stats(self) -> SampleStats:
        """The counts so far."""
        return SampleStats(total=self.count, **self.counts)

    # One dossier ------------------------------------------------------------------------

    def dossier(self, batch: _Batch, row_id: int, k: int) -> None:
        """Build dossier ``k`` (0-based) with id ``row_id`` and its children into ``batch``."""
        rng = self.rng
        received = self._received(k)
        day = received // DAY
        quirk = _QUIRK.pick(rng) if rng.random() < self.quirk_rate else None
        legacy = self._legacy(day)
        procedure = vocab.INVALID_PROCEDURE if quirk == "bad_procedure" else _PROCEDURE.pick(rng)
        person = self.people.person(plain_apostrophe=legacy is not None)
        channel = self._channel(procedure, day, draft=quirk == "drafts")
        path = [1] if quirk == "drafts" else self._path(channel == "2", received)
        due_day = None
        if procedure.so_ngay is not None and quirk != "drafts":
            due_day = clock.workday_after(day, procedure.so_ngay)
        times = self._times(path, received, day, due_day)
        d = _Dossier(row_id, received, day, procedure, person, legacy, path, times, due_day)
        if quirk != "drafts":
            d.code = self._next_code(day)
        row = self._ho_so(d, channel)
        if quirk is not None:
            _APPLY[quirk](self, row, d)
            self.counts[quirk] += 1
        documents = self._documents(d)
        if legacy is None:
            self._spell(row, documents)
        self._count(row, d)
        batch.ho_so.append(_encoded(row, legacy))
        batch.documents.extend(_encoded(r, legacy) for r in documents)
        batch.fees.extend(_encoded(r, legacy) for r in self._fees(d))
        batch.events.extend(_encoded(r, legacy) for r in self._events(d))

    def _received(self, k: int) -> int:
        """Receipt minute of dossier ``k``: increasing with ``k``, at desk hours, 2021-2026."""
        slot = (k + self.rng.random()) * len(clock.RECEIPT_DAYS) / self.count
        whole = min(int(slot), len(clock.RECEIPT_DAYS) - 1)
        minute = clock.desk_minute(
            min(int((slot - whole) * clock.DESK_MINUTES), clock.DESK_MINUTES - 1)
        )
        return clock.RECEIPT_DAYS[whole] * DAY + minute

    def _legacy(self, day: int) -> str | None:
        if day >= clock.OLD_ROWS or self.rng.random() >= LEGACY_SHARE_OF_OLD_ROWS:
            return None
        return "TCVN3" if self.rng.random() < 0.6 else "VNI"

    def _channel(self, procedure: vocab.Procedure, day: int, *, draft: bool) -> str:
        """KenhThucHien: online only for level 3/4 procedures, more of it every year."""
        online_share = 0.1 + 0.08 * (day // 365)
        roll = self.rng.random()
        if procedure.muc_do in (3, 4) and (draft or roll < online_share):
            return "2"
        return "3" if roll > 0.98 else "1"

    def _path(self, online: bool, received: int) -> list[int]:
        """The statuses the dossier went through, one per processing step (1 to 5)."""
        rng = self.rng
        recent = clock.END - received < 30 * DAY
        outcome = (_OUTCOME_RECENT if recent else _OUTCOME_OLD).pick(rng)
        path = [1] if online else []
        if outcome == "refused":
            return [*path, 3]
        path.append(2)
        if outcome == "processing":
            if rng.random() < 0.7:
                path.append(4)
            if len(path) < 4 and rng.random() < 0.3:
                path.append(5 if rng.random() < 0.6 else 6)
            return path
        path.append(4)
        if outcome in ("withdrawn", "stopped"):
            return [*path, 7 if outcome == "withdrawn" else 8]
        ending = [9, 10] if outcome == "returned" else [9]
        if len(path) + len(ending) < 5 and rng.random() < 0.2:
            path.append(5 if rng.random() < 0.6 else 6)
        return path + ending

    def _times(self, path: list[int], received: int, day: int, due_day: int | None) -> list[int]:
        """The minute of each step; steps after the sample's end have not happened yet."""
        rng = self.rng
        times = [received]
        for code in path[1:]:
            previous = times[-1]
            if code == 9:
                at = max(self._finish(day, due_day), self._at_desk(previous + 10))
            else:
                low, high = _DELAY[code]
                at = self._at_desk(previous + rng.randint(low, high))
            if at > clock.END:
                break
            times.append(at)
        return times

    def _at_desk(self, t: int) -> int:
        """``t``, or a while after the desk next opens if it is closed at ``t``."""
        opens = clock.at_desk(t)
        return t if opens == t else opens + self.rng.randint(0, 90)

    def _finish(self, day: int, due_day: int | None) -> int:
        """When processing finished: early, on the due day, or late (about one in ten)."""
        rng = self.rng
        roll = rng.random()
        if due_day is None:
            finish_day = clock.workday_after(day, rng.randint(0, 5))
        elif roll < 0.35:
            finish_day = max(day, clock.workday_before(due_day, rng.randint(1, 3)))
        elif roll < 0.9:
            finish_day = due_day
        else:
            finish_day = clock.workday_after(due_day, rng.randint(1, 8))
        return finish_day * DAY + clock.desk_minute(int(rng.random() * clock.DESK_MINUTES))

    def _next_code(self, day: int) -> str:
        n = self.counters.get(day, 0) + 1
        self.counters[day] = n
        return f"{self.agency}-{clock.DAY_CODE[day]}-{n:04d}"

    def _label(self, code: int) -> str:
        variants = self.rng.choice(_LABELS[code])
        return variants[_LABEL_FORM.pick(self.rng)]

    def _ho_so(self, d: _Dossier, channel: str) -> Row:
        rng = self.rng
        person = d.person
        so_giay_to, bad_id = self.people.identity(person)
        phone, bad_phone = self.people.phone()
        self.counts["bad_id"] += bad_id
        self.counts["bad_phone"] += bad_phone
        done = dict(zip(d.path, d.times, strict=False))
        code = d.code
        if code is not None and rng.random() < 0.005:
            code += " "  # typed with a trailing space: trimmed, still valid
        change = None
        if d.day >= clock.OLD_ROWS or rng.random() >= NULL_CHANGE_TIME_SHARE_OF_OLD_ROWS:
            change = clock.naive(d.times[-1] + rng.randint(0, 30), rng.randint(0, 59))
        return {
            "id": d.row_id,
            "so_ho_so": code,
            "thu_tu_id": d.procedure.id,
            "nguoi_nop": person.name,
            "ma_hoa": d.legacy or "UNICODE",
            "loai_doi_tuong": self._kind(person, d.day),
            "so_giay_to": so_giay_to,
            "dien_thoai": phone,
            "email": self.people.email(person),
            "dia_chi": self.people.address(d.day, clock.NEW_ERA),
            "trich_yeu": self._summary(d),
            "kenh_nop": _CHANNELS[channel].pick(rng),
            "ngay_nhan": self._received_text(d),
            "ngay_hen_tra": self._due_text(d),
            "ngay_ket_thuc_xu_ly": clock.time_text(done[9]) if 9 in done else None,
            "ngay_tra": clock.time_text(done[10]) if 10 in done else None,
            "trang_thai": self._label(d.path[len(d.times) - 1]),
            "ma_don_vi": self.agency,
            "ma_xa": vocab.MA_XA_OLD if d.day < clock.NEW_ERA else vocab.MA_XA_NEW,
            "ghi_chu": rng.choice(vocab.NOTES) if rng.random() < 0.2 else None,
            "da_xoa": 0,
            "ngay_cap_nhat": change,
        }

    def _kind(self, person: Person, day: int) -> int | None:
        if person.kind == 1 and day < clock.OLD_ROWS and self.rng.random() < 0.1:
            return None  # old rows leave it empty: a citizen
        return person.kind

    def _received_text(self, d: _Dossier) -> str | None:
        rng = self.rng
        if d.path == [1] and d.code is None and rng.random() < 0.3:
            return None  # a draft never received
        roll = rng.random()
        if roll < (0.12 if d.day < clock.OLD_ROWS else 0.03):
            return clock.date_text(d.received)
        text = clock.time_text(d.received)
        if roll > 0.99:
            day, month, rest = text.split("/", 2)
            return f"{int(day)}/{int(month)}/{rest}"  # typed without leading zeros
        return text

    def _due_text(self, d: _Dossier) -> str | None:
        if d.due_day is None:
            return None
        if d.due_day > d.day and self.rng.random() < 0.15:
            return f"{clock.DAY_TEXT[d.due_day]} 17:00"
        return clock.DAY_TEXT[d.due_day]

    def _summary(self, d: _Dossier) -> str | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.01:
            return None
        text = d.procedure.summary.format(
            child=self.people.short_name(),
            applicant=d.person.name,
            purpose=rng.choice(vocab.PURPOSES),
            pages=rng.randint(1, 5),
            paper=rng.choice(vocab.PAPERS).lower(),
            village=rng.choice(vocab.VILLAGES),
        )
        if roll > 0.99:
            self.counts["long_summaries"] += 1
            target = rng.randint(2000, 6000)
            parts = [text]
            size = len(text)
            while size < target:
                sentence = rng.choice(vocab.LONG_TEXT_SENTENCES)
                parts.append(sentence)
                size += len(sentence) + 1
            return "\n".join(parts)
        return text

    # Children ------------------------------------------------------------------------------

    def _documents(self, d: _Dossier) -> list[Row]:
        rng = self.rng
        n = _DOCUMENT_COUNT.pick(rng)
        names = rng.sample(d.procedure.documents, min(n, len(d.procedure.documents)))
        names += ["Giấy tờ khác"] * (n - len(names))
        digitised = min(0.1 + 0.12 * (d.day // 365), 0.8)
        year, month = clock.DAY_TEXT[d.day][6:], clock.DAY_TEXT[d.day][3:5]
        rows = []
        for j, name in enumerate(names, 1):
            scanned = rng.random() < digitised
            rows.append(
                {
                    "id": self.ids.document,
                    "ho_so_id": d.row_id,
                    "ten_giay_to": name,
                    "so_ban": rng.choice((1, 1, 1, 2, 2, 3, None)),
                    "duong_dan": f"D:\\MotCua\\{year}\\{month}\\HS{d.row_id}_{j}.pdf"
                    if scanned
                    else None,
                    "da_so_hoa": 1 if scanned else 0,
                }
            )
            self.ids.document += 1
        self.counts["documents"] += len(rows)
        return rows

    def _fees(self, d: _Dossier) -> list[Row]:
        rng = self.rng
        if not d.procedure.fees or d.path[-1] == 3:
            return []
        n = min(_FEE_COUNT.pick(rng), len(d.procedure.fees))
        paid = 9 in d.path[: len(d.times)] or rng.random() < 0.5
        rows = []
        for name, amount in d.procedure.fees[:n]:
            rows.append(
                {
                    "id": self.ids.fee,
                    "ho_so_id": d.row_id,
                    "ten_phi": name,
                    "so_tien": amount * rng.randint(1, 3),
                    "da_thu": 1 if paid else 0,
                }
            )
            self.ids.fee += 1
        self.counts["fees"] += len(rows)
        return rows

    def _events(self, d: _Dossier) -> list[Row]:
        rng = self.rng
        rows = []
        for thu_tu, (code, at) in enumerate(zip(d.path, d.times, strict=False), 1):
            officer = rng.choice(_OFFICERS[code])
            text = rng.choice(vocab.STEP_TEXT[code])
            if code == 5:
                text = f"{text}: {rng.choice(vocab.SUPPLEMENT_REASONS)}"
            deadline = None
            if code == 4 and d.due_day is not None:
                deadline = clock.DAY_TEXT[d.due_day] + (" 17:00" if rng.random() < 0.5 else "")
            rows.append(
                {
                    "id": self.ids.event,
                    "ho_so_id": d.row_id,
                    "thu_tu": thu_tu,
                    "nguoi_xu_ly": officer[0],
                    "chuc_danh": officer[1],
                    "phong_ban": officer[2],
                    "thoi_diem": clock.time_text(at),
                    "noi_dung": text,
                    "trang_thai": self._label(code),
                    "han_xu_ly": deadline,
                }
            )
            self.ids.event += 1
        self.counts["events"] += len(rows)
        return rows

    # Spelling and counting -------------------------------------------------------------------

    def _spell(self, row: Row, documents: list[Row]) -> None:
        """Unicode rows only: NFD text, zero-width characters, stray spaces in the name."""
        rng = self.rng
        if rng.random() < NFD_SHARE:
            for column in _HO_SO_TEXT:
                if row[column] is not None:
                    row[column] = unicodedata.normalize("NFD", row[column])
            for document in documents:
                document["ten_giay_to"] = unicodedata.normalize("NFD", document["ten_giay_to"])
        name = row["nguoi_nop"]
        if name is None or not name.strip(" \u200b\u00a0"):
            return
        roll = rng.random()
        if roll < 0.01:
            mark = rng.choice(_ZERO_WIDTH)
            row["nguoi_nop"] = mark + name if mark == "\ufeff" else name.replace(" ", " " + mark, 1)
            self.counts["zero_width_names"] += 1
        elif roll < 0.04:
            row["nguoi_nop"] = name.replace(" ", "  ", 1)
        elif roll < 0.06:
            row["nguoi_nop"] = f" {name} " if roll < 0.05 else f"{name}\t"

    def _count(self, row: Row, d: _Dossier) -> None:
        counts = self.counts
        if d.legacy == "TCVN3":
            counts["legacy_tcvn3"] += 1
        elif d.legacy == "VNI":
            counts["legacy_vni"] += 1
        name = row["nguoi_nop"]
        if name is not None and not unicodedata.is_normalized("NFC", name):
            counts["nfd_names"] += 1
        if row["ngay_cap_nhat"] is None:
            counts["null_ngay_cap_nhat"] += 1

    # Planted defects (each breaks exactly one rule) --------------------------------------------

    def _draft(self, row: Row, d: _Dossier) -> None:
        row["so_ho_so"] = None

    def _deleted(self, row: Row, d: _Dossier) -> None:
        row["da_xoa"] = 1

    def _bad_code(self, row: Row, d: _Dossier) -> None:
        code = d.code or self._next_code(d.day)
        suffix = code[len(self.agency) :]
        roll = self.rng.random()
        if roll < 0.4:
            row["so_ho_so"] = f"HS-{clock.DAY_TEXT[d.day][6:]}-{d.row_id:05d}"
        elif roll < 0.7 and self.other_agencies:
            row["so_ho_so"] = self.rng.choice(self.other_agencies) + suffix
        elif roll < 0.85 and code.lower() != code:
            row["so_ho_so"] = code.lower()
        else:
            head, counter = code.rsplit("-", 1)
            row["so_ho_so"] = head + counter  # the second dash left out

    def _noop(self, row: Row, d: _Dossier) -> None:
        """The defect is in the data already (the procedure row)."""

    def _unknown_channel(self, row: Row, d: _Dossier) -> None:
        row["kenh_nop"] = self.rng.choice(vocab.UNKNOWN_CHANNELS)

    def _missing_applicant(self, row: Row, d: _Dossier) -> None:
        blanks = (None, "", "  ") if d.legacy else (None, "", "  ", "\u200b", "\u00a0 ")
        row["nguoi_nop"] = self.rng.choice(blanks)

    def _invalid_received(self, row: Row, d: _Dossier) -> None:
        year = clock.DAY_TEXT[d.day][6:]
        choices = ("31/02/2021", "00/00/0000", None, "", f"30/02/{year} 08:15", f"31/04/{year}")
        row["ngay_nhan"] = self.rng.choice(choices)

    def _invalid_due(self, row: Row, d: _Dossier) -> None:
        year = clock.DAY_TEXT[d.day][6:]
        choices = ("99/99/2021", f"31/06/{year}", f"30/02/{year}", f"32/13/{year}", "15-03-2021")
        row["ngay_hen_tra"] = self.rng.choice(choices)

    def _due_before(self, row: Row, d: _Dossier) -> None:
        row["ngay_hen_tra"] = clock.DAY_TEXT[d.day - self.rng.randint(1, 10)]

    def _returned_before(self, row: Row, d: _Dossier) -> None:
        row["ngay_tra"] = clock.time_text(d.received - self.rng.randint(1, 30) * DAY)

    def _invalid_time(self, row: Row, d: _Dossier) -> None:
        year = clock.DAY_TEXT[d.day][6:]
        choices = (f"31/04/{year} 10:00", "29/02/2023", "00/00/0000", f"12/05/{year} 25:10")
        row["ngay_ket_thuc_xu_ly"] = self.rng.choice(choices)

    def _unknown_status(self, row: Row, d: _Dossier) -> None:
        row["trang_thai"] = self.rng.choice((*vocab.UNKNOWN_STATUS_LABELS, None))


_APPLY: dict[str, Callable[[_Factory, Row, _Dossier], None]] = {
    "drafts": _Factory._draft,
    "deleted": _Factory._deleted,
    "bad_code": _Factory._bad_code,
    "bad_procedure": _Factory._noop,
    "unknown_channel": _Factory._unknown_channel,
    "missing_applicant": _Factory._missing_applicant,
    "invalid_received_time": _Factory._invalid_received,
    "invalid_due_time": _Factory._invalid_due,
    "due_before_received": _Factory._due_before,
    "returned_before_received": _Factory._returned_before,
    "invalid_time": _Factory._invalid_time,
    "unknown_status": _Factory._unknown_status,
}
