"""The source port: what the pipeline needs from a commune register.

An adapter reads rows, maps each one to a ``SourceRecord`` (a wire dossier with its events,
or the reason it cannot be pushed) and never talks to the state store or the gateway.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

RecordKind = Literal["dossier", "quarantined", "draft", "deleted"]


@dataclass(frozen=True, slots=True)
class Finding:
    """A data-quality finding on a pushed dossier: never blocks the push."""

    code: str
    field: str


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row is quarantined: reason code, offending field, shape of its value."""

    reason: str
    field: str
    value_shape: str = ""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One source row, mapped."""

    source_key: str
    kind: RecordKind
    ma_ho_so: str | None = None
    changed_at: datetime | None = None
    content: dict[str, Any] | None = field(default=None, repr=False)
    phien_ban: str | None = None
    events: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    problem: Problem | None = None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Agency:
    """The receiving agency this deployment pushes for."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """Rows changed after a cursor, and the cursor to resume from after them."""

    records: list[SourceRecord]
    cursor: str | None


class SourceAdapter(Protocol):
    """A commune register seen through one adapter."""

    name: str

    def read_changes(self, cursor: str | None, chunk: int) -> Iterator[ChangeBatch]:
        """Rows changed strictly after ``cursor``, in cursor order, streamed in chunks."""
        ...

    def scan(self, chunk: int) -> Iterator[list[SourceRecord]]:
        """Every row, streamed in chunks (the periodic content scan)."""
        ...

    def read_keys(self, keys: list[str]) -> list[SourceRecord]:
        """The rows with these source keys (manual resync)."""
        ...

    def ping(self) -> None:
        """Raise SourceUnavailable when the register cannot be reached."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
