"""An in-memory gateway for unit tests: the contract's outcomes, idempotency, failures on demand.

It applies pushes as ``lgsp-rest`` does (upstream-contract.md sections 2-5) and records every
applied effect in ``effects``, so a test can prove that nothing was applied twice.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from igate_sync.errors import UpstreamProtocolError
from igate_sync.schemas.wire import phien_ban
from igate_sync.upstream.base import (
    NOT_THERE_YET,
    FieldError,
    ItemResult,
    ListedDossier,
    Outcome,
    PushKind,
    PushRequest,
)
from igate_sync.upstream.lgsp_rest import push_body, wire_time

Effect = tuple[str, str, str, str]
"""``(kind, outcome, MaHoSo, PhienBan or STT)``, e.g. ``("dossier", "created", ma, v)``."""


class FakeGateway:
    """The gateway port in memory, for pipeline unit tests."""

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.effects: list[Effect] = []
        self.requests: list[PushRequest] = []
        self.closed = False
        self._replies: dict[tuple[PushKind, str], tuple[bytes, list[ItemResult]]] = {}
        self._failures: deque[tuple[Exception, bool]] = deque()
        self._rejections: dict[str, FieldError] = {}
        self._poisons: dict[str, Exception] = {}

    def fail_next(self, n: int, error: Exception, *, apply_then_fail: bool = False) -> None:
        """Make the next ``n`` pushes raise ``error``, after applying them if asked."""
        self._failures.extend((error, apply_then_fail) for _ in range(n))

    def heal(self) -> None:
        """Forget the failures still planned, and every poison: the gateway is back."""
        self._failures.clear()
        self._poisons.clear()

    def poison(self, ma_ho_so: str, error: Exception) -> None:
        """Make every push containing this dossier or its events raise ``error``, unapplied."""
        self._poisons[ma_ho_so] = error

    def reject(self, ma_ho_so: str, field: str, message: str) -> None:
        """Make every push of this dossier come back ``rejected`` with this field error."""
        self._rejections[ma_ho_so] = FieldError(field, message)

    def push(self, request: PushRequest) -> list[ItemResult]:
        """Apply one batch (or replay it for a known key); fail first if told to."""
        self.requests.append(request)
        for text in request.items:
            poison = self._poisons.get(str(_parse_item(text).get("MaHoSo", "")))
            if poison is not None:
                raise poison
        error, apply_first = self._failures.popleft() if self._failures else (None, False)
        if error is not None and not apply_first:
            raise error
        results = self._apply(request)
        if error is not None:
            raise error
        return results

    def get_dossier(self, ma_ho_so: str) -> dict[str, Any] | None:
        """A copy of the stored dossier, or None."""
        stored = self.dossiers.get(ma_ho_so)
        return copy.deepcopy(stored) if stored is not None else None

    def list_dossiers(
        self, ma_don_vi: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ListedDossier]:
        """Stored dossiers of this agency, in (NgayCapNhat, MaHoSo) order, filtered by time."""
        low = wire_time(since) if since is not None else ""
        high = wire_time(until) if until is not None else "99999999999999"
        rows = [d for d in self.dossiers.values() if _agency(d["MaHoSo"]) == ma_don_vi]
        rows = [d for d in rows if low <= d["NgayCapNhat"] < high]
        for row in sorted(rows, key=lambda d: (d["NgayCapNhat"], d["MaHoSo"])):
            yield self._listed(row)

    def close(self) -> None:
        """Mark the fake closed."""
        self.closed = True

    def _apply(self, request: PushRequest) -> list[ItemResult]:
        if not request.items:
            return []
        if not 8 <= len(request.idempotency_key) <= 128:
            raise UpstreamProtocolError("Idempotency-Key must have 8 to 128 characters")
        body = push_body(request)
        key = (request.kind, request.idempotency_key)
        if key in self._replies:
            return self._replay(key, body)
        items = [_parse_item(text) for text in request.items]
        results = [self._apply_item(request.kind, request.ma_don_vi, item) for item in items]
        self._replies[key] = (body, results)
        return list(results)

    def _replay(self, key: tuple[PushKind, str], body: bytes) -> list[ItemResult]:
        first_body, results = self._replies[key]
        if first_body != body:
            raise UpstreamProtocolError("gateway rejected the request (422 IDEMPOTENCY_KEY_REUSED)")
        return list(results)

    def _apply_item(self, kind: PushKind, ma_don_vi: str, item: dict[str, Any]) -> ItemResult:
        if kind == "events":
            return self._apply_event(item)
        return self._apply_dossier(ma_don_vi, item)

    def _apply_dossier(self, ma_don_vi: str, item: dict[str, Any]) -> ItemResult:
        ma, version = str(item.get("MaHoSo", "")), str(item.get("PhienBan", ""))
        problem = self._dossier_problem(ma_don_vi, item)
        if problem is not None:
            return ItemResult(ma, "rejected", version, errors=(problem,))
        outcome = _dossier_outcome(self.dossiers.get(ma), item)
        if outcome in ("created", "updated"):
            self.dossiers[ma] = copy.deepcopy(item)
            self.effects.append(("dossier", outcome, ma, version))
        return ItemResult(ma, outcome, version)

    def _dossier_problem(self, ma_don_vi: str, item: Mapping[str, Any]) -> FieldError | None:
        ma = str(item.get("MaHoSo", ""))
        if ma in self._rejections:
            return self._rejections[ma]
        for name in ("MaHoSo", "NgayCapNhat", "PhienBan"):
            if not item.get(name):
                return FieldError(name, "BAT_BUOC")
        if self.strict and _agency(ma) != ma_don_vi:
            return FieldError("MaHoSo", "KHONG_THUOC_DON_VI")
        if self.strict and phien_ban(dict(item)) != item["PhienBan"]:
            return FieldError("PhienBan", "KHONG_KHOP")
        return None

    def _apply_event(self, item: dict[str, Any]) -> ItemResult:
        ma, stt = str(item.get("MaHoSo", "")), str(item.get("STT", ""))
        if ma not in self.dossiers:
            missing = FieldError("MaHoSo", NOT_THERE_YET)
            return ItemResult(ma, "rejected", stt=stt, errors=(missing,))
        if (ma, stt) in self.events:
            return ItemResult(ma, "unchanged", stt=stt)
        self.events[(ma, stt)] = copy.deepcopy(item)
        self.effects.append(("event", "created", ma, stt))
        return ItemResult(ma, "created", stt=stt)

    def _listed(self, row: Mapping[str, Any]) -> ListedDossier:
        ma = row["MaHoSo"]
        return ListedDossier(
            ma_ho_so=ma,
            phien_ban=str(row["PhienBan"]),
            trang_thai=str(row.get("TrangThaiHoSo", "")),
            ngay_cap_nhat=str(row["NgayCapNhat"]),
            so_tien_trinh=sum(1 for m, _ in self.events if m == ma),
        )


def _dossier_outcome(stored: Mapping[str, Any] | None, item: Mapping[str, Any]) -> Outcome:
    if stored is None:
        return "created"
    if stored["PhienBan"] == item["PhienBan"]:
        return "unchanged"
    if item["NgayCapNhat"] < stored["NgayCapNhat"]:
        return "stale"
    return "updated"


def _parse_item(text: str) -> dict[str, Any]:
    try:
        item = json.loads(text)
    except ValueError as exc:
        raise UpstreamProtocolError("gateway rejected the request (400)") from exc
    if not isinstance(item, dict):
        raise UpstreamProtocolError("gateway rejected the request (400)")
    return item


def _agency(ma_ho_so: str) -> str:
    return ma_ho_so.split("-", 1)[0]


__all__ = ["Effect", "FakeGateway"]
