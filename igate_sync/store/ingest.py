"""Writing what a source read into the state store: one transaction per chunk.

The chunk's new dossier versions and progress events enter the outbox, its quarantine and
findings are recorded, and the source cursor advances, all in the same transaction: a crash
at any instant either keeps the whole chunk or re-reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from igate_sync.adapters.base import SourceRecord
from igate_sync.schemas import canonical_json, wire_dossier_json
from igate_sync.store import tables as t
from igate_sync.store.identities import replace_identities
from igate_sync.store.versions import version_time


@dataclass
class IngestCounts:
    """What one ingest did."""

    read: int = 0
    enqueued: int = 0
    size: int = 0  # characters of payload enqueued (dossier versions and events)
    unchanged: int = 0
    events_enqueued: int = 0
    drafts: int = 0
    deleted: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    backpressure: bool = False  # pulling paused: the outbox is full

    def add(self, other: IngestCounts) -> None:
        """Accumulate another chunk's counts."""
        for name in (
            "read",
            "enqueued",
            "size",
            "unchanged",
            "events_enqueued",
            "drafts",
            "deleted",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.quarantined.update(other.quarantined)
        self.backpressure = self.backpressure or other.backpressure


def ingest(
    engine: Engine,
    source: str,
    records: Sequence[SourceRecord],
    *,
    now: datetime,
    cursor: str | None = None,
    resync_id: int | None = None,
) -> IngestCounts:
    """Record one chunk of source rows and, when given, advance the cursor past them.

    With ``resync_id`` (an operator's resync), the current version of every dossier is
    enqueued again even when unchanged, linked to the request.
    """
    with engine.begin() as conn:
        counts = _Chunk(conn, source, records, now, resync_id).apply()
        if cursor is not None:
            save_cursor(conn, source, cursor, now)
    return counts


def save_cursor(conn: Connection, source: str, cursor: str, now: datetime) -> None:
    """Set a source's cursor."""
    done = conn.execute(
        update(t.source_cursors)
        .where(t.source_cursors.c.source == source)
        .values(cursor=cursor, updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(insert(t.source_cursors).values(source=source, cursor=cursor, updated_at=now))


class _Chunk:
    """One chunk's writes, gathered and sent as bulk statements."""

    def __init__(
        self,
        conn: Connection,
        source: str,
        records: Sequence[SourceRecord],
        now: datetime,
        resync_id: int | None = None,
    ) -> None:
        self.conn, self.source, self.records, self.now = conn, source, records, now
        self.resync_id = resync_id
        self.counts = IngestCounts(read=len(records))
        keys = [r.source_key for r in records]
        self.previous = self._previous_rows(keys)
        self.quarantined_keys = self._existing(t.quarantine, keys)
        codes = [r.ma_ho_so for r in records if r.kind == "dossier" and r.ma_ho_so]
        self.known_events = self._known_events(codes)

    def apply(self) -> IngestCounts:
        versions: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        rows_new: list[dict[str, Any]] = []
        rows_changed: list[dict[str, Any]] = []
        for record in self.records:
            row = self._track(record, versions, events)
            (rows_changed if record.source_key in self.previous else rows_new).append(row)
        self._write_outbox(versions, events)
        self._write_rows(rows_new, rows_changed)
        self._write_quarantine()
        self._write_findings()
        replace_identities(self.conn, self.source, self.records, self.now)
        return self.counts

    def _track(
        self, record: SourceRecord, versions: list[dict[str, Any]], events: list[dict[str, Any]]
    ) -> dict[str, Any]:
        prev = self.previous.get(record.source_key)
        row: dict[str, Any] = {
            "b_source": self.source,
            "b_key": record.source_key,
            "ma_ho_so": record.ma_ho_so,
            "kind": record.kind,
            "phien_ban": record.phien_ban,
            "ngay_cap_nhat": prev["ngay_cap_nhat"] if prev else None,
            "received_at": (record.content or {}).get("NgayTiepNhan"),
            "last_seen_at": self.now,
        }
        if record.kind == "dossier":
            self._dossier(record, prev, row, versions, events)
        elif record.kind == "quarantined" and record.problem is not None:
            self.counts.quarantined[record.problem.reason] += 1
        elif record.kind == "draft":
            self.counts.drafts += 1
        elif record.kind == "deleted":
            self.counts.deleted += 1
        return row

    def _dossier(
        self,
        record: SourceRecord,
        prev: Any,
        row: dict[str, Any],
        versions: list[dict[str, Any]],
        events: list[dict[str, Any]],
    ) -> None:
        assert record.content is not None and record.phien_ban and record.ma_ho_so
        same = (
            prev is not None and prev["kind"] == "dossier" and prev["phien_ban"] == record.phien_ban
        )
        if same and self.resync_id is None:
            self.counts.unchanged += 1
        else:
            ngay = version_time(
                record.changed_at, prev["ngay_cap_nhat"] if prev else None, self.now
            )
            row["ngay_cap_nhat"] = ngay
            versions.append(self._version(record, ngay))
        for event in record.events:
            if (record.ma_ho_so, int(event["STT"])) not in self.known_events:
                events.append(self._event(record.ma_ho_so, event))

    def _version(self, record: SourceRecord, ngay: str) -> dict[str, Any]:
        assert record.content is not None and record.phien_ban and record.ma_ho_so
        self.counts.enqueued += 1
        payload = wire_dossier_json(record.content, ngay_cap_nhat=ngay, version=record.phien_ban)
        self.counts.size += len(payload)
        return {
            "source": self.source,
            "ma_ho_so": record.ma_ho_so,
            "phien_ban": record.phien_ban,
            "ngay_cap_nhat": ngay,
            "payload": payload,
            "state": "pending",
            "attempts": 0,
            "resync_id": self.resync_id,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _event(self, ma_ho_so: str, event: dict[str, Any]) -> dict[str, Any]:
        self.counts.events_enqueued += 1
        self.known_events.add((ma_ho_so, int(event["STT"])))
        payload = canonical_json(event)
        self.counts.size += len(payload)
        return {
            "source": self.source,
            "ma_ho_so": ma_ho_so,
            "stt": int(event["STT"]),
            "payload": payload,
            "state": "pending",
            "attempts": 0,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _write_outbox(self, versions: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        if versions:
            # A newer version replaces an older one that has not left yet.
            self.conn.execute(
                update(t.outbox_dossiers)
                .where(
                    t.outbox_dossiers.c.ma_ho_so.in_([v["ma_ho_so"] for v in versions]),
                    t.outbox_dossiers.c.state == "pending",
                    t.outbox_dossiers.c.batch_id.is_(None),
                )
                .values(state="superseded", payload=None, updated_at=self.now)
            )
            self.conn.execute(insert(t.outbox_dossiers), versions)
        if events:
            self.conn.execute(insert(t.outbox_events), events)

    def _write_rows(self, new: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
        c = t.source_rows.c
        if new:
            self.conn.execute(
                insert(t.source_rows).values(
                    source=bindparam("b_source"),
                    source_key=bindparam("b_key"),
                    first_seen_at=self.now,
                ),
                new,
            )
        if changed:
            self.conn.execute(
                update(t.source_rows).where(
                    c.source == bindparam("b_source"), c.source_key == bindparam("b_key")
                ),
                changed,
            )

    def _write_quarantine(self) -> None:
        c = t.quarantine.c
        bad = [r for r in self.records if r.kind == "quarantined" and r.problem is not None]
        cleared = [
            r.source_key
            for r in self.records
            if r.kind != "quarantined" and r.source_key in self.quarantined_keys
        ]
        if cleared:
            self.conn.execute(
                delete(t.quarantine).where(c.source == self.source, c.source_key.in_(cleared))
            )
        fresh = [self._problem_row(r) for r in bad if r.source_key not in self.quarantined_keys]
        seen = [self._problem_row(r) for r in bad if r.source_key in self.quarantined_keys]
        if fresh:
            self.conn.execute(
                insert(t.quarantine).values(
                    source=bindparam("b_source"),
                    source_key=bindparam("b_key"),
                    first_seen_at=self.now,
                ),
                fresh,
            )
        if seen:
            self.conn.execute(
                update(t.quarantine).where(
                    c.source == bindparam("b_source"), c.source_key == bindparam("b_key")
                ),
                seen,
            )

    def _problem_row(self, record: SourceRecord) -> dict[str, Any]:
        assert record.problem is not None
        return {
            "b_source": self.source,
            "b_key": record.source_key,
            "ma_ho_so": record.ma_ho_so,
            "reason": record.problem.reason,
            "field": record.problem.field,
            "value_shape": record.problem.value_shape,
            "last_seen_at": self.now,
        }

    def _write_findings(self) -> None:
        keys = [r.source_key for r in self.records]
        c = t.findings.c
        self.conn.execute(delete(t.findings).where(c.source == self.source, c.source_key.in_(keys)))
        rows = [
            {
                "source": self.source,
                "source_key": r.source_key,
                "code": f.code,
                "field": f.field,
                "ma_ho_so": r.ma_ho_so,
                "first_seen_at": self.now,
                "last_seen_at": self.now,
            }
            for r in self.records
            for f in dict.fromkeys(r.findings)
        ]
        if rows:
            self.conn.execute(insert(t.findings), rows)

    def _previous_rows(self, keys: list[str]) -> dict[str, Any]:
        c = t.source_rows.c
        query = select(c.source_key, c.kind, c.phien_ban, c.ngay_cap_nhat).where(
            c.source == self.source, c.source_key.in_(keys)
        )
        return {row.source_key: row._mapping for row in self.conn.execute(query)}

    def _existing(self, table: Any, keys: list[str]) -> set[str]:
        query = select(table.c.source_key).where(
            table.c.source == self.source, table.c.source_key.in_(keys)
        )
        return set(self.conn.execute(query).scalars())

    def _known_events(self, codes: list[str]) -> set[tuple[str, int]]:
        c = t.outbox_events.c
        query = select(c.ma_ho_so, c.stt).where(c.ma_ho_so.in_(codes))
        return {(row.ma_ho_so, row.stt) for row in self.conn.execute(query)}
