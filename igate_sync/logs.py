"""structlog, configured once by the CLI: JSON lines off a TTY, readable on one.

The ``redact`` processor keeps personal data (Decree 13/2023) out of every log line: values
under personal-data keys are replaced, and ID-like digit runs, phone numbers and e-mail
addresses are masked in every string. Code must still never log dossier bodies: a name
cannot be recognised by its shape.
"""

from __future__ import annotations

import logging
import re
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

PERSONAL_KEYS = frozenset(
    {
        "ChuHoSo", "SoDinhDanh", "DinhDanhCHS", "SoDienThoai", "Email", "DiaChi", "TrichYeuHoSo",
        "nguoi_nop", "so_giay_to", "dien_thoai", "email", "dia_chi", "trich_yeu",
        "ten_nguoi_yc", "giay_to_so", "sdt", "name", "phone", "address", "payload", "body",
    }
)  # fmt: skip
_MASKS = (
    (re.compile(r"[^@\s\"']+@[^@\s\"']+\.[^@\s\"']+"), "[email]"),
    # 9 to 12 digits (ID numbers, phones) standing alone: dossier codes and 14-digit wire
    # times are not personal data and stay readable.
    (re.compile(r"(?<![\w.\-+])\+?\d(?:[\s.\-]?\d){8,11}(?![\w\-])"), "[number]"),
)
REDACTED = "[redacted]"


def redact(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Replace personal data in a log event."""
    for key, value in list(event.items()):
        if key in PERSONAL_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = mask(value)
    return event


def mask(text: str) -> str:
    """Mask e-mail addresses and ID-/phone-like digit runs in a text."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def configure_logging(
    *,
    level: str = "INFO",
    json: bool | None = None,
    stream: TextIO | None = None,
    file: Path | None = None,
    max_mb: float = 50,
    backups: int = 5,
) -> None:
    """Configure structlog once, at start: to ``stream`` (stderr), or a rotating ``file``."""
    out = stream or sys.stderr
    as_json = (file is not None or not out.isatty()) if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_file_logger(file, max_mb, backups)
        if file
        else structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )


def _file_logger(path: Path, max_mb: float, backups: int) -> Any:
    handler = RotatingFileHandler(
        path, maxBytes=int(max_mb * 1_000_000), backupCount=backups, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    target = logging.getLogger("igate_sync.file")
    target.handlers[:] = [handler]
    target.propagate = False
    target.setLevel(logging.DEBUG)
    return lambda *_args: target
