"""The admin dashboard page (`GET /`) and report page (`GET /report`): a real state store
filled by the pipeline, served by the real admin app over loopback, read back element by id.

The browser test (tests/e2e/test_dashboard_browser.py) renders the page in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from igate_sync.adapters.fake import InMemoryAdapter
from igate_sync.admin import AdminHooks, AdminServer, ResyncRequest, create_admin_app
from igate_sync.dashboard import LIST_CAP, gather, latest_report_page, render_dashboard
from igate_sync.errors import UpstreamUnavailable
from igate_sync.pipeline import Sync, pull, run_cycle
from igate_sync.reconcile import reconcile
from igate_sync.store.reports import save_report
from igate_sync.upstream.fake import FakeGateway
from tests.conftest import FakeClock
from tests.factories import AGENCY_CODE, code, dossier, later, quarantined, small_sync

AGENCY = "UBND xã Ea Yiêng"


class ById(HTMLParser):
    """The text inside each element that has an id, and every tag with its attributes."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "wbr"})

    def __init__(self, page: str) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[str | None] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.VOID:
            return
        element_id = dict(attrs).get("id")
        self._open.append(element_id)
        if element_id:
            self.text[element_id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.text[element_id] += data

    @staticmethod
    def rows(anchor: str, page: str) -> list[list[str]]:
        """The data rows, as cell texts, of the first table at or after the element with id
        ``anchor`` (the page's tables are flat)."""
        at = rf'<table id="{anchor}">|id="{anchor}".*?<table[^>]*>'
        found = re.search(rf"(?:{at})(.*?)</table>", page, re.S)
        assert found, anchor
        return [
            [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
            ]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1))
            if "<td" in row
        ]


def kpi(page: str, name: str) -> str:
    """The tile's value (its <b>)."""
    found = re.search(rf'id="kpi-{name}".*?<b>(.*?)</b>', page, re.S)
    assert found, name
    return found.group(1)


@pytest.fixture
def sync(state_engine: Engine, gateway: FakeGateway, clock: FakeClock) -> Sync:
    return small_sync(state_engine, gateway, clock, dead_after=3, dead_after_age=timedelta(0))


@pytest.fixture
def served(sync: Sync, clock: FakeClock) -> Iterator[httpx.Client]:
    """The admin app over the real state store, as the daemon wires it."""

    def refuse(_request: ResyncRequest) -> int:
        raise AssertionError("the dashboard changes nothing")

    def ignore(_paused: bool) -> None:
        raise AssertionError("the dashboard changes nothing")

    hooks = AdminHooks(
        status=dict,
        readiness=list,
        request_resync=refuse,
        set_paused=ignore,
        registry=CollectorRegistry(),
        dashboard=lambda: render_dashboard(gather(sync.engine, clock(), AGENCY)),
        latest_report=lambda: latest_report_page(sync.engine),
    )
    server = AdminServer(create_admin_app(hooks, None))
    server.start("127.0.0.1", 0)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{server.port}", timeout=10, trust_env=False
        ) as client:
            yield client
    finally:
        server.stop()


def store_report(sync: Sync, source: InMemoryAdapter) -> float:
    report = reconcile(sync.engine, sync.gateway, AGENCY_CODE, [source], now=sync.clock())
    save_report(
        sync.engine,
        report.as_dict(),
        generated_at=report.generated_at,
        period=(report.period.since, report.period.until),
        source_filter=report.source_filter,
        synced_ratio=report.synced_ratio,
    )
    return report.synced_ratio


def fill(sync: Sync, gateway: FakeGateway, clock: FakeClock) -> InMemoryAdapter:
    """Eight dossiers: no. 2 rejected, no. 3 the gateway keeps failing on (dead), the rest
    confirmed; two quarantined rows; a report on each of two days; then one more queued."""
    source = InMemoryAdapter("motcua")
    for n in range(1, 5):
        source.put(dossier(n, changed=later(n), events=1 if n == 1 else 0), changed=later(n))
    source.put(quarantined(20, "unknown_status"), changed=later(20))
    source.put(quarantined(21, "bad_date"), changed=later(21))
    gateway.reject(code(2), "ChuHoSo", "missing")
    gateway.poison(code(3), UpstreamUnavailable("502 on this batch"))
    run_cycle(sync, [source])
    for n in range(5, 9):  # each cycle's new dossier shows the gateway up; no. 3 fails alone
        clock.advance(3600)
        source.put(dossier(n, changed=later(30 + n)), changed=later(30 + n))
        run_cycle(sync, [source])
    store_report(sync, source)
    clock.advance(86_400.25)  # the next day, at a time with a fraction of a second
    source.put(dossier(9, changed=later(60)), changed=later(60))
    run_cycle(sync, [source])
    store_report(sync, source)
    source.put(dossier(10, changed=later(61)), changed=later(61))
    pull(sync, source)  # queued, not pushed
    clock.advance(600)
    return source


def test_the_page_shows_the_latest_report_queue_quarantine_and_dead_items(
    served: httpx.Client, sync: Sync, gateway: FakeGateway, clock: FakeClock
) -> None:
    fill(sync, gateway, clock)

    reply = served.get("/")

    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = reply.text
    doc = ById(page)
    # The latest report: 9 dossiers pushable, 7 on the gateway (no. 2 rejected, no. 3 dead).
    assert kpi(page, "synced-ratio") == "77,8 %"
    assert "Báo cáo số" in doc.text["report"]
    assert re.match(r"Báo cáo số report 2 · lập lúc", doc.text["report"])
    classes = {row[0]: row[1:] for row in doc.rows("report", page)}
    assert classes["Đã đồng bộ, đúng phiên bản in sync"] == ["7", "7"]
    assert classes["Bị iGate từ chối rejected"] == ["1", "1"]
    # The chart: one point per day with a report, the latest day's at 77,8 %.
    points = re.findall(r"<circle[^>]*><title>([^<]*)</title>", page)
    assert len(points) == 2
    assert points[-1].endswith(": 77,8 %")
    # The queue, from the outbox.
    queue = {row[0]: row[1:] for row in doc.rows("queue", page)}
    assert queue["chờ gửi (pending)"] == ["1", "0"]
    assert queue["iGate đã nhận (confirmed)"] == ["7", "1"]
    assert queue["bị từ chối (rejected)"] == ["1", "0"]
    assert queue["bỏ dở (dead)"] == ["1", "0"]
    assert kpi(page, "waiting") == "1"
    assert kpi(page, "oldest") == "10 phút"
    assert kpi(page, "confirmed") == "7"
    # Quarantine: by reason, then the rows with their keys and codes.
    assert kpi(page, "quarantined") == "2"
    assert sorted(doc.rows("quarantine-reasons", page)) == [
        ["bad_date", "1"],
        ["unknown_status", "1"],
    ]
    listed = doc.rows("quarantine", page)
    assert [(r[0], r[1], r[2], r[3]) for r in listed] == [
        ("motcua", "20", code(20), "unknown_status"),
        ("motcua", "21", code(21), "bad_date"),
    ]
    # Dead: the dossier the gateway kept failing on, its last error, when queued and dropped.
    assert kpi(page, "dead") == "1"
    [dead] = doc.rows("dead", page)
    assert dead[:5] == ["dossier", "motcua", code(3), "–", "502 on this batch"]
    assert dead[5] < dead[6]  # queued, then given up on hours later (local times)
    assert "igate-sync retry-dead" in page
    assert AGENCY in doc.text["meta"]
    assert "thông suốt (closed)" in doc.text["circuit"]


def test_before_any_work_the_page_says_so_and_there_is_no_report_page(
    served: httpx.Client,
) -> None:
    page = served.get("/").text
    doc = ById(page)

    assert "Chưa có báo cáo" in doc.text["report"]
    assert "Hàng đợi trống" in doc.text["queue"]
    assert "Chưa chạy lần nào" in doc.text["runs"]
    assert "Không có" in doc.text["quarantine"]
    assert "Không có" in doc.text["dead"]
    assert kpi(page, "synced-ratio") == "–"
    assert "<circle" not in page
    reply = served.get("/report")
    assert reply.status_code == 404
    assert reply.json() == {"error": "no report yet: run reconcile"}


def test_the_report_page_is_the_latest_stored_report(
    served: httpx.Client, sync: Sync, gateway: FakeGateway, clock: FakeClock
) -> None:
    fill(sync, gateway, clock)

    reply = served.get("/report")

    assert reply.status_code == 200
    assert reply.headers["content-security-policy"].startswith("default-src 'none'")
    assert "Reconciliation report 2</title>" in reply.text
    assert reply.text.count("<circle") == 2


def test_the_pages_are_self_contained_read_only_and_hold_no_personal_data(
    served: httpx.Client, sync: Sync, gateway: FakeGateway, clock: FakeClock
) -> None:
    personal = {
        "ChuHoSo": "Phạm Thị Hồng Nhung",
        "SoDienThoai": "0912345678",
        "DiaChi": "Số 12 đường Lê Duẩn, buôn Ea Kmăr",
        "Email": "nhung.pham@example.vn",
    }
    source = fill(sync, gateway, clock)
    source.put(dossier(11, changed=later(70), **personal), changed=later(70))
    gateway.reject(code(11), "ChuHoSo", personal["ChuHoSo"])  # a gateway echoing a value
    run_cycle(sync, [source])
    store_report(sync, source)

    for path in ("/", "/report"):
        reply = served.get(path)
        assert reply.status_code == 200
        page = reply.text
        for value in personal.values():
            assert value not in page, (path, value)
        doc = ById(page)
        # Nothing loads from elsewhere, nothing runs, nothing submits.
        tags = {tag for tag, _ in doc.tags}
        assert not tags & {"script", "img", "link", "iframe", "form", "object", "embed"}
        links = [a.get("href") for tag, a in doc.tags if tag == "a"]
        assert all(link and link.startswith("/") for link in links)
        headers = reply.headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
    assert served.post("/").status_code == 405


def test_long_lists_are_capped_and_say_how_many_more(
    served: httpx.Client, sync: Sync, clock: FakeClock
) -> None:
    source = InMemoryAdapter("motcua")
    extra = 7
    for n in range(1, LIST_CAP + extra + 1):
        source.put(quarantined(n, "bad_date"), changed=later(n))
    run_cycle(sync, [source])

    page = served.get("/").text

    assert len(ById.rows("quarantine", page)) == LIST_CAP
    assert f"… và {extra} dòng khác" in page
    assert "igate-sync quarantine list" in page
    assert ById.rows("quarantine-reasons", page) == [["bad_date", str(LIST_CAP + extra)]]
