"""The admin endpoint's read-only dashboard (``GET /``): one self-contained HTML page.

What an operator at the desk or an administrator looking over their shoulder wants at a
glance: the latest reconciliation report (synced ratio, classes) and the daily synced-ratio
chart, the queue by state, the last run of each source, what is quarantined and why, and the
items the sync gave up on. It is read from the state database at each request, holds codes,
counts, source keys and value shapes only (never personal data), has no form and no script
(it reloads itself every 30 seconds), and loads nothing from elsewhere. ``GET /report``
serves the latest report's full page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from itertools import islice
from typing import Any

from sqlalchemy import Engine

import igate_sync.report_render as rr
from igate_sync.normalize import VN_TZ
from igate_sync.store import control
from igate_sync.store.listings import dead_items, quarantine_rows
from igate_sync.store.reports import load_report, report_chart
from igate_sync.store.status import read_status

LIST_CAP = 50
REFRESH_S = 30
# Outbox states in the order an item goes through them.
STATES = ("pending", "in_flight", "confirmed", "rejected", "stale", "superseded", "dead")
_STATE_LABELS = {
    "pending": "chờ gửi",
    "in_flight": "đang gửi",
    "confirmed": "iGate đã nhận",
    "rejected": "bị từ chối",
    "stale": "cũ hơn bản trên iGate",
    "superseded": "thay bằng bản mới hơn",
    "dead": "bỏ dở",
}
_CIRCUIT_LABELS = {
    "closed": "thông suốt",
    "open": "tạm ngừng gửi (chờ iGate)",
    "half_open": "đang thử lại",
}


@dataclass(frozen=True)
class DashboardView:
    """Everything the page shows, read at one moment."""

    agency: str
    now: datetime
    status: dict[str, Any]  # StoreStatus.as_dict() plus "paused"
    report: dict[str, Any] | None
    daily: Sequence[tuple[str, float]]
    quarantine: Sequence[dict[str, Any]]  # the oldest LIST_CAP rows
    dead: Sequence[dict[str, Any]]  # the latest LIST_CAP items


def gather(engine: Engine, now: datetime, agency: str) -> DashboardView:
    """Read the page's content from the state database."""
    status = read_status(engine, now).as_dict() | {"paused": control.paused(engine)}
    report, daily = latest_report(engine)
    rows = quarantine_rows(engine)
    try:
        quarantine = list(islice(rows, LIST_CAP))
    finally:
        rows.close()
    dead = dead_items(engine, limit=LIST_CAP)
    return DashboardView(agency, now, status, report, daily, quarantine, dead)


def latest_report(
    engine: Engine,
) -> tuple[dict[str, Any] | None, list[tuple[str, float]]]:
    """The latest stored report and the daily synced ratios of the CHART_DAYS up to it."""
    report = load_report(engine)
    return (None, []) if report is None else (report, report_chart(engine, report))


def latest_report_page(engine: Engine) -> str | None:
    """The latest report's full HTML page (``report --last --format html``), or None."""
    report, daily = latest_report(engine)
    return None if report is None else rr.render_html(report, daily)


def render_dashboard(view: DashboardView) -> str:
    """The page."""
    title = "igate-sync – Bảng điều khiển đồng bộ"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="refresh" content="{REFRESH_S}">',
        f"<title>{escape(title)} – {escape(view.agency)}</title>",
        f"<style>{rr.CSS}td{{white-space:nowrap}}</style></head><body>",
        f"<h1>{escape(title)} <small>Sync dashboard</small></h1>",
        _meta(view),
        _kpis(view),
        "<h2>Tỷ lệ đồng bộ theo ngày <small>Daily synced ratio</small></h2>",
        f'<div id="chart">{rr.svg_chart(view.daily)}</div>',
        "<h2>Báo cáo đối soát gần nhất <small>Latest reconciliation report</small></h2>",
        _report(view.report),
        "<h2>Hàng đợi gửi <small>Outbox by state</small></h2>",
        _queue(view.status["queue"]),
        "<h2>Lần đồng bộ gần nhất <small>Last run of each source</small></h2>",
        _runs(view.status["last_runs"]),
        "<h2>Cách ly do lỗi dữ liệu <small>Quarantined source rows</small></h2>",
        _quarantine(view.status["quarantine"], view.quarantine),
        "<h2>Hồ sơ bỏ dở <small>Dead items: the gateway kept failing on them</small></h2>",
        _dead(view.status["queue"], view.dead),
        "<footer>igate-sync · chỉ mã và số liệu, không có dữ liệu cá nhân "
        "(Nghị định 13/2023/NĐ-CP) · codes and counts only, no personal data · "
        '<a href="/status">/status</a> · <a href="/metrics">/metrics</a></footer>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _local(moment: datetime | str | None) -> str:
    if moment is None:
        return "–"
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return at.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} phút"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} giờ {minutes} phút" if hours < 48 else f"{hours // 24} ngày {hours % 24} giờ"


def _meta(view: DashboardView) -> str:
    status = view.status
    circuit = status["circuit"]
    gateway = f"{_CIRCUIT_LABELS.get(circuit, circuit)} ({circuit})"
    if status["upstream_hold_until"]:
        gateway += f", đến <span class=en>until</span> {_local(status['upstream_hold_until'])}"
    pushing = "tạm dừng (paused)" if status["paused"] else "đang chạy (running)"
    return (
        f'<p class="meta" id="meta">{escape(view.agency)} · Cập nhật lúc '
        f'<span class="en">as of</span> {_local(view.now)}, tự làm mới mỗi {REFRESH_S} giây · '
        f'Cổng iGate <span class="en">gateway</span> <span id="circuit">{gateway}</span> · '
        f'Gửi <span class="en">pushing</span> <span id="pushing">{pushing}</span></p>'
    )


def _kpis(view: DashboardView) -> str:
    queue = view.status["queue"]
    dossiers, events = queue["dossiers"], queue["events"]
    waiting = sum(dossiers.get(s, 0) for s in ("pending", "in_flight"))
    dead = dossiers.get("dead", 0) + events.get("dead", 0)
    ratio = rr.number(float(view.report["totals"]["synced_ratio"])) if view.report else "–"
    tiles = [
        ("synced-ratio", "Tỷ lệ đồng bộ", "synced ratio (latest report)", ratio),
        ("waiting", "Hồ sơ chờ gửi", "dossier versions waiting", rr.number(waiting)),
        ("oldest", "Chờ lâu nhất", "oldest unconfirmed",
         _age(view.status["oldest_unconfirmed_age_s"])),
        ("confirmed", "iGate đã nhận", "confirmed upstream",
         rr.number(view.status["confirmed_upstream"])),
        ("quarantined", "Cách ly", "quarantined", rr.number(view.status["quarantine_total"])),
        ("dead", "Bỏ dở", "dead items", rr.number(dead)),
    ]  # fmt: skip
    return "".join(
        f'<div class="kpi" id="kpi-{key}">{escape(vi)} <span class="en">{escape(en)}</span>'
        f"<b>{escape(value)}</b></div>"
        for key, vi, en, value in tiles
    )


def _table(headers: Iterable[tuple[str, str]], rows: Iterable[Sequence[Any]], id_: str) -> str:
    head = "".join(f'<th>{escape(vi)} <span class="en">{escape(en)}</span></th>'
                   for vi, en in headers)  # fmt: skip
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table id="{id_}"><tr>{head}</tr>{body}</table>'


def _cell(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="n">{escape(rr.number(value))}</td>'
    return f"<td>{escape('–' if value is None or value == '' else str(value))}</td>"


def _report(report: dict[str, Any] | None) -> str:
    if report is None:
        return (
            '<p id="report">Chưa có báo cáo: chạy <code>igate-sync reconcile</code> '
            '(hằng ngày lúc 06:00). <span class="en">No report yet.</span></p>'
        )
    return (
        f'<p class="meta" id="report">Báo cáo số <span class="en">report</span> '
        f'{escape(str(report.get("id", "")))} · lập lúc <span class="en">generated</span> '
        f'{_local(report["generated_at"])} · kỳ <span class="en">period</span> '
        f"{escape(rr.period_text(report))} · "
        '<a href="/report">toàn văn <span class="en">full report</span></a></p>'
        + rr.html_classes(report)
    )


def _queue(queue: dict[str, dict[str, int]]) -> str:
    states = [s for s in STATES if s in queue["dossiers"] or s in queue["events"]]
    states += sorted((set(queue["dossiers"]) | set(queue["events"])) - set(STATES))
    rows = [
        (f"{_STATE_LABELS.get(s, s)} ({s})", queue["dossiers"].get(s, 0), queue["events"].get(s, 0))
        for s in states
    ]
    if not rows:
        return '<p id="queue">Hàng đợi trống. <span class="en">The outbox is empty.</span></p>'
    headers = [("Trạng thái", "state"), ("Phiên bản hồ sơ", "dossier versions"),
               ("Sự kiện", "events")]  # fmt: skip
    return _table(headers, rows, "queue")


def _runs(runs: Sequence[dict[str, Any]]) -> str:
    if not runs:
        return '<p id="runs">Chưa chạy lần nào. <span class="en">No run yet.</span></p>'
    rows = [
        (r["source"], _local(r["started_at"]), _local(r["finished_at"]), r["outcome"] or "–")
        for r in runs
    ]
    headers = [("Nguồn", "source"), ("Bắt đầu", "started"), ("Kết thúc", "finished"),
               ("Kết quả", "outcome")]  # fmt: skip
    return _table(headers, rows, "runs")


def _quarantine(by_reason: dict[str, int], rows: Sequence[dict[str, Any]]) -> str:
    total = sum(by_reason.values())
    if total == 0:
        return '<p id="quarantine">Không có. <span class="en">None.</span></p>'
    reasons = _table(
        [("Lý do", "reason"), ("Số dòng", "rows")],
        sorted(by_reason.items(), key=lambda item: (-item[1], item[0])),
        "quarantine-reasons",
    )
    listed = _table(
        [("Nguồn", "source"), ("Khoá nguồn", "source key"), ("Mã hồ sơ", "MaHoSo"),
         ("Lý do", "reason"), ("Trường", "field"), ("Dạng giá trị", "value shape"),
         ("Thấy lần đầu", "first seen"), ("Thấy lần cuối", "last seen")],
        ((q["source"], q["source_key"], q["ma_ho_so"], q["reason"], q["field"],
          q["value_shape"], _local(q["first_seen_at"]), _local(q["last_seen_at"]))
         for q in rows),
        "quarantine",
    )  # fmt: skip
    return reasons + listed + _more(total, len(rows), "igate-sync quarantine list")


def _dead(queue: dict[str, dict[str, int]], items: Sequence[dict[str, Any]]) -> str:
    total = queue["dossiers"].get("dead", 0) + queue["events"].get("dead", 0)
    if total == 0:
        return '<p id="dead">Không có. <span class="en">None.</span></p>'
    listed = _table(
        [("Loại", "kind"), ("Nguồn", "source"), ("Mã hồ sơ", "MaHoSo"), ("STT", "event no."),
         ("Lỗi cuối", "last error"), ("Vào hàng đợi", "queued"), ("Bỏ dở lúc", "given up")],
        ((d["kind"], d["source"], d["ma_ho_so"], d["stt"], (d["last_error"] or "")[:120],
          _local(d["created_at"]), _local(d["updated_at"])) for d in items),
        "dead",
    )  # fmt: skip
    hint = (
        '<p>Gửi lại <span class="en">to try them again</span>: '
        "<code>igate-sync retry-dead</code></p>"
    )
    return listed + _more(total, len(items), "igate-sync status") + hint


def _more(total: int, shown: int, command: str) -> str:
    if total <= shown:
        return ""
    return (
        f'<p>… và {rr.number(total - shown)} dòng khác <span class="en">and '
        f"{total - shown} more</span>: <code>{escape(command)}</code></p>"
    )
