"""What the simulated gateway holds: dossiers, events, idempotency replies, tokens, counters.

One SQLite database (stdlib ``sqlite3``): in memory by default, or a file that survives a
restart. The store applies the contract's version rules and keeps an effect log and counters
so that tests can prove that nothing was lost and nothing was applied twice, and a request
log so that they can prove no request came before a Retry-After deadline. Thread safe: the
server thread writes while a test thread reads.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

DossierOutcome = Literal["created", "updated", "unchanged", "stale"]
EventOutcome = Literal["created", "unchanged", "missing"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dossiers (
    ma_ho_so TEXT PRIMARY KEY, ma_don_vi TEXT NOT NULL, phien_ban TEXT NOT NULL,
    ngay_cap_nhat TEXT NOT NULL, trang_thai TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dossiers_listing ON dossiers (ma_don_vi, ngay_cap_nhat, ma_ho_so);
CREATE TABLE IF NOT EXISTS events (
    ma_ho_so TEXT NOT NULL, stt TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (ma_ho_so, stt));
CREATE TABLE IF NOT EXISTS replies (
    client_id TEXT NOT NULL, path TEXT NOT NULL, idem_key TEXT NOT NULL,
    body_hash TEXT NOT NULL, reply TEXT NOT NULL, stored_at TEXT NOT NULL,
    PRIMARY KEY (client_id, path, idem_key));
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, client_id TEXT NOT NULL, issued_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS effects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, ma_ho_so TEXT NOT NULL,
    ref TEXT NOT NULL, ngay_cap_nhat TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, path TEXT NOT NULL,
    client_id TEXT, outcome TEXT NOT NULL, answered_at TEXT, retry_after_until TEXT);
CREATE TABLE IF NOT EXISTS counters (
    grp TEXT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (grp, k1, k2));
"""


@dataclass(frozen=True)
class Effect:
    """One applied change: ``created``/``updated`` (ref = PhienBan) or ``event_created`` (STT)."""

    kind: str
    ma_ho_so: str
    ref: str
    ngay_cap_nhat: str
    at: datetime


@dataclass(frozen=True)
class RequestRecord:
    """One request received on the API (everything but ``/_sim``) and what became of it.

    ``outcome`` is the status answered, or the fault that ate the reply (``reset``,
    ``lost_reply``), or ``no_reply``. ``answered_at`` is when the reply started (None when no
    reply left); ``retry_after_until`` the deadline its ``Retry-After`` header announced.
    ``client_id`` is the owner of the bearer token presented (None: no known token).
    """

    received_at: datetime
    path: str
    client_id: str | None
    outcome: str
    answered_at: datetime | None = None
    retry_after_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (times in ISO 8601, UTC)."""
        return {
            "received_at": _iso(self.received_at),
            "path": self.path,
            "client_id": self.client_id,
            "outcome": self.outcome,
            "answered_at": _iso(self.answered_at),
            "retry_after_until": _iso(self.retry_after_until),
        }


def _iso(moment: datetime | None) -> str | None:
    # Fixed width, so that string order is time order in SQL.
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class StoredReply:
    """The first 200 reply to an idempotency key, with the hash of its request body."""

    body_hash: str
    reply: str


@dataclass(frozen=True)
class TokenRecord:
    """An issued access token."""

    client_id: str
    issued_at: datetime


@dataclass(frozen=True)
class ListingQuery:
    """A page request of the reconciliation listing; bounds are wire times or None."""

    ma_don_vi: str
    since: str | None = None
    until: str | None = None
    after: tuple[str, str] | None = None
    limit: int = 500


@dataclass(frozen=True)
class ListingPage:
    """One page of the listing, the total matching the filter, and whether more follow."""

    total: int
    items: list[dict[str, str]]
    has_more: bool


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class SimulatorStore:
    """The gateway's store, in memory (``path=None``) or in a SQLite file."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        target = ":memory:" if path is None else os.fspath(path)
        self._conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SimulatorStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction; nested uses join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            done = False
            try:
                yield
                done = True
            finally:
                self._depth -= 1
                if outer:
                    self._conn.execute("COMMIT" if done else "ROLLBACK")

    def _rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _scalar(self, sql: str, *params: object) -> Any:
        rows = self._rows(sql, *params)
        return rows[0][0] if rows else None

    def _execute(self, sql: str, *params: object) -> int:
        with self.atomic():
            return self._conn.execute(sql, params).rowcount

    # --- dossiers ---------------------------------------------------------------------------

    def apply_dossier(
        self, dossier: Mapping[str, Any], ma_don_vi: str, now: datetime
    ) -> DossierOutcome:
        """Apply a validated dossier by the contract's version rules; count and log the effect."""
        with self.atomic():
            outcome = self._dossier_outcome(dossier)
            if outcome in ("created", "updated"):
                self._write_dossier(dossier, ma_don_vi)
                self._log(
                    outcome, dossier["MaHoSo"], dossier["PhienBan"], dossier["NgayCapNhat"], now
                )
            self.count("result", "dossier", outcome)
            return outcome

    def _dossier_outcome(self, dossier: Mapping[str, Any]) -> DossierOutcome:
        rows = self._rows(
            "SELECT phien_ban, ngay_cap_nhat FROM dossiers WHERE ma_ho_so = ?", dossier["MaHoSo"]
        )
        if not rows:
            return "created"
        phien_ban, ngay_cap_nhat = rows[0]
        if dossier["PhienBan"] == phien_ban:
            return "unchanged"
        # Wire times are fixed-width digits: string order is time order.
        return "stale" if dossier["NgayCapNhat"] < ngay_cap_nhat else "updated"

    def _write_dossier(self, dossier: Mapping[str, Any], ma_don_vi: str) -> None:
        self._execute(
            "INSERT OR REPLACE INTO dossiers VALUES (?, ?, ?, ?, ?, ?)",
            dossier["MaHoSo"],
            ma_don_vi,
            str(dossier.get("PhienBan", "")),
            str(dossier.get("NgayCapNhat", "")),
            str(dossier.get("TrangThaiHoSo", "")),
            _dumps(dict(dossier)),
        )

    def get_dossier(self, ma_ho_so: str) -> dict[str, Any] | None:
        """The stored dossier object exactly as pushed, or None."""
        body = self._scalar("SELECT body FROM dossiers WHERE ma_ho_so = ?", ma_ho_so)
        return None if body is None else dict(json.loads(body))

    def dossier_agency(self, ma_ho_so: str) -> str | None:
        """The MaDonVi a stored dossier was pushed under, or None."""
        value = self._scalar("SELECT ma_don_vi FROM dossiers WHERE ma_ho_so = ?", ma_ho_so)
        return None if value is None else str(value)

    def list_dossiers(self, query: ListingQuery) -> ListingPage:
        """One page of the listing ordered by (NgayCapNhat, MaHoSo)."""
        where, params = self._listing_filter(query)
        total = int(self._scalar(f"SELECT COUNT(*) FROM dossiers d WHERE {where}", *params))
        if query.after is not None:
            where += " AND (d.ngay_cap_nhat, d.ma_ho_so) > (?, ?)"
            params.extend(query.after)
        rows = self._rows(
            "SELECT d.ma_ho_so, d.phien_ban, d.trang_thai, d.ngay_cap_nhat,"
            " (SELECT COUNT(*) FROM events e WHERE e.ma_ho_so = d.ma_ho_so)"
            f" FROM dossiers d WHERE {where} ORDER BY d.ngay_cap_nhat, d.ma_ho_so LIMIT ?",
            *params,
            query.limit + 1,
        )
        items = [_listing_item(row) for row in rows[: query.limit]]
        return ListingPage(total=total, items=items, has_more=len(rows) > query.limit)

    @staticmethod
    def _listing_filter(query: ListingQuery) -> tuple[str, list[object]]:
        clauses = ["d.ma_don_vi = ?"]
        params: list[object] = [query.ma_don_vi]
        if query.since is not None:
            clauses.append("d.ngay_cap_nhat >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("d.ngay_cap_nhat < ?")
            params.append(query.until)
        return " AND ".join(clauses), params

    # --- events -----------------------------------------------------------------------------

    def apply_event(self, event: Mapping[str, Any], now: datetime) -> EventOutcome:
        """Apply a validated event: ``missing`` when its dossier is not held."""
        ma_ho_so, stt = event["MaHoSo"], event["STT"]
        with self.atomic():
            if self._scalar("SELECT 1 FROM dossiers WHERE ma_ho_so = ?", ma_ho_so) is None:
                outcome: EventOutcome = "missing"
            elif self._scalar("SELECT 1 FROM events WHERE ma_ho_so = ? AND stt = ?", ma_ho_so, stt):
                outcome = "unchanged"
            else:
                self._execute("INSERT INTO events VALUES (?, ?, ?)", ma_ho_so, stt, _dumps(event))
                self._log("event_created", ma_ho_so, stt, "", now)
                outcome = "created"
            self.count("result", "event", "rejected" if outcome == "missing" else outcome)
            return outcome

    def events_of(self, ma_ho_so: str) -> list[dict[str, Any]]:
        """The events held for a dossier, in STT order."""
        rows = self._rows(
            "SELECT body FROM events WHERE ma_ho_so = ? ORDER BY CAST(stt AS INTEGER)", ma_ho_so
        )
        return [dict(json.loads(body)) for (body,) in rows]

    # --- idempotency ------------------------------------------------------------------------

    def find_reply(self, client_id: str, path: str, key: str) -> StoredReply | None:
        """The remembered reply to this client's key on this path, or None."""
        rows = self._rows(
            "SELECT body_hash, reply FROM replies"
            " WHERE client_id = ? AND path = ? AND idem_key = ?",
            client_id,
            path,
            key,
        )
        return StoredReply(body_hash=rows[0][0], reply=rows[0][1]) if rows else None

    def remember_reply(
        self, client_id: str, path: str, key: str, stored: StoredReply, now: datetime
    ) -> None:
        """Remember the first 200 reply to a key."""
        self._execute(
            "INSERT OR IGNORE INTO replies VALUES (?, ?, ?, ?, ?, ?)",
            client_id,
            path,
            key,
            stored.body_hash,
            stored.reply,
            now.isoformat(),
        )

    # --- tokens -----------------------------------------------------------------------------

    def save_token(self, token: str, client_id: str, issued_at: datetime) -> None:
        """Remember an issued access token."""
        self._execute(
            "INSERT INTO tokens VALUES (?, ?, ?)", token, client_id, issued_at.isoformat()
        )

    def find_token(self, token: str) -> TokenRecord | None:
        """The record of an issued token, or None when unknown or revoked."""
        rows = self._rows("SELECT client_id, issued_at FROM tokens WHERE token = ?", token)
        if not rows:
            return None
        return TokenRecord(client_id=rows[0][0], issued_at=datetime.fromisoformat(rows[0][1]))

    def revoke_token(self, token: str) -> None:
        """Forget a token: the next call with it gets ``invalid_token``."""
        self._execute("DELETE FROM tokens WHERE token = ?", token)

    # --- counters and the effect log --------------------------------------------------------

    def count(self, group: str, key: str, sub: str = "", by: int = 1) -> None:
        """Add to a counter: ``result``/``request``/``fault``/``replay`` groups."""
        self._execute(
            "INSERT INTO counters VALUES (?, ?, ?, ?) ON CONFLICT (grp, k1, k2)"
            " DO UPDATE SET value = value + excluded.value",
            group,
            key,
            sub,
            by,
        )

    def counter(self, group: str, key: str, sub: str = "") -> int:
        """The current value of one counter (0 when never counted)."""
        value = self._scalar(
            "SELECT value FROM counters WHERE grp = ? AND k1 = ? AND k2 = ?", group, key, sub
        )
        return int(value or 0)

    def _counter_group(self, group: str) -> dict[str, dict[str, int]]:
        nested: dict[str, dict[str, int]] = {}
        for k1, k2, value in self._rows("SELECT k1, k2, value FROM counters WHERE grp = ?", group):
            nested.setdefault(k1, {})[k2] = int(value)
        return nested

    def _log(self, kind: str, ma_ho_so: str, ref: str, ngay_cap_nhat: str, now: datetime) -> None:
        self._execute(
            "INSERT INTO effects (kind, ma_ho_so, ref, ngay_cap_nhat, at) VALUES (?, ?, ?, ?, ?)",
            kind,
            ma_ho_so,
            ref,
            ngay_cap_nhat,
            now.isoformat(),
        )

    def effects(self, ma_ho_so: str | None = None) -> list[Effect]:
        """The effect log in order of application, optionally for one dossier."""
        sql = "SELECT kind, ma_ho_so, ref, ngay_cap_nhat, at FROM effects"
        rows = (
            self._rows(sql + " ORDER BY seq")
            if ma_ho_so is None
            else self._rows(sql + " WHERE ma_ho_so = ? ORDER BY seq", ma_ho_so)
        )
        return [Effect(k, m, r, n, datetime.fromisoformat(a)) for k, m, r, n, a in rows]

    # --- the request log --------------------------------------------------------------------

    def log_request(self, record: RequestRecord) -> None:
        """Append one received request to the request log."""
        self._execute(
            "INSERT INTO requests (received_at, path, client_id, outcome, answered_at,"
            " retry_after_until) VALUES (?, ?, ?, ?, ?, ?)",
            _iso(record.received_at),
            record.path,
            record.client_id,
            record.outcome,
            _iso(record.answered_at),
            _iso(record.retry_after_until),
        )

    def requests_log(self) -> list[RequestRecord]:
        """Every request received on the API, in order of arrival at the log."""
        rows = self._rows(
            "SELECT received_at, path, client_id, outcome, answered_at, retry_after_until"
            " FROM requests ORDER BY seq"
        )
        return [
            RequestRecord(
                received_at=datetime.fromisoformat(received),
                path=path,
                client_id=client,
                outcome=outcome,
                answered_at=_from_iso(answered),
                retry_after_until=_from_iso(until),
            )
            for received, path, client, outcome, answered, until in rows
        ]

    def snapshot(self) -> dict[str, Any]:
        """Plain-dict view of what is held and every counter, for ``/_sim/stats`` and tests."""
        with self._lock:
            return {
                "dossiers": int(self._scalar("SELECT COUNT(*) FROM dossiers")),
                "events": int(self._scalar("SELECT COUNT(*) FROM events")),
                "effects": int(self._scalar("SELECT COUNT(*) FROM effects")),
                "logged_requests": int(self._scalar("SELECT COUNT(*) FROM requests")),
                "replays": self.counter("replay", "total"),
                "results": self._counter_group("result"),
                "requests": self._counter_group("request"),
                "faults": self._counter_group("fault"),
            }

    # --- test-only mutators: change the gateway behind the client's back ---------------------

    def delete_dossier(self, ma_ho_so: str) -> bool:
        """Drop a dossier and its events, as if the gateway lost them; not logged as an effect."""
        with self.atomic():
            self._execute("DELETE FROM events WHERE ma_ho_so = ?", ma_ho_so)
            return self._execute("DELETE FROM dossiers WHERE ma_ho_so = ?", ma_ho_so) > 0

    def put_raw_dossier(self, obj: Mapping[str, Any], ma_don_vi: str | None = None) -> None:
        """Store an object as-is, unvalidated; MaDonVi defaults to the MaHoSo prefix."""
        agency = ma_don_vi if ma_don_vi is not None else str(obj["MaHoSo"]).split("-", 1)[0]
        self._write_dossier(obj, agency)


def _listing_item(row: tuple[Any, ...]) -> dict[str, str]:
    ma_ho_so, phien_ban, trang_thai, ngay_cap_nhat, events = row
    return {
        "MaHoSo": ma_ho_so,
        "PhienBan": phien_ban,
        "TrangThaiHoSo": trang_thai,
        "NgayCapNhat": ngay_cap_nhat,
        "SoTienTrinh": str(events),
    }
