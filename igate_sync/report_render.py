"""Renderings of a reconciliation report's JSON (``igate_sync.reconcile``, as stored).

``table`` for a terminal (rich), ``json`` as stored, ``csv`` (counts, synced ratios and the
not-in-sync list, one header), and ``html``: one self-contained page (inline CSS, an inline
SVG chart of the daily synced ratio, no external asset, no script) that an administrator
can open or e-mail, in Vietnamese with English labels.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date
from html import escape
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

CLASS_LABELS: dict[str, tuple[str, str]] = {
    "in_sync": ("Đã đồng bộ, đúng phiên bản", "in sync"),
    "missing_upstream": ("Chưa có trên iGate", "missing upstream"),
    "stale_upstream": ("iGate giữ phiên bản cũ", "stale upstream"),
    "unknown_upstream": ("Có trên iGate, không có ở nguồn", "unknown upstream"),
    "deleted_at_source": ("Đã xoá tại nguồn sau khi gửi", "deleted at source"),
    "rejected": ("Bị iGate từ chối", "rejected"),
    "quarantined": ("Cách ly do lỗi dữ liệu", "quarantined"),
    "draft": ("Hồ sơ nháp (chưa có mã)", "draft"),
}
INDICATOR_LABELS: dict[str, tuple[str, str]] = {
    "received": ("Hồ sơ tiếp nhận", "received"),
    "received_by_channel.direct": ("  trực tiếp", "direct"),
    "received_by_channel.online": ("  trực tuyến", "online"),
    "received_by_channel.postal": ("  qua bưu chính công ích", "postal"),
    "received_by_channel.other": ("  kênh khác", "other channel"),
    "received_by_level.level_2": ("  thủ tục mức độ 2", "level 2"),
    "received_by_level.level_3": ("  thủ tục mức độ 3", "level 3"),
    "received_by_level.level_4": ("  thủ tục mức độ 4", "level 4"),
    "received_by_level.other": ("  mức độ khác", "other level"),
    "resolved": ("Đã giải quyết", "resolved"),
    "resolved_early": ("  trước hạn", "early"),
    "resolved_on_time": ("  đúng hạn", "on time"),
    "resolved_late": ("  quá hạn", "late"),
    "resolved_undated": ("  không rõ ngày trả", "undated"),
    "on_time_share": ("Tỷ lệ đúng và trước hạn", "on-time share"),
    "processing": ("Đang giải quyết", "processing"),
    "processing_within_due": ("  trong hạn", "within due"),
    "processing_past_due": ("  quá hạn", "past due"),
    "withdrawn": ("Công dân rút hồ sơ", "withdrawn"),
    "stopped": ("Dừng xử lý", "stopped"),
    "refused": ("Không được tiếp nhận", "refused"),
    "online_level_3": ("Trực tuyến mức độ 3 (một phần)", "online level 3"),
    "online_level_4": ("Trực tuyến mức độ 4 (toàn trình)", "online level 4"),
    "online_share": ("Tỷ lệ hồ sơ trực tuyến", "online share"),
    "documents": ("Thành phần hồ sơ", "documents"),
    "documents_digitised": ("  đã số hoá", "digitised"),
    "digitised_share": ("Tỷ lệ số hoá", "digitised share"),
    "in_sync": ("Đã đồng bộ lên iGate", "in sync"),
    "synced_share": ("Tỷ lệ đồng bộ trong kỳ", "synced share"),
}
# The reconciliation's own reason codes; quarantine reasons are the mapping's codes.
REASON_LABELS: dict[str, str] = {
    "not_read_yet": "chưa đọc từ nguồn: lần đồng bộ tới sẽ gửi",
    "queued": "đang chờ gửi",
    "dead": "iGate lỗi nhiều lần với riêng hồ sơ này",
    "gateway_newer": "iGate giữ phiên bản mới hơn",
    "lost_upstream": "iGate đã xác nhận, nay không còn",
    "overwritten_upstream": "iGate đã xác nhận, nay giữ bản khác",
    "deleted_after_push": "xoá tại nguồn sau khi đã gửi",
    "never_read": "không nguồn nào từng có",
    "no_longer_in_source": "nguồn từng có, nay không còn",
}
TOTAL = "Tổng"
HTML_LIST_CAP = 1000
TABLE_LIST_CAP = 20


def flat_indicators(indicators: dict[str, Any]) -> dict[str, Any]:
    """``{"received_by_channel": {"direct": 1}}`` → ``{"received_by_channel.direct": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in indicators.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def number(value: Any) -> str:
    """Vietnamese number text: 11.505; a share as 97,5 %; null as –."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value * 100:.1f} %".replace(".", ",")
    return f"{int(value):,}".replace(",", ".")


def _columns(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(s["name"], s) for s in report["sources"]] + [(TOTAL, report["totals"])]


def _entries(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for source in report["sources"]:
        for entry in source["not_in_sync"]:
            yield source["name"], entry
    for entry in report["totals"]["not_in_sync"]:
        yield "", entry


def _not_in_sync_total(report: dict[str, Any]) -> int:
    sections = [*report["sources"], report["totals"]]
    return sum(int(s["not_in_sync_total"]) for s in sections)


def period_text(report: dict[str, Any]) -> str:
    period = report["period"]
    since, until = period.get("since"), period.get("until")
    if since is None and until is None:
        return "toàn bộ / all dossiers"
    return f"{_local(since) or '…'} → {_local(until) or '…'} (NgayTiepNhan)"


def _local(iso: str | None) -> str | None:
    """``2026-01-01T00:00:00+07:00`` → ``2026-01-01 00:00`` (every time here is local)."""
    return iso[:16].replace("T", " ") if iso else None


# --- json and csv ----------------------------------------------------------------------------


def render_json(report: dict[str, Any]) -> str:
    """The report as stored: the documented JSON shape."""
    return json.dumps(report, ensure_ascii=False, indent=2)


def render_csv(report: dict[str, Any]) -> str:
    """One CSV: ``count`` and ``synced_ratio`` rows per source and total, then every
    ``not_in_sync`` entry; header ``record,source,ma_ho_so,class,reason,value``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["record", "source", "ma_ho_so", "class", "reason", "value"])
    for name, section in _columns(report):
        label = name if name != TOTAL else "(total)"
        for klass, n in section["counts"].items():
            writer.writerow(["count", label, "", klass, "", n])
        writer.writerow(["synced_ratio", label, "", "", "", section["synced_ratio"]])
    for name, entry in _entries(report):
        writer.writerow(
            ["not_in_sync", name, entry["ma_ho_so"] or "", entry["class"], entry["reason"], ""]
        )
    return buffer.getvalue()


# --- table (terminal) ------------------------------------------------------------------------


def render_table(report: dict[str, Any]) -> list[RenderableType]:
    """Renderables for a terminal: classes, indicators, the first not-in-sync entries."""
    columns = _columns(report)
    head = Text(
        f"reconciliation report {report.get('id', '(unsaved)')}, generated "
        f"{report['generated_at']}; period: {period_text(report)}"
    )
    classes = _grid("class", columns)
    for klass in CLASS_LABELS:
        classes.add_row(klass, *(number(s["counts"][klass]) for _, s in columns))
    classes.add_row("synced_ratio", *(f"{s['synced_ratio']:.4f}" for _, s in columns))
    indicators = _grid("indicator", columns)
    flats = [flat_indicators(s["indicators"]) for _, s in columns]
    for key in INDICATOR_LABELS:
        indicators.add_row(key, *(number(f.get(key)) for f in flats))
    return [head, classes, indicators, _entry_table(report)]


def _grid(first: str, columns: list[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(show_edge=False)
    table.add_column(first)
    for name, _ in columns:
        table.add_column(name, justify="right")
    return table


def _entry_table(report: dict[str, Any]) -> Table:
    total = _not_in_sync_total(report)
    table = Table(title=f"not in sync: {total}", show_edge=False)
    for column in ("source", "ma_ho_so", "class", "reason"):
        table.add_column(column)
    shown = 0
    for name, entry in _entries(report):
        if shown == TABLE_LIST_CAP:
            break
        table.add_row(name, entry["ma_ho_so"] or "", entry["class"], entry["reason"])
        shown += 1
    if total > shown:
        table.caption = f"… {total - shown} more: --format json, csv or html lists them"
    return table


# --- html ------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px;
color:#1d2733;background:#fff;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;color:#12395b}
small,.en{color:#5b6b7b;font-weight:normal;font-size:.85em}
.meta{color:#44515e;margin:0 0 16px}
.kpi{display:inline-block;border:1px solid #c9d6e3;border-radius:8px;padding:10px 18px;
margin:0 12px 8px 0;background:#f5f9fc}.kpi b{display:block;font-size:26px;color:#12395b}
table{border-collapse:collapse;font-size:14px;margin:4px 0}
th,td{border:1px solid #d5dde5;padding:4px 8px;text-align:left}
th{background:#eef3f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fff4f2}svg text{font-size:11px;fill:#44515e}
footer{margin-top:32px;color:#7a8794;font-size:12px}
"""


def render_html(report: dict[str, Any], daily: Sequence[tuple[str, float]] = ()) -> str:
    """One self-contained page: inline CSS and SVG, no external asset, no script."""
    title = f"Báo cáo đối soát hồ sơ với iGate – Reconciliation report {report.get('id', '')}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _html_meta(report),
        _html_kpis(report),
        "<h2>Tỷ lệ đồng bộ theo ngày <small>Daily synced ratio</small></h2>",
        svg_chart(daily),
        "<h2>Phân loại hồ sơ <small>Classification</small></h2>",
        html_classes(report),
        "<h2>Chỉ tiêu trong kỳ <small>Indicators (Quyết định 766/QĐ-TTg)</small></h2>",
        _html_indicators(report),
        "<h2>Hồ sơ chưa đồng bộ <small>Not in sync: codes and reasons only</small></h2>",
        _html_entries(report),
        "<footer>igate-sync · mã hồ sơ và mã lý do, không có dữ liệu cá nhân "
        "(Nghị định 13/2023/NĐ-CP) · codes only, no personal data</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _html_meta(report: dict[str, Any]) -> str:
    names = ", ".join(s["name"] for s in report["sources"]) or "–"
    generated = _local(report["generated_at"]) or ""
    return (
        f'<p class="meta">Lập lúc <span class="en">generated</span> '
        f'{escape(generated)} · Kỳ báo cáo <span class="en">period</span> '
        f'{escape(period_text(report))} · Nguồn <span class="en">sources</span> '
        f"{escape(names)}</p>"
    )


def _html_kpis(report: dict[str, Any]) -> str:
    totals = report["totals"]
    counts = totals["counts"]
    pushable = sum(counts[k] for k in ("in_sync", "missing_upstream", "stale_upstream", "rejected"))
    tiles = [
        ("Tỷ lệ đồng bộ", "synced ratio", number(float(totals["synced_ratio"]))),
        ("Đã đồng bộ / cần đồng bộ", "in sync / pushable", f"{number(counts['in_sync'])} / "
         f"{number(pushable)}"),
        ("Chưa đồng bộ", "not in sync", number(_not_in_sync_total(report))),
    ]  # fmt: skip
    return "".join(
        f'<div class="kpi">{escape(vi)} <span class="en">{escape(en)}</span>'
        f"<b>{escape(value)}</b></div>"
        for vi, en, value in tiles
    )


def _html_grid(report: dict[str, Any], rows: Sequence[tuple[str, str, str, list[Any]]]) -> str:
    header = "".join(f"<th>{escape(name)}</th>" for name, _ in _columns(report))
    body = "".join(
        f'<tr class="{css}"><td>{escape(vi)} <span class="en">{escape(en)}</span></td>'
        + "".join(f'<td class="n">{escape(number(v))}</td>' for v in values)
        + "</tr>"
        for vi, en, css, values in rows
    )
    return f"<table><tr><th></th>{header}</tr>{body}</table>"


def html_classes(report: dict[str, Any]) -> str:
    columns = _columns(report)
    rows = [
        (
            vi,
            en,
            "" if klass in ("in_sync", "draft") else "bad",
            [s["counts"][klass] for _, s in columns],
        )
        for klass, (vi, en) in CLASS_LABELS.items()
    ]
    rows.append(
        ("Tỷ lệ đồng bộ", "synced ratio", "", [float(s["synced_ratio"]) for _, s in columns])
    )
    return _html_grid(report, rows)


def _html_indicators(report: dict[str, Any]) -> str:
    flats = [flat_indicators(s["indicators"]) for _, s in _columns(report)]
    rows = [(vi, en, "", [f.get(key) for f in flats]) for key, (vi, en) in INDICATOR_LABELS.items()]
    return _html_grid(report, rows)


def _html_entries(report: dict[str, Any]) -> str:
    total = _not_in_sync_total(report)
    if total == 0:
        return '<p>Không có: mọi hồ sơ đều đã đồng bộ. <span class="en">None.</span></p>'
    rows: list[str] = []
    for name, entry in _entries(report):
        if len(rows) == HTML_LIST_CAP:
            break
        vi = CLASS_LABELS.get(entry["class"], (entry["class"], ""))[0]
        why = REASON_LABELS.get(entry["reason"], "")
        rows.append(
            f"<tr><td>{escape(name or '–')}</td><td>{escape(entry['ma_ho_so'] or '–')}</td>"
            f'<td>{escape(vi)} <span class="en">{escape(entry["class"])}</span></td>'
            f'<td>{escape(entry["reason"])} <span class="en">{escape(why)}</span></td></tr>'
        )
    more = total - len(rows)
    note = (
        f'<p>… và {number(more)} hồ sơ khác <span class="en">and {more} more '
        "(igate-sync report --format csv)</span></p>"
        if more
        else ""
    )
    return (
        '<table><tr><th>Nguồn <span class="en">source</span></th><th>Mã hồ sơ '
        '<span class="en">MaHoSo</span></th><th>Phân loại <span class="en">class</span>'
        '</th><th>Lý do <span class="en">reason</span></th></tr>'
        + "".join(rows)
        + "</table>"
        + note
    )


# --- the chart -------------------------------------------------------------------------------

_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 680, 220, 64, 16, 12, 28
# (lowest ratio at least, axis floor, tick step): ratios near 100 % get a closer look.
_SCALES = ((0.9, 0.9, 0.025), (0.8, 0.8, 0.05), (0.5, 0.5, 0.1), (0.0, 0.0, 0.25))


def svg_chart(daily: Sequence[tuple[str, float]]) -> str:
    """An inline SVG line chart of (ISO day, ratio) points, days placed on a time axis."""
    if not daily:
        return '<p>Chưa có dữ liệu <span class="en">no data yet</span></p>'
    days = [date.fromisoformat(d).toordinal() for d, _ in daily]
    first, span = days[0], max(days[-1] - days[0], 1)
    lowest = min(r for _, r in daily)
    low, step = next((floor, step) for at_least, floor, step in _SCALES if lowest >= at_least)

    def x(ordinal: int) -> float:
        return _LEFT + (ordinal - first) / span * (_W - _LEFT - _RIGHT)

    def y(ratio: float) -> float:
        return _TOP + (1 - (ratio - low) / (1 - low)) * (_H - _TOP - _BOTTOM)

    points = [(x(o), y(r), d, r) for o, (d, r) in zip(days, daily, strict=True)]
    parts = [
        f'<svg width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="daily synced ratio">',
        *_gridlines(low, step, y),
        '<polyline fill="none" stroke="#1f6fb2" stroke-width="2" points="'
        + " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        + '"/>',
        *(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#1f6fb2">'
            f"<title>{escape(d)}: {escape(number(r))}</title></circle>"
            for px, py, d, r in points
        ),
        f'<text x="{_LEFT}" y="{_H - 8}">{escape(daily[0][0])}</text>',
        f'<text x="{_W - _RIGHT}" y="{_H - 8}" text-anchor="end">{escape(daily[-1][0])}</text>',
        "</svg>",
    ]
    return "".join(parts)


def _gridlines(low: float, step: float, y: Any) -> Iterator[str]:
    for i in range(round((1 - low) / step) + 1):
        ratio = low + i * step
        py = y(ratio)
        yield (
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py:.1f}" y2="{py:.1f}" '
            'stroke="#e1e7ee"/>'
            f'<text x="{_LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">'
            f"{f'{ratio * 100:.1f}'.removesuffix('.0').replace('.', ',')} %</text>"
        )
