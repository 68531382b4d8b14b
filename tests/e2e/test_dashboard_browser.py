"""The admin dashboard in a real browser: Debian's Chromium, headless, driven by Playwright
(its executable_path, no downloaded browser), against `igate-sync run` over loopback.

The sample register is synced and reconciled through the CLI, the daemon is started, and
the page must show what `/status` and the stored report say; a screenshot is taken, the
full-report link is followed, and the browser must report no error (a blocked asset or a
Content-Security-Policy violation would be one). `.ci/run` installs Chromium and sets
IGATE_REQUIRE_BROWSER=1, so that in CI a missing browser fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from igate_sync.report_render import number
from igate_sync.upstream.simulator.server import RunningSimulator
from tests.e2e import daemon_harness as harness
from tests.e2e.daemon_harness import ENV, Daemon, cli

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("IGATE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is not installed: apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture
def gateway() -> Iterator[RunningSimulator]:
    with harness.gateway() as sim:
        yield sim


@pytest.fixture
def config(tmp_path: Path, gateway: RunningSimulator) -> Path:
    """The sample commune, synced and reconciled through the CLI; the daemon's own cycles
    run at 03:00, so only its first cycle at start runs during the test."""
    path = harness.commune(tmp_path, gateway.base_url, count=300, seed=11, schedule="0 3 * * *")
    cli(path, "sync")
    cli(path, "reconcile", "--format", "json")
    return path


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_dashboard_renders_in_chromium_with_what_the_daemon_knows(
    config: Path, chromium: str, tmp_path: Path
) -> None:
    report = json.loads(cli(config, "report", "--last", "--format", "json"))
    daemon = Daemon(config, ENV)
    try:
        admin = daemon.wait_for(lambda e: e.get("event") == "daemon started")["admin"]
        daemon.wait_for(lambda e: e.get("event") == "sync cycle")
        status: dict[str, Any] = httpx.get(f"{admin}/status", timeout=10).json()
        problems: list[str] = []
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
                reply = page.goto(admin + "/")
                assert reply is not None
                assert reply.status == 200

                assert page.title() == "igate-sync – Bảng điều khiển đồng bộ – UBND xã Ea Yiêng"
                ratio = number(float(report["totals"]["synced_ratio"]))
                assert page.inner_text("#kpi-synced-ratio b") == ratio
                assert page.inner_text("#kpi-confirmed b") == number(status["confirmed_upstream"])
                assert page.inner_text("#kpi-quarantined b") == number(status["quarantine_total"])
                assert page.inner_text("#kpi-waiting b") == "0"
                assert f"report {report['id']}" in page.inner_text("#report")
                reasons = page.locator("#quarantine-reasons tr")
                assert reasons.count() == len(status["quarantine"]) + 1  # and the header
                shown = {
                    reasons.nth(i).locator("td").nth(0).inner_text(): reasons.nth(i)
                    .locator("td")
                    .nth(1)
                    .inner_text()
                    for i in range(1, reasons.count())
                }
                assert shown == {k: number(v) for k, v in status["quarantine"].items()}
                assert page.locator("#queue tr").count() >= 2
                assert "thông suốt (closed)" in page.inner_text("#circuit")
                # The chart is drawn, at its size, with the report's day on it.
                chart = page.locator("#chart svg")
                box = chart.bounding_box()
                assert box is not None
                assert box["width"] == 680
                assert chart.locator("circle").count() == 1

                shot = tmp_path / "dashboard.png"
                page.screenshot(path=str(shot), full_page=True)
                width, height = png_size(shot)
                assert width == 1280
                assert height > 900  # the whole page, not just the first screen
                if out := os.environ.get("IGATE_SCREENSHOT_DIR"):
                    shutil.copy(shot, Path(out) / "dashboard.png")

                page.click("#report a")  # the full report
                page.wait_for_url(admin + "/report")
                assert f"Reconciliation report {report['id']}" in page.title()
            finally:
                browser.close()
        assert problems == []
    finally:
        assert daemon.stop() == 0
