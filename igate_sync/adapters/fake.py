"""An in-memory source adapter: the SourceAdapter port's fake, for pipeline tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from igate_sync.adapters.base import ChangeBatch, SourceRecord
from igate_sync.errors import SourceUnavailable


class InMemoryAdapter:
    """Holds mapped records; ``put`` replaces a row as a desk officer's edit would."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.available = True
        self._rows: dict[str, tuple[str, SourceRecord]] = {}

    def put(self, record: SourceRecord, *, changed: datetime) -> None:
        """Insert or replace a row, with the change time its cursor column would hold."""
        self._rows[record.source_key] = (changed.isoformat(), record)

    def read_changes(self, cursor: str | None, chunk: int) -> Iterator[ChangeBatch]:
        """Rows after ``cursor`` in (change time, key) order."""
        self.ping()
        after = tuple(json.loads(cursor)) if cursor else ("", "")
        ordered = sorted((c, k) for k, (c, _) in self._rows.items() if (c, k) > after)
        for start in range(0, len(ordered), chunk):
            part = ordered[start : start + chunk]
            records = [self._rows[k][1] for _, k in part]
            yield ChangeBatch(records, json.dumps(list(part[-1])))

    def scan(self, chunk: int) -> Iterator[list[SourceRecord]]:
        """Every row in key order."""
        self.ping()
        keys = sorted(self._rows)
        for start in range(0, len(keys), chunk):
            yield [self._rows[k][1] for k in keys[start : start + chunk]]

    def read_keys(self, keys: list[str]) -> list[SourceRecord]:
        """The rows with these keys."""
        return [self._rows[k][1] for k in keys if k in self._rows]

    def ping(self) -> None:
        """Fail like an unreachable database when told to."""
        if not self.available:
            raise SourceUnavailable("fake source is down")

    def close(self) -> None:
        """Nothing to release."""
