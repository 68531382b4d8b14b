"""The push endpoints: ``POST /api/v1/hoso/dongbo`` (dossiers) and ``/tiendo`` (events).

Order of checks: bearer token (401), Idempotency-Key (400), a remembered key (replay or
422), the envelope (400), the agency (403), the batch size (413), then each item in request
order. Only 200 replies are remembered, in the same transaction as their effects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from igate_sync.upstream.simulator import paths
from igate_sync.upstream.simulator.auth import TokenEndpoint
from igate_sync.upstream.simulator.replies import (
    RequestError,
    dumps,
    error_reply,
    invalid_token_reply,
    raw_json_reply,
)
from igate_sync.upstream.simulator.rules import validate_dossier, validate_event
from igate_sync.upstream.simulator.settings import Runtime
from igate_sync.upstream.simulator.store import SimulatorStore, StoredReply

ItemResult = dict[str, Any]
MIN_KEY, MAX_KEY = 8, 128


@dataclass(frozen=True)
class Envelope:
    """A well-formed push body."""

    ma_don_vi: str
    items: list[object]


def parse_envelope(raw: bytes) -> Envelope:
    """The ``{"MaDonVi", "DanhSach"}`` envelope; raises RequestError (400) when malformed."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise RequestError(400, "INVALID_JSON", "the body is not UTF-8 JSON") from exc
    if not isinstance(data, dict):
        raise RequestError(400, "INVALID_ENVELOPE", "the body must be a JSON object")
    ma_don_vi, items = data.get("MaDonVi"), data.get("DanhSach")
    if not isinstance(ma_don_vi, str) or not ma_don_vi:
        raise RequestError(400, "INVALID_ENVELOPE", "MaDonVi is missing or not a string")
    if not isinstance(items, list) or not items:
        raise RequestError(400, "INVALID_ENVELOPE", "DanhSach is missing, empty or not a list")
    return Envelope(ma_don_vi=ma_don_vi, items=items)


def _text(item: object, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def apply_dossier(store: SimulatorStore, item: object, ma_don_vi: str, now: datetime) -> ItemResult:
    """Validate and apply one dossier; its per-item result."""
    errors = validate_dossier(item, ma_don_vi)
    if errors or not isinstance(item, dict):
        store.count("result", "dossier", "rejected")
        outcome = "rejected"
    else:
        outcome = store.apply_dossier(item, ma_don_vi, now)
    return {
        "MaHoSo": _text(item, "MaHoSo"),
        "PhienBan": _text(item, "PhienBan"),
        "KetQua": outcome,
        "Loi": errors,
    }


def apply_event(store: SimulatorStore, item: object, ma_don_vi: str, now: datetime) -> ItemResult:
    """Validate and apply one progress event; its per-item result."""
    errors = validate_event(item, ma_don_vi)
    if errors or not isinstance(item, dict):
        store.count("result", "event", "rejected")
        outcome = "rejected"
    else:
        outcome = store.apply_event(item, now)
    if outcome == "missing":
        outcome, errors = "rejected", [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}]
    return {
        "MaHoSo": _text(item, "MaHoSo"),
        "STT": _text(item, "STT"),
        "KetQua": outcome,
        "Loi": errors,
    }


ItemApplier = Callable[[SimulatorStore, object, str, datetime], ItemResult]


class PushEndpoint:
    """One push path: dossiers or events."""

    def __init__(
        self, runtime: Runtime, tokens: TokenEndpoint, path: str, limit: int, apply: ItemApplier
    ) -> None:
        self._runtime, self._tokens = runtime, tokens
        self._path, self._limit, self._apply = path, limit, apply

    async def handle(self, request: Request) -> Response:
        """Handle one push request."""
        client_id = self._tokens.client_of(request)
        if client_id is None:
            return invalid_token_reply()
        key = request.headers.get("idempotency-key", "")
        if not MIN_KEY <= len(key) <= MAX_KEY:
            return error_reply(400, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key: 8-128 characters")
        raw = await request.body()
        try:
            return self._process(client_id, key, raw)
        except RequestError as exc:
            return exc.reply()

    def _process(self, client_id: str, key: str, raw: bytes) -> Response:
        store = self._runtime.store
        body_hash = hashlib.sha256(raw).hexdigest()
        with store.atomic():
            remembered = store.find_reply(client_id, self._path, key)
            if remembered is not None:
                return self._replay(remembered, body_hash)
            envelope = self._checked_envelope(client_id, raw)
            reply = dumps(self._apply_all(envelope))
            stored = StoredReply(body_hash=body_hash, reply=reply)
            store.remember_reply(client_id, self._path, key, stored, self._runtime.now())
        return raw_json_reply(200, reply)

    def _replay(self, remembered: StoredReply, body_hash: str) -> Response:
        if remembered.body_hash != body_hash:
            return error_reply(422, "IDEMPOTENCY_KEY_REUSED", "key already used with another body")
        self._runtime.store.count("replay", "total")
        self._runtime.store.count("replay", self._path)
        return raw_json_reply(200, remembered.reply, {"Idempotent-Replayed": "true"})

    def _checked_envelope(self, client_id: str, raw: bytes) -> Envelope:
        envelope = parse_envelope(raw)
        if envelope.ma_don_vi not in self._runtime.agencies_of(client_id):
            raise RequestError(403, "AGENCY_NOT_ALLOWED", "MaDonVi not allowed for this client")
        if len(envelope.items) > self._limit:
            raise RequestError(413, "TOO_MANY_ITEMS", f"at most {self._limit} items per batch")
        return envelope

    def _apply_all(self, envelope: Envelope) -> dict[str, Any]:
        now = self._runtime.now()
        results = [
            self._apply(self._runtime.store, item, envelope.ma_don_vi, now)
            for item in envelope.items
        ]
        return {"error_code": "0", "message": "OK", "KetQua": results}


def dossier_push(runtime: Runtime, tokens: TokenEndpoint) -> PushEndpoint:
    """``POST /api/v1/hoso/dongbo``."""
    limit = runtime.settings.max_dossiers_per_batch
    return PushEndpoint(runtime, tokens, paths.PUSH_DOSSIERS, limit, apply_dossier)


def event_push(runtime: Runtime, tokens: TokenEndpoint) -> PushEndpoint:
    """``POST /api/v1/hoso/tiendo``."""
    limit = runtime.settings.max_events_per_batch
    return PushEndpoint(runtime, tokens, paths.PUSH_EVENTS, limit, apply_event)
