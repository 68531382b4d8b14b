"""Reconciliation against the port fakes and a real SQLite state store: every class built
on purpose, indicators against hand-computed values, the report's JSON, storage, renderings,
repair, and flat memory."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, func, insert, select

from igate_sync.adapters.base import SourceRecord
from igate_sync.adapters.fake import InMemoryAdapter
from igate_sync.pipeline import Sync, pull, push, run_cycle
from igate_sync.reconcile import CLASSES, Period, Repair, Report, _StateView, reconcile
from igate_sync.report_render import render_csv, render_html, render_json, render_table
from igate_sync.schemas import phien_ban
from igate_sync.store import tables as t
from igate_sync.store.reports import daily_ratios, list_reports, load_report, save_report
from igate_sync.store.resync import ResyncSpec, submit
from igate_sync.upstream.base import ListedDossier
from igate_sync.upstream.fake import FakeGateway
from tests.conftest import FakeClock
from tests.factories import AGENCY_CODE, code, content, dossier, later, quarantined, small_sync

INDICATOR_KEYS = {
    "received",
    "received_by_channel",
    "received_by_level",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_undated",
    "on_time_share",
    "processing",
    "processing_within_due",
    "processing_past_due",
    "withdrawn",
    "stopped",
    "refused",
    "online_level_3",
    "online_level_4",
    "online_share",
    "documents",
    "documents_digitised",
    "digitised_share",
    "in_sync",
    "synced_share",
}


@pytest.fixture
def source() -> InMemoryAdapter:
    return InMemoryAdapter("motcua")


@pytest.fixture
def sync(state_engine: Engine, gateway: FakeGateway, clock: FakeClock) -> Sync:
    return small_sync(state_engine, gateway, clock)


def run(sync: Sync, *adapters: InMemoryAdapter, **options: Any) -> Report:
    """Reconcile in chunks of 2, so that every lookup crosses chunk boundaries."""
    return reconcile(
        sync.engine,
        sync.gateway,
        AGENCY_CODE,
        list(adapters),
        now=sync.clock(),
        chunk=2,
        **options,
    )


def put(source: InMemoryAdapter, record: SourceRecord, minute: int) -> None:
    source.put(record, changed=later(minute))


def entries(report: Report) -> dict[str | None, tuple[str, str]]:
    listed = [e for _, s in report.sources for e in s.not_in_sync] + report.totals.not_in_sync
    return {e["ma_ho_so"]: (str(e["class"]), str(e["reason"])) for e in listed}


def older(n: int) -> dict[str, Any]:
    """An older version of dossier n, as the gateway would hold it."""
    body = content(n, TrangThaiHoSo="2")
    return {**body, "PhienBan": phien_ban(body), "NgayCapNhat": "20200101000000"}


# --- every class --------------------------------------------------------------------------------


def build_every_class(source: InMemoryAdapter, sync: Sync, gateway: FakeGateway) -> None:
    """One dossier per situation; the numbers say which (see the test's expectations)."""
    for n in (1, 2, 3, 7, 10, 13, 14):
        put(source, dossier(n, changed=later(n)), n)
    put(source, dossier(4, changed=later(4)), 4)
    gateway.reject(code(4), "NgayHenTra", "BAT_BUOC")
    put(source, quarantined(5), 5)
    put(source, SourceRecord("6", "draft"), 6)
    put(source, SourceRecord("8", "deleted", ma_ho_so=code(8)), 8)  # deleted before any push
    run_cycle(sync, [source])
    # Behind the daemon's back, at the gateway:
    del gateway.dossiers[code(2)]  # lost
    gateway.dossiers[code(3)] = older(3)  # downgraded
    gateway.dossiers[code(99)] = older(99)  # pushed by someone else
    # At the source, read by the next pull:
    put(source, SourceRecord("7", "deleted", ma_ho_so=code(7)), 20)  # soft-deleted after push
    put(source, dossier(11, changed=later(21)), 21)  # read, queued, not pushed yet
    pull(sync, source)
    # At the source, not read yet:
    put(source, dossier(9, changed=later(30)), 30)  # new
    put(source, dossier(10, changed=later(31), TrangThaiHoSo="9"), 31)  # changed
    del source._rows["13"]  # hard-deleted: the gateway holds it, no source row does
    put(source, quarantined(14), 32)  # now broken; its earlier version is on the gateway


def test_every_class_exactly(source: InMemoryAdapter, sync: Sync, gateway: FakeGateway) -> None:
    build_every_class(source, sync, gateway)
    report = run(sync, source)

    assert report.counts == {
        "in_sync": 1,  # 1
        "missing_upstream": 3,  # 2 lost, 9 new, 11 queued
        "stale_upstream": 2,  # 3 downgraded, 10 changed
        "unknown_upstream": 2,  # 99, 13
        "deleted_at_source": 1,  # 7 (8 was never pushed: no class)
        "rejected": 1,  # 4
        "quarantined": 2,  # 5, 14
        "draft": 1,  # 6
    }
    assert report.synced_ratio == pytest.approx(1 / 7)
    assert entries(report) == {
        code(2): ("missing_upstream", "lost_upstream"),
        code(9): ("missing_upstream", "not_read_yet"),
        code(11): ("missing_upstream", "queued"),
        code(3): ("stale_upstream", "overwritten_upstream"),
        code(10): ("stale_upstream", "not_read_yet"),
        code(4): ("rejected", "NgayHenTra:BAT_BUOC"),
        code(5): ("quarantined", "unknown_status"),
        code(14): ("quarantined", "unknown_status"),
        code(7): ("deleted_at_source", "deleted_after_push"),
        code(99): ("unknown_upstream", "never_read"),
        code(13): ("unknown_upstream", "no_longer_in_source"),
    }
    ((name, section),) = report.sources
    assert name == "motcua"
    assert section.counts["unknown_upstream"] == 0  # unknown dossiers belong to no source
    assert section.not_in_sync_total == 9
    assert report.totals.not_in_sync_total == 2


def test_a_fully_synced_source_is_in_sync_with_ratio_one(
    source: InMemoryAdapter, sync: Sync
) -> None:
    for n in range(1, 6):
        put(source, dossier(n, changed=later(n)), n)
    run_cycle(sync, [source])
    report = run(sync, source)
    assert report.counts["in_sync"] == 5
    assert report.synced_ratio == 1.0
    assert report.totals.not_in_sync == []


def test_nothing_pushable_is_ratio_one(source: InMemoryAdapter, sync: Sync) -> None:
    put(source, SourceRecord("1", "draft"), 1)
    assert run(sync, source).synced_ratio == 1.0


@pytest.mark.parametrize(
    ("state", "listed", "expected"),
    [
        ("dead", False, ("missing_upstream", "dead")),
        ("stale", True, ("stale_upstream", "gateway_newer")),
        ("in_flight", False, ("missing_upstream", "queued")),
        ("superseded", True, ("stale_upstream", "outbox_superseded")),
    ],
)
def test_reasons_read_from_the_outbox_state(
    state: str, listed: bool, expected: tuple[str, str]
) -> None:
    record = dossier(1)
    assert record.phien_ban is not None
    view = _StateView(
        listed={code(1): "another"} if listed else {},
        latest={(code(1), record.phien_ban): (state, None)},
        confirmed=set(),
    )
    assert view.classify(record) == expected


def test_a_source_left_out_keeps_its_dossiers_off_the_unknown_list(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    other = InMemoryAdapter("hotich")
    put(source, dossier(1, changed=later(1)), 1)
    put(other, dossier(2, changed=later(2)), 2)
    run_cycle(sync, [source, other])
    alone = run(sync, source, source_filter="motcua")
    assert alone.counts["unknown_upstream"] == 1  # hotich's dossier, seen from motcua only
    told = run(sync, source, source_filter="motcua", other_sources=["hotich"])
    assert told.counts["unknown_upstream"] == 0
    assert told.as_dict()["source_filter"] == "motcua"


def test_the_not_in_sync_list_is_capped_but_counted(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    for n in range(1, 6):
        put(source, dossier(n, changed=later(n)), n)  # never pushed: missing
    for n in range(90, 94):
        gateway.dossiers[code(n)] = older(n)  # unknown
    report = run(sync, source, cap=2)
    ((_, section),) = report.sources
    assert [e["ma_ho_so"] for e in section.not_in_sync] == [code(1), code(2)]
    assert section.not_in_sync_total == 5
    assert [e["ma_ho_so"] for e in report.totals.not_in_sync] == [code(90), code(91)]
    assert report.totals.not_in_sync_total == 4


# --- indicators -------------------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # the clock: 2026-11-27 10:00 local
IN_PERIOD = Period(since="20260101000000", until="20261201000000")


def doc(digitised: bool) -> dict[str, str]:
    return {"TenTepDinhKem": "Tờ khai", "SoBan": "1", "DuocSoHoa": "1" if digitised else "0"}


def fixture_dossier(
    n: int, received: str, channel: str, level: str, status: str, **more: Any
) -> SourceRecord:
    return dossier(
        n,
        changed=later(n),
        NgayTiepNhan=received,
        KenhThucHien=channel,
        MucDo=level,
        TrangThaiHoSo=status,
        NgayHenTra=more.pop("due", ""),
        **more,
    )


MARCH = "20260310083000"
DUE = "20260315235959"
INDICATOR_FIXTURE = [
    # n, channel, level, status, details: the hand-derived outcome in the comment
    fixture_dossier(1, MARCH, "1", "2", "10", due=DUE, NgayTra="20260314090000",
                    TaiLieuNop=[doc(True), doc(False)]),  # early: only NgayTra, 14 < 15 March
    fixture_dossier(2, MARCH, "2", "3", "10", due=DUE, NgayKetThucXuLy="20260315160000",
                    NgayTra="20260318090000", TaiLieuNop=[doc(True)]),
    # ^ on time: resolved on the due day (collected three days later); online level 3
    fixture_dossier(3, MARCH, "2", "4", "9", due=DUE, NgayKetThucXuLy="20260320100000"),
    # ^ late: no NgayTra, NgayKetThucXuLy 20 March > 15 March; online level 4
    fixture_dossier(4, MARCH, "3", "3", "10", NgayTra="20260401080000"),  # on time: no due date
    fixture_dossier(5, MARCH, "1", "4", "4", due="20261126235959",
                    TaiLieuNop=[doc(False), doc(False)]),  # processing, past due (26 < 27 Nov)
    fixture_dossier(6, MARCH, "2", "2", "5", due="20261130235959"),  # processing within due
    fixture_dossier(7, MARCH, "1", "2", "2"),  # processing, no due date: within due
    fixture_dossier(8, MARCH, "2", "4", "7", TaiLieuNop=[doc(True)]),  # withdrawn; online l.4
    fixture_dossier(9, MARCH, "1", "3", "8"),  # stopped
    fixture_dossier(10, MARCH, "1", "2", "3"),  # refused at intake
    fixture_dossier(11, MARCH, "2", "3", "9"),  # done with no date: undated; online level 3
    fixture_dossier(12, "20251231235959", "2", "4", "10", NgayTra="20260101080000",
                    TaiLieuNop=[doc(True)]),  # received before the period: not counted
    fixture_dossier(13, "20261201000000", "2", "4", "4"),  # at `until`: excluded
]  # fmt: skip

# Hand-computed over dossiers 1-11 (12 and 13 fall outside the period):
EXPECTED_INDICATORS = {
    "received": 11,
    # direct 1, 5, 7, 9, 10; online 2, 3, 6, 8, 11; postal 4
    "received_by_channel": {"direct": 5, "online": 5, "postal": 1, "other": 0},
    # level 2: 1, 6, 7, 10; level 3: 2, 4, 9, 11; level 4: 3, 5, 8
    "received_by_level": {"level_2": 4, "level_3": 4, "level_4": 3, "other": 0},
    "resolved": 5,  # 1, 2, 3, 4, 11
    "resolved_early": 1,  # 1
    "resolved_on_time": 2,  # 2, 4
    "resolved_late": 1,  # 3
    "resolved_undated": 1,  # 11
    "on_time_share": 0.75,  # (1 + 2) / (1 + 2 + 1)
    "processing": 3,  # 5, 6, 7
    "processing_within_due": 2,  # 6, 7
    "processing_past_due": 1,  # 5
    "withdrawn": 1,  # 8
    "stopped": 1,  # 9
    "refused": 1,  # 10
    "online_level_3": 2,  # 2, 11 (4 is level 3 but came by post)
    "online_level_4": 2,  # 3, 8 (5 is level 4 but came to the desk)
    "online_share": 4 / 11,
    "documents": 6,  # 2 + 1 + 2 + 1
    "documents_digitised": 3,  # 1, 2, 8
    "digitised_share": 0.5,
    "in_sync": 10,  # all but 5, which the gateway lost
    "synced_share": 10 / 11,
}  # fmt: skip


def load_fixture(source: InMemoryAdapter, sync: Sync, gateway: FakeGateway) -> None:
    for record in INDICATOR_FIXTURE:
        put(source, record, int(record.source_key))
    run_cycle(sync, [source])
    del gateway.dossiers[code(5)]


def test_indicators_match_hand_computed_values(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway, clock: FakeClock
) -> None:
    assert clock() == NOW
    load_fixture(source, sync, gateway)
    report = run(sync, source, period=IN_PERIOD)
    ((_, section),) = report.sources
    assert section.indicators.as_dict() == EXPECTED_INDICATORS
    assert report.totals.indicators.as_dict() == EXPECTED_INDICATORS
    # Classes cover every dossier, whatever the period.
    assert report.counts["in_sync"] == 12
    assert report.counts["missing_upstream"] == 1


def test_without_a_period_every_dossier_counts(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    load_fixture(source, sync, gateway)
    indicators = run(sync, source).totals.indicators.as_dict()
    assert indicators["received"] == 13
    assert indicators["resolved_on_time"] == 3  # 12: returned 1 Jan, no due date
    assert indicators["processing_within_due"] == 3  # 13: no due date
    assert indicators["online_level_4"] == 4  # 12 and 13, online level 4


def test_period_bounds_are_inclusive_then_exclusive(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    load_fixture(source, sync, gateway)
    exactly_13 = Period(since="20261201000000", until="20261201000001")
    assert run(sync, source, period=exactly_13).totals.indicators.received == 1
    before_12 = Period(until="20251231235959")
    assert run(sync, source, period=before_12).totals.indicators.received == 0


def test_empty_period_has_null_shares(source: InMemoryAdapter, sync: Sync) -> None:
    indicators = run(sync, source, period=IN_PERIOD).totals.indicators.as_dict()
    assert indicators["received"] == 0
    assert indicators["online_share"] is None
    assert indicators["digitised_share"] is None
    assert indicators["on_time_share"] is None


def test_totals_sum_the_sources(sync: Sync, gateway: FakeGateway) -> None:
    first, second = InMemoryAdapter("motcua"), InMemoryAdapter("hotich")
    put(first, fixture_dossier(1, MARCH, "2", "3", "10", due=DUE, NgayTra=MARCH), 1)
    put(second, fixture_dossier(2, MARCH, "2", "4", "4", due=DUE), 2)
    put(second, SourceRecord("3", "draft"), 3)
    run_cycle(sync, [first, second])
    report = run(sync, first, second, period=IN_PERIOD)
    totals = report.totals.indicators.as_dict()
    assert (totals["received"], totals["online_level_3"], totals["online_level_4"]) == (2, 1, 1)
    assert totals["processing_past_due"] == 1
    assert report.counts["in_sync"] == 2
    assert report.counts["draft"] == 1


# --- the JSON shape -------------------------------------------------------------------------------


def test_report_json_has_the_documented_shape(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    build_every_class(source, sync, gateway)
    body = json.loads(json.dumps(run(sync, source, period=IN_PERIOD).as_dict()))
    assert set(body) == {"generated_at", "period", "source_filter", "sources", "totals", "repair"}
    assert body["generated_at"] == "2026-11-27T10:00:00+07:00"
    assert body["period"] == {
        "field": "NgayTiepNhan",
        "since": "2026-01-01T00:00:00+07:00",
        "until": "2026-12-01T00:00:00+07:00",
    }
    (section,) = body["sources"]
    assert set(section) == {
        "name",
        "counts",
        "synced_ratio",
        "indicators",
        "not_in_sync",
        "not_in_sync_total",
    }
    assert set(body["totals"]) == set(section) - {"name"}
    for part in (section, body["totals"]):
        assert list(part["counts"]) == list(CLASSES)
        assert set(part["indicators"]) == INDICATOR_KEYS
    assert all(set(e) == {"ma_ho_so", "class", "reason"} for e in section["not_in_sync"])
    assert body["repair"] is None


def test_the_report_carries_no_personal_data(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    build_every_class(source, sync, gateway)
    report = run(sync, source)
    text = render_json(report.as_dict()) + render_html(report.as_dict(), [])
    for personal in ("Nguyễn Văn An", "Thôn 3"):
        assert personal not in text


# --- repair ---------------------------------------------------------------------------------------


def repairable(source: InMemoryAdapter, sync: Sync, gateway: FakeGateway) -> None:
    for n in range(1, 6):
        put(source, dossier(n, changed=later(n)), n)
    run_cycle(sync, [source])
    del gateway.dossiers[code(1)]
    gateway.dossiers[code(2)] = older(2)
    put(source, dossier(6, changed=later(10)), 10)  # not read yet


def test_repair_requeues_missing_and_stale_under_a_resync_record(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway, clock: FakeClock
) -> None:
    repairable(source, sync, gateway)
    spec = ResyncSpec(source="motcua")
    request_id = submit(
        sync.engine, spec, dry_run=False, requested_by="test", reason="repair", now=clock()
    )
    repair = Repair(request_id)
    before = run(sync, source, repair=repair)
    assert before.counts["missing_upstream"] == 2
    assert before.counts["stale_upstream"] == 1
    assert repair.as_dict() == {
        "resync_id": request_id,
        "dry_run": False,
        "requeued": {"missing_upstream": 2, "stale_upstream": 1},
    }
    with sync.engine.connect() as conn:
        linked = conn.execute(
            select(t.outbox_dossiers.c.ma_ho_so).where(t.outbox_dossiers.c.resync_id == request_id)
        ).scalars()
        assert sorted(linked) == [code(1), code(2), code(6)]
    push(sync)
    after = run(sync, source)
    assert after.synced_ratio == 1.0
    assert after.counts["in_sync"] == 6


def test_repair_dry_run_enqueues_nothing(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway, clock: FakeClock
) -> None:
    repairable(source, sync, gateway)
    with sync.engine.connect() as conn:
        queued = conn.execute(select(func.count()).select_from(t.outbox_dossiers)).scalar_one()
    repair = Repair(7, dry_run=True)
    run(sync, source, repair=repair)
    assert repair.as_dict()["requeued"] == {"missing_upstream": 2, "stale_upstream": 1}
    with sync.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(t.outbox_dossiers)).scalar_one() == queued
        )
    assert run(sync, source).synced_ratio == pytest.approx(3 / 6)


def test_a_stopping_daemon_interrupts_the_run(source: InMemoryAdapter, sync: Sync) -> None:
    for n in range(1, 6):
        put(source, dossier(n), n)
    report = run(sync, source, stopping=lambda: True)
    assert report.interrupted


# --- storage and renderings -----------------------------------------------------------------------


def store(engine: Engine, report: Report) -> int:
    return save_report(
        engine,
        report.as_dict(),
        generated_at=report.generated_at,
        period=(report.period.since, report.period.until),
        source_filter=report.source_filter,
        synced_ratio=report.synced_ratio,
    )


def test_reports_are_stored_listed_and_loaded(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    build_every_class(source, sync, gateway)
    report = run(sync, source, period=IN_PERIOD)
    first = store(sync.engine, report)
    second = store(sync.engine, run(sync, source, source_filter="motcua"))
    loaded = load_report(sync.engine, first)
    assert loaded == {"id": first, **json.loads(json.dumps(report.as_dict()))}
    latest = load_report(sync.engine)
    assert latest is not None and latest["id"] == second
    listing = list_reports(sync.engine)
    assert [r.id for r in listing] == [second, first]
    assert listing[1].period_since == "20260101000000"
    assert listing[0].source_filter == "motcua"
    assert load_report(sync.engine, 999) is None


def test_daily_ratios_take_the_last_report_of_each_local_day(state_engine: Engine) -> None:
    def add(at: datetime, ratio: float, source: str | None = None) -> None:
        with state_engine.begin() as conn:
            conn.execute(
                insert(t.reports).values(
                    generated_at=at, synced_ratio=ratio, body="{}", source_filter=source
                )
            )

    day = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 08:00 local
    add(day, 0.5)
    add(day + timedelta(hours=10), 0.6)  # 18:00 local, same day: wins
    add(day + timedelta(hours=20), 0.7)  # 04:00 local the next day (21:00 UTC the same day)
    add(day + timedelta(hours=21), 0.1, "motcua")  # another scope: not on this chart
    add(day + timedelta(days=2), 0.9)
    ratios = daily_ratios(
        state_engine,
        since=day - timedelta(days=1),
        until=day + timedelta(days=2),
        source_filter=None,
    )
    assert ratios == [("2026-11-25", 0.6), ("2026-11-26", 0.7), ("2026-11-27", 0.9)]


def test_html_is_one_self_contained_page(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    build_every_class(source, sync, gateway)
    body = {"id": 3, **run(sync, source, period=IN_PERIOD).as_dict()}
    page = render_html(body, [("2026-11-25", 0.8), ("2026-11-27", 1 / 7)])
    assert page.startswith("<!DOCTYPE html>")
    for outside in ("http://", "https://", "<script", "src=", "<link", "@import", "url("):
        assert outside not in page
    assert "<svg" in page and "<polyline" in page
    for label in ("Tỷ lệ đồng bộ", "synced ratio", "Trực tuyến mức độ 3", "Chưa có trên iGate"):
        assert label in page
    assert code(2) in page and "lost_upstream" in page
    assert "14,3 %" in page  # the synced ratio 1/7, Vietnamese style


def test_html_chart_without_history_says_so(source: InMemoryAdapter, sync: Sync) -> None:
    page = render_html(run(sync, source).as_dict(), [])
    assert "no data yet" in page
    assert "<svg" not in page


def test_csv_holds_counts_ratios_and_the_list(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    build_every_class(source, sync, gateway)
    rows = list(csv.DictReader(io.StringIO(render_csv(run(sync, source).as_dict()))))
    counts = {(r["source"], r["class"]): int(r["value"]) for r in rows if r["record"] == "count"}
    assert counts[("motcua", "missing_upstream")] == 3
    assert counts[("(total)", "unknown_upstream")] == 2
    listed = {r["ma_ho_so"]: r["reason"] for r in rows if r["record"] == "not_in_sync"}
    assert listed[code(9)] == "not_read_yet"
    assert listed[code(99)] == "never_read"
    assert len(listed) == 11


def test_table_rendering_names_every_class(
    source: InMemoryAdapter, sync: Sync, gateway: FakeGateway
) -> None:
    build_every_class(source, sync, gateway)
    console = Console(record=True, width=160, file=io.StringIO())
    for renderable in render_table(run(sync, source).as_dict()):
        console.print(renderable)
    text = console.export_text()
    for klass in CLASSES:
        assert klass in text
    assert "not in sync: 11" in text


# --- flat memory ----------------------------------------------------------------------------------


class SyntheticSource:
    """``n`` dossiers made on the fly, never held together."""

    def __init__(self, n: int) -> None:
        self.name = "synthetic"
        self.n = n

    def scan(self, chunk: int) -> Iterator[list[SourceRecord]]:
        for start in range(1, self.n + 1, chunk):
            yield [self._record(i) for i in range(start, min(start + chunk, self.n + 1))]

    def _record(self, i: int) -> SourceRecord:
        body = {"NgayTiepNhan": MARCH, "KenhThucHien": "2", "MucDo": "4", "TrangThaiHoSo": "4"}
        return SourceRecord(str(i), "dossier", ma_ho_so=code(i), content=body, phien_ban=f"v{i}")


class SyntheticGateway(FakeGateway):
    """Lists the same ``n`` dossiers in their current version, made on the fly."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def list_dossiers(
        self, ma_don_vi: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ListedDossier]:
        for i in range(1, self.n + 1):
            yield ListedDossier(code(i), f"v{i}", "4", "20260310083000", 0)


def peak_memory(engine: Engine, n: int) -> tuple[int, Report]:
    tracemalloc.start()
    try:
        report = reconcile(
            engine,
            SyntheticGateway(n),
            AGENCY_CODE,
            [SyntheticSource(n)],  # type: ignore[list-item]
            now=NOW,
            chunk=500,
        )
        return tracemalloc.get_traced_memory()[1], report
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_from_2_000_to_20_000_dossiers(state_engine: Engine) -> None:
    small, small_report = peak_memory(state_engine, 2_000)
    large, large_report = peak_memory(state_engine, 20_000)
    assert small_report.counts["in_sync"] == 2_000
    assert large_report.counts["in_sync"] == 20_000
    assert large_report.totals.indicators.received == 20_000
    # Ten times the dossiers: the peak is one chunk and one listing page either way.
    assert large < small * 1.5 + 256 * 1024, (small, large)
