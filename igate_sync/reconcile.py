"""Reconciliation: every dossier compared across its source, the state store and the gateway.

A run keeps memory flat however many dossiers the commune holds:

1. the gateway's own listing (the contract's ``GET /api/v1/hoso``, paged) is streamed into
   the state table ``gateway_listing``, one page per transaction, ``matched`` false;
2. each source is streamed with ``adapter.scan(chunk)``; each chunk is looked up in
   ``gateway_listing`` and the outbox in a few queries, every row gets one class, the listing
   rows it holds are marked ``matched``, and the indicators are counters updated per row;
3. listing rows that no source row matched are ``unknown_upstream``.

Classes, one per source row (``reason`` codes of the ``not_in_sync`` list in brackets):

- ``in_sync``: a dossier whose current PhienBan (computed from the source now) is the one
  the gateway lists.
- ``rejected``: the latest outbox state of the current PhienBan is ``rejected``
  [the gateway's first field error: ``Truong`` or ``Truong:MoTa`` when MoTa is a code].
- ``stale_upstream``: the gateway lists the code with another (older) PhienBan.
- ``missing_upstream``: the gateway does not list the code.
  Both say what the state store knows of the current version: [``not_read_yet``: no sync
  has read it yet; ``queued``: pending or in flight in the outbox; ``dead``: the gateway kept
  failing it alone; ``gateway_newer``: the gateway answered ``stale``; ``lost_upstream`` /
  ``overwritten_upstream``: confirmed, but the gateway no longer lists it / lists another].
- ``quarantined``: the row breaks a mapping rule [the quarantine reason code].
- ``draft``: no dossier code yet (not listed: there is no code to list).
- ``deleted_at_source``: soft-deleted after a version was pushed (the gateway lists it, or
  confirmed it once) [``deleted_after_push``]; a row deleted before it was ever pushed is
  no dossier anywhere and is not counted.
- ``unknown_upstream``: the gateway lists the code and no source row holds it
  [``no_longer_in_source``: the state store read it from a source once; ``never_read``].

``synced_ratio`` = in_sync / (in_sync + missing_upstream + stale_upstream + rejected), the
pushable dossiers; 1.0 when there are none.

Indicators (Decision 766/QĐ-TTg, domain.md) count the dossiers of the period: pushable rows
(the four classes above) whose ``NgayTiepNhan`` is in ``[since, until)``, local time, either
bound open. Quarantined, draft and deleted rows are left out: their data is not usable.

- ``received``; ``received_by_channel`` (KenhThucHien 1 ``direct``, 2 ``online``, 3
  ``postal``, else ``other``); ``received_by_level`` (MucDo 2, 3, 4, else ``other``).
- ``resolved``: TrangThaiHoSo 9 or 10. The result date is when it was resolved (status 9,
  "Đã xử lý xong"): NgayKetThucXuLy, or NgayTra when that is empty; a citizen who collects
  the result days later does not make the dossier late. The due date is NgayHenTra.
  Compared by calendar day (local time): ``resolved_early`` result day before the due day;
  ``resolved_on_time`` the same day, or no due date (nothing to be late against);
  ``resolved_late`` after the due day; ``resolved_undated`` done with neither date.
  ``on_time_share`` = (early + on time) / (early + on time + late).
- ``processing``: TrangThaiHoSo 1, 2, 4, 5 or 6; ``processing_past_due`` when NgayHenTra is
  set and earlier than the report's ``generated_at`` (to the second; a date-only due date is
  23:59:59 of its day), else ``processing_within_due`` (no due date included).
- ``withdrawn``: TrangThaiHoSo 7; ``stopped``: 8 (paused); ``refused``: 3 (not received).
- ``online_level_3`` / ``online_level_4``: received online (KenhThucHien 2) under a level 3 /
  level 4 procedure (MucDo); ``online_share`` = (level 3 + level 4) / received.
- ``documents``: TaiLieuNop entries; ``documents_digitised``: those with DuocSoHoa "1";
  ``digitised_share`` = digitised / documents.
- ``in_sync``: dossiers of the period in class in_sync; ``synced_share`` = in_sync / received.

A share whose denominator is 0 is null. Online payment is not in the wire data: not reported.

JSON shape (``Report.as_dict``; stable: keys are only ever added)::

    {"generated_at": "2026-11-27T13:00:00+07:00",
     "period": {"field": "NgayTiepNhan", "since": ISO time or null, "until": ISO or null},
     "source_filter": null or "motcua",
     "sources": [{"name": "motcua",
                  "counts": {"in_sync", "missing_upstream", "stale_upstream",
                             "unknown_upstream" (always 0: see totals), "deleted_at_source",
                             "rejected", "quarantined", "draft"},
                  "synced_ratio": 0.98,
                  "indicators": {... as above ...},
                  "not_in_sync": [{"ma_ho_so", "class", "reason"}],  # the first 5,000
                  "not_in_sync_total": 12}],
     "totals": {"counts", "synced_ratio", "indicators" (sums over the sources),
                "not_in_sync": the unknown_upstream entries (they belong to no source),
                "not_in_sync_total": their number},
     "repair": null or {...}}

Stored reports carry their ``id`` as well. Codes and counts only: no personal data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, and_, delete, exists, func, insert, select, update

from igate_sync.adapters.base import SourceAdapter, SourceRecord
from igate_sync.normalize import VN_TZ, format_wire_time, parse_wire_time
from igate_sync.store import tables as t
from igate_sync.store.ingest import ingest
from igate_sync.upstream.base import Gateway

log = structlog.get_logger("igate_sync.reconcile")

PAGE = 1000
NOT_IN_SYNC_CAP = 5000
CLASSES = (
    "in_sync",
    "missing_upstream",
    "stale_upstream",
    "unknown_upstream",
    "deleted_at_source",
    "rejected",
    "quarantined",
    "draft",
)
PUSHABLE = ("in_sync", "missing_upstream", "stale_upstream", "rejected")
REPAIRABLE = frozenset({"missing_upstream", "stale_upstream"})
_UNLISTED = frozenset({"in_sync", "draft"})
_CHANNELS = {"1": "direct", "2": "online", "3": "postal"}
_LEVELS = {"2": "level_2", "3": "level_3", "4": "level_4"}
_OUTCOMES = (
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_undated",
    "processing_within_due",
    "processing_past_due",
    "withdrawn",
    "stopped",
    "refused",
)
_STATUS_OUTCOME = {"3": "refused", "7": "withdrawn", "8": "stopped"}
_PROCESSING = frozenset({"1", "2", "4", "5", "6"})
_DONE = frozenset({"9", "10"})
_WHY = {"pending": "queued", "in_flight": "queued", "dead": "dead", "stale": "gateway_newer"}
_CODE = re.compile(r"[A-Z0-9_]{1,40}")


@dataclass(frozen=True)
class Period:
    """Which dossiers the indicators count: NgayTiepNhan in ``[since, until)``, wire times."""

    since: str | None = None
    until: str | None = None

    def holds(self, received: str) -> bool:
        """Whether a NgayTiepNhan falls in the period."""
        return (
            bool(received)
            and (self.since is None or received >= self.since)
            and (self.until is None or received < self.until)
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON form: ISO 8601 local times."""
        return {"field": "NgayTiepNhan", "since": _iso(self.since), "until": _iso(self.until)}


def _iso(wire: str | None) -> str | None:
    moment = parse_wire_time(wire) if wire else None
    return moment.isoformat() if moment is not None else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Indicators:
    """domain.md's indicators as counters over the dossiers of the period (see the module doc)."""

    received: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    by_level: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    online: Counter[str] = field(default_factory=Counter)
    documents: int = 0
    digitised: int = 0
    in_sync: int = 0

    def observe(self, content: dict[str, Any], klass: str, now_wire: str) -> None:
        """Count one dossier of the period, in class ``klass``, at report time ``now_wire``."""
        channel, level = str(content.get("KenhThucHien", "")), str(content.get("MucDo", ""))
        self.received += 1
        self.by_channel[_CHANNELS.get(channel, "other")] += 1
        self.by_level[_LEVELS.get(level, "other")] += 1
        if channel == "2" and level in ("3", "4"):
            self.online[f"level_{level}"] += 1
        outcome = _outcome(content, now_wire)
        if outcome is not None:
            self.outcomes[outcome] += 1
        documents = content.get("TaiLieuNop") or []
        self.documents += len(documents)
        self.digitised += sum(1 for d in documents if str(d.get("DuocSoHoa")) == "1")
        self.in_sync += klass == "in_sync"

    def add(self, other: Indicators) -> None:
        """Accumulate another source's counters."""
        self.received += other.received
        self.documents += other.documents
        self.digitised += other.digitised
        self.in_sync += other.in_sync
        for mine, theirs in (
            (self.by_channel, other.by_channel),
            (self.by_level, other.by_level),
            (self.outcomes, other.outcomes),
            (self.online, other.online),
        ):
            mine.update(theirs)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, every key present."""
        o = self.outcomes
        resolved = sum(o[k] for k in _OUTCOMES[:4])
        judged = o["resolved_early"] + o["resolved_on_time"] + o["resolved_late"]
        online = self.online["level_3"] + self.online["level_4"]
        return {
            "received": self.received,
            "received_by_channel": {k: self.by_channel[k] for k in (*_CHANNELS.values(), "other")},
            "received_by_level": {k: self.by_level[k] for k in (*_LEVELS.values(), "other")},
            "resolved": resolved,
            **{k: o[k] for k in _OUTCOMES[:4]},
            "on_time_share": _share(o["resolved_early"] + o["resolved_on_time"], judged),
            "processing": o["processing_within_due"] + o["processing_past_due"],
            **{k: o[k] for k in _OUTCOMES[4:]},
            "online_level_3": self.online["level_3"],
            "online_level_4": self.online["level_4"],
            "online_share": _share(online, self.received),
            "documents": self.documents,
            "documents_digitised": self.digitised,
            "digitised_share": _share(self.digitised, self.documents),
            "in_sync": self.in_sync,
            "synced_share": _share(self.in_sync, self.received),
        }


def _outcome(content: dict[str, Any], now_wire: str) -> str | None:
    status = str(content.get("TrangThaiHoSo", ""))
    due = str(content.get("NgayHenTra") or "")
    if status in _DONE:
        done = str(content.get("NgayKetThucXuLy") or content.get("NgayTra") or "")
        if not done:
            return "resolved_undated"
        if not due or done[:8] == due[:8]:
            return "resolved_on_time"
        return "resolved_early" if done[:8] < due[:8] else "resolved_late"
    if status in _PROCESSING:
        return "processing_past_due" if due and due < now_wire else "processing_within_due"
    return _STATUS_OUTCOME.get(status)


@dataclass(frozen=True)
class Section:
    """Counts, indicators and the not-in-sync list of one source, or of the whole run."""

    counts: dict[str, int]
    indicators: Indicators
    not_in_sync: list[dict[str, str | None]]
    not_in_sync_total: int

    @property
    def synced_ratio(self) -> float:
        """in_sync over all pushable dossiers (1.0 when there are none)."""
        pushable = sum(self.counts[k] for k in PUSHABLE)
        return self.counts["in_sync"] / pushable if pushable else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "counts": dict(self.counts),
            "synced_ratio": self.synced_ratio,
            "indicators": self.indicators.as_dict(),
            "not_in_sync": self.not_in_sync,
            "not_in_sync_total": self.not_in_sync_total,
        }


@dataclass
class _Tally:
    """What one source's scan found so far: counters and the first ``cap`` entries."""

    cap: int
    counts: Counter[str] = field(default_factory=Counter)
    indicators: Indicators = field(default_factory=Indicators)
    entries: list[dict[str, str | None]] = field(default_factory=list)
    not_in_sync: int = 0

    def note(self, ma_ho_so: str | None, klass: str, reason: str) -> None:
        self.counts[klass] += 1
        if klass in _UNLISTED:
            return
        self.not_in_sync += 1
        if len(self.entries) < self.cap:
            self.entries.append({"ma_ho_so": ma_ho_so, "class": klass, "reason": reason})

    def section(self) -> Section:
        counts = {k: self.counts[k] for k in CLASSES}
        return Section(counts, self.indicators, self.entries, self.not_in_sync)


@dataclass
class Report:
    """A reconciliation: per source and in total (``as_dict`` is the documented JSON)."""

    generated_at: datetime
    period: Period
    source_filter: str | None
    sources: list[tuple[str, Section]]
    totals: Section
    repair: dict[str, Any] | None = None
    interrupted: bool = False  # the daemon was stopping: the report is partial, never stored

    @property
    def counts(self) -> dict[str, int]:
        """Counts of every class over the whole run."""
        return self.totals.counts

    @property
    def synced_ratio(self) -> float:
        """in_sync over all pushable dossiers of the run."""
        return self.totals.synced_ratio

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "generated_at": self.generated_at.astimezone(VN_TZ).isoformat(timespec="seconds"),
            "period": self.period.as_dict(),
            "source_filter": self.source_filter,
            "sources": [{"name": name, **s.as_dict()} for name, s in self.sources],
            "totals": self.totals.as_dict(),
            "repair": self.repair,
        }


@dataclass
class Repair:
    """Send missing_upstream and stale_upstream dossiers again, as an operator resync would.

    Their current versions are enqueued during the scan, linked to the resync request
    ``resync_id`` that records who asked, when and why; a dry run only counts them.
    """

    resync_id: int
    dry_run: bool = False
    requeued: Counter[str] = field(default_factory=Counter)

    def apply(
        self, engine: Engine, source: str, chosen: list[tuple[SourceRecord, str]], now: datetime
    ) -> None:
        """Enqueue one chunk's chosen records (or only count them, in a dry run)."""
        self.requeued.update(klass for _, klass in chosen)
        if not self.dry_run and chosen:
            records = [record for record, _ in chosen]
            ingest(engine, source, records, now=now, resync_id=self.resync_id)

    def as_dict(self) -> dict[str, Any]:
        """JSON form: the recording resync request and what it enqueued (would enqueue)."""
        return {
            "resync_id": self.resync_id,
            "dry_run": self.dry_run,
            "requeued": {k: self.requeued[k] for k in sorted(REPAIRABLE)},
        }


def copy_listing(engine: Engine, gateway: Gateway, ma_don_vi: str) -> int:
    """Replace the stored copy of the gateway's listing with a fresh one; rows copied."""
    with engine.begin() as conn:
        conn.execute(delete(t.gateway_listing))
    copied = 0
    page: dict[str, dict[str, Any]] = {}
    for item in gateway.list_dossiers(ma_don_vi):
        page[item.ma_ho_so] = {
            "ma_ho_so": item.ma_ho_so,
            "phien_ban": item.phien_ban,
            "trang_thai": item.trang_thai,
            "ngay_cap_nhat": item.ngay_cap_nhat,
            "so_tien_trinh": item.so_tien_trinh,
            "matched": False,
        }
        if len(page) >= PAGE:
            copied += _flush(engine, page)
    return copied + _flush(engine, page)


def _flush(engine: Engine, page: dict[str, dict[str, Any]]) -> int:
    if not page:
        return 0
    codes = list(page)
    with engine.begin() as conn:
        # A dossier updated while the listing is read shows up again on a later page.
        conn.execute(delete(t.gateway_listing).where(t.gateway_listing.c.ma_ho_so.in_(codes)))
        conn.execute(insert(t.gateway_listing), list(page.values()))
    page.clear()
    return len(codes)


def reconcile(
    engine: Engine,
    gateway: Gateway,
    ma_don_vi: str,
    adapters: Sequence[SourceAdapter],
    *,
    now: datetime,
    period: Period = Period(),
    chunk: int = 500,
    source_filter: str | None = None,
    other_sources: Sequence[str] = (),
    repair: Repair | None = None,
    cap: int = NOT_IN_SYNC_CAP,
    stopping: Callable[[], bool] = lambda: False,
) -> Report:
    """Copy the gateway's view, classify every row of every source, count the indicators.

    ``other_sources`` are configured sources left out of this run (``--source``): the codes
    the state store holds for them are theirs, not unknown_upstream.
    """
    copy_listing(engine, gateway, ma_don_vi)
    run = _Run(engine, now, period, repair, stopping)
    sections = [(a.name, run.scan(a, chunk, cap)) for a in adapters if not run.interrupted]
    unknown = _unknown(engine, other_sources, cap)
    report = Report(now, period, source_filter, sections, _totals(sections, unknown))
    report.interrupted = run.interrupted
    log.info(
        "reconciliation",
        synced_ratio=report.synced_ratio,
        interrupted=report.interrupted,
        **report.counts,
    )
    return report


class _Run:
    """One reconciliation's walk over the sources."""

    def __init__(
        self,
        engine: Engine,
        now: datetime,
        period: Period,
        repair: Repair | None,
        stopping: Callable[[], bool],
    ) -> None:
        self.engine, self.now, self.period = engine, now, period
        self.now_wire = format_wire_time(now)
        self.repair, self.stopping = repair, stopping
        self.interrupted = False

    def scan(self, adapter: SourceAdapter, chunk: int, cap: int) -> Section:
        tally = _Tally(cap)
        for records in _chunks(adapter, chunk):
            if self.stopping():
                self.interrupted = True
                break
            with self.engine.begin() as conn:
                chosen = self._classify(conn, records, tally)
            if self.repair is not None:
                self.repair.apply(self.engine, adapter.name, chosen, self.now)
        return tally.section()

    def _classify(
        self, conn: Connection, records: list[SourceRecord], tally: _Tally
    ) -> list[tuple[SourceRecord, str]]:
        view = _StateView.load(conn, records)
        chosen: list[tuple[SourceRecord, str]] = []
        for record in records:
            klass, reason = view.classify(record)
            if klass is None:
                continue
            tally.note(record.ma_ho_so, klass, reason)
            content = record.content
            if content is not None and self.period.holds(str(content.get("NgayTiepNhan", ""))):
                tally.indicators.observe(content, klass, self.now_wire)
            if klass in REPAIRABLE:
                chosen.append((record, klass))
        view.mark_matched(conn)
        return chosen


def _chunks(adapter: SourceAdapter, chunk: int) -> Iterator[list[SourceRecord]]:
    with closing(adapter.scan(chunk)) as chunks:  # type: ignore[type-var]
        yield from chunks


@dataclass
class _StateView:
    """What the listing copy and the state store say of one chunk's dossier codes."""

    listed: dict[str, str]  # code → PhienBan the gateway lists
    latest: dict[tuple[str, str], tuple[str, str | None]]  # (code, PhienBan) → outbox state
    confirmed: set[str]  # codes the gateway confirmed once (for deleted rows)

    @classmethod
    def load(cls, conn: Connection, records: list[SourceRecord]) -> _StateView:
        codes = sorted({r.ma_ho_so for r in records if r.ma_ho_so})
        listing = t.gateway_listing.c
        listed = dict(
            conn.execute(
                select(listing.ma_ho_so, listing.phien_ban).where(listing.ma_ho_so.in_(codes))
            ).all()
        )
        dossiers = sorted({r.ma_ho_so for r in records if r.kind == "dossier" and r.ma_ho_so})
        deleted = sorted(
            {r.ma_ho_so for r in records if r.kind == "deleted" and r.ma_ho_so} - set(listed)
        )
        return cls(
            {str(k): str(v) for k, v in listed.items()},
            _latest_outbox(conn, dossiers),
            _confirmed(conn, deleted),
        )

    def classify(self, record: SourceRecord) -> tuple[str | None, str]:
        """The record's class (None: not counted) and reason code."""
        if record.kind == "draft":
            return "draft", ""
        if record.kind == "quarantined":
            return "quarantined", record.problem.reason if record.problem else "quarantined"
        code = record.ma_ho_so or ""
        if record.kind == "deleted":
            pushed = code in self.listed or code in self.confirmed
            return ("deleted_at_source", "deleted_after_push") if pushed else (None, "")
        on_gateway = self.listed.get(code)
        if on_gateway is not None and on_gateway == record.phien_ban:
            return "in_sync", ""
        state, error = self.latest.get((code, record.phien_ban or ""), (None, None))
        if state == "rejected":
            return "rejected", _rejection(error)
        klass = "missing_upstream" if on_gateway is None else "stale_upstream"
        return klass, _why(state, on_gateway is not None)

    def mark_matched(self, conn: Connection) -> None:
        """Flag the listing rows this chunk holds: they are not unknown_upstream."""
        if self.listed:
            listing = t.gateway_listing.c
            conn.execute(
                update(t.gateway_listing)
                .where(listing.ma_ho_so.in_(sorted(self.listed)))
                .values(matched=True)
            )


def _latest_outbox(
    conn: Connection, codes: list[str]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    if not codes:
        return {}
    o = t.outbox_dossiers.c
    rows = conn.execute(
        select(o.ma_ho_so, o.phien_ban, o.state, o.last_error)
        .where(o.ma_ho_so.in_(codes))
        .order_by(o.id)
    )
    return {(r.ma_ho_so, r.phien_ban): (r.state, r.last_error) for r in rows}


def _confirmed(conn: Connection, codes: list[str]) -> set[str]:
    if not codes:
        return set()
    g = t.gateway_dossiers.c
    return set(conn.execute(select(g.ma_ho_so).where(g.ma_ho_so.in_(codes))).scalars())


def _why(state: str | None, on_gateway: bool) -> str:
    if state is None:
        return "not_read_yet"
    if state == "confirmed":
        return "overwritten_upstream" if on_gateway else "lost_upstream"
    return _WHY.get(state, f"outbox_{state}")


def _rejection(error: str | None) -> str:
    """The gateway's first field error as codes: ``Truong`` or ``Truong:MoTa``."""
    try:
        first = json.loads(error or "[]")[0]
    except (ValueError, IndexError, KeyError, TypeError):
        return "rejected"
    if not isinstance(first, dict):
        return "rejected"
    truong, mo_ta = str(first.get("Truong", "")), str(first.get("MoTa", ""))
    if not _CODE.fullmatch(truong.upper()):
        return "rejected"
    return f"{truong}:{mo_ta}" if _CODE.fullmatch(mo_ta) else truong


def _unknown(
    engine: Engine, other_sources: Sequence[str], cap: int
) -> tuple[list[dict[str, str | None]], int]:
    """The listing rows no source row matched: the first ``cap`` entries and their number."""
    listing, rows = t.gateway_listing.c, t.source_rows.c
    with engine.begin() as conn:
        if other_sources:
            held = exists().where(
                and_(rows.ma_ho_so == listing.ma_ho_so, rows.source.in_(list(other_sources)))
            )
            conn.execute(update(t.gateway_listing).where(held).values(matched=True))
        unmatched = listing.matched.is_(False)
        total = conn.execute(
            select(func.count()).select_from(t.gateway_listing).where(unmatched)
        ).scalar_one()
        read_once = exists().where(rows.ma_ho_so == listing.ma_ho_so)
        entries = [
            {
                "ma_ho_so": r.ma_ho_so,
                "class": "unknown_upstream",
                "reason": "no_longer_in_source" if r.read_once else "never_read",
            }
            for r in conn.execute(
                select(listing.ma_ho_so, read_once.label("read_once"))
                .where(unmatched)
                .order_by(listing.ma_ho_so)
                .limit(cap)
            )
        ]
    return entries, int(total)


def _totals(
    sections: list[tuple[str, Section]], unknown: tuple[list[dict[str, str | None]], int]
) -> Section:
    counts: Counter[str] = Counter()
    indicators = Indicators()
    for _, section in sections:
        counts.update(section.counts)
        indicators.add(section.indicators)
    entries, total = unknown
    counts["unknown_upstream"] = total
    return Section({k: counts[k] for k in CLASSES}, indicators, entries, total)
