"""No personal data reaches a log line (Decree 13/2023)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from igate_sync.logs import configure_logging, mask


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(level="DEBUG", json=True, stream=stream)
    yield stream
    structlog.reset_defaults()


def logged(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_personal_keys_are_replaced(lines: io.StringIO) -> None:
    structlog.get_logger().info(
        "row", ChuHoSo="Nguyễn Văn An", so_giay_to="066201123456", DiaChi="Thôn 3", count=3
    )
    (line,) = logged(lines)
    assert line["ChuHoSo"] == line["so_giay_to"] == line["DiaChi"] == "[redacted]"
    assert line["count"] == 3


def test_ids_phones_and_emails_in_free_text_are_masked(lines: io.StringIO) -> None:
    structlog.get_logger().warning(
        "gateway said 066.201.123.456 and +84 905 123 456 or an@example.vn is wrong"
    )
    (line,) = logged(lines)
    text = str(line["event"])
    for secret in ("066.201.123.456", "905 123 456", "an@example.vn"):
        assert secret not in text
    assert text.count("[number]") == 2


def test_codes_and_times_stay_readable() -> None:
    assert mask("000.24.24.H16-210311-0001 at 20210311083000") == (
        "000.24.24.H16-210311-0001 at 20210311083000"
    )


def test_json_lines_keep_vietnamese_readable(lines: io.StringIO) -> None:
    structlog.get_logger().info("đồng bộ xong")
    assert "đồng bộ xong" in lines.getvalue()
