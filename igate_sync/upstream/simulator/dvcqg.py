"""The ``dvcqg-adapter`` profile of the simulated gateway (upstream-contract.md section 7).

``POST /login`` and ``POST /integration`` share the lgsp-rest profile's store, field rules,
fault injection (on ``/integration``, never on ``/login``) and clients: the username is a
client id, the password its secret. A session is kept in the store's token table and
expires like a bearer token (``token_ttl_s``, shortened by the plan's ``token_expiry_s``).
There are no idempotency keys in this profile. The fault kinds act on ``/integration`` as on
the lgsp-rest paths; ``invalid_token`` answers HTTP 401 there without revoking the session
(the fault middleware knows bearer tokens only), which a client treats like ``-1``.

Every answer of the adapter itself is HTTP 200 ``{"error_code", "message", "result"}``; only
injected faults have other statuses. The contract names codes ``0``, ``-1`` and ``3``; the
others are this simulator's choice:

- ``"0"``: done; ``result`` as below. Login answers ``{"error_code": 0, "session"}``.
- ``"-1"``: the session is missing, unknown or expired (the message says "session").
- ``"-2"``: login refused (unknown username or wrong password).
- ``"1"``: malformed request: not a JSON object, no ``dstcode`` header, a missing field,
  an unknown service, ``isUpdating`` not ``"True"``/``"False"``, ``data`` empty or not a list.
- ``"2"``: ``madonvi`` is not allowed for this user.
- ``"3"``: a create (``isUpdating: "False"``) met MaHoSo that the gateway holds already; the
  message contains "đã tồn tại". The other items of that call were processed.
- ``"4"``: too many items: more than ``max_dossiers_per_batch`` dossiers, or more than
  ``EVENTS_PER_CALL`` (10) events per call. Nothing was processed.

``result`` per service:

- ``TraCuuHoSo``: ``[dossier]`` exactly as stored (with PhienBan and NgayCapNhat) when the
  gateway holds MaHoSo under ``madonvi``, else ``[]``.
- ``DongBoHoSoMC`` and ``CapNhatTienDoHoSoMC``: one entry per item, in request order, as in
  lgsp-rest: ``{"MaHoSo", "PhienBan", "KetQua", "Loi"}`` for dossiers, ``{"MaHoSo", "STT",
  "KetQua", "Loi"}`` for events. An invalid item is ``rejected`` with its field errors in
  ``Loi`` (rules.py codes) and changes nothing; the call goes on with the next item.
  A create of a held MaHoSo is ``rejected`` with ``Loi [{"Truong": "MaHoSo", "MoTa":
  "DA_TON_TAI"}]`` and nothing changes; an update of a MaHoSo not held is ``rejected`` with
  ``KHONG_TON_TAI``. An update follows lgsp-rest's version rules: ``unchanged`` for the held
  PhienBan, ``stale`` for an older NgayCapNhat, else ``updated``. Events: ``created``,
  ``unchanged`` (same MaHoSo and STT), or ``rejected`` with ``KHONG_TON_TAI``.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from igate_sync.upstream.simulator import paths
from igate_sync.upstream.simulator.push import apply_event
from igate_sync.upstream.simulator.replies import json_reply
from igate_sync.upstream.simulator.rules import validate_dossier
from igate_sync.upstream.simulator.settings import Runtime
from igate_sync.upstream.simulator.store import SimulatorStore

EVENTS_PER_CALL: Final = 10
SERVICES: Final = ("TraCuuHoSo", "DongBoHoSoMC", "CapNhatTienDoHoSoMC")
EXISTS: Final = "DA_TON_TAI"
NOT_THERE: Final = "KHONG_TON_TAI"
SESSION_REFUSED: Final = "Phiên làm việc (session) không hợp lệ hoặc đã hết hạn"
COUNTER_GROUP: Final = "dvcqg"
"""Counters ``("dvcqg", service or "login", error_code)``, for tests that count calls."""

Entry = dict[str, Any]


class AdapterError(Exception):
    """A call refused as a whole: its error code and message (HTTP 200, like the adapter)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def adapter_reply(code: str | int, message: str, result: object) -> Response:
    """The adapter's reply envelope."""
    return json_reply(200, {"error_code": code, "message": message, "result": result})


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise AdapterError("1", "Yêu cầu không phải JSON UTF-8") from exc
    if not isinstance(data, dict):
        raise AdapterError("1", "Yêu cầu phải là một đối tượng JSON")
    return data


def _text_field(data: Mapping[str, Any], name: str, code: str = "1") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise AdapterError(code, f"Thiếu trường {name}")
    return value


def _items(data: Mapping[str, Any], limit: int) -> list[object]:
    items = data.get("data")
    if not isinstance(items, list) or not items:
        raise AdapterError("1", "data phải là danh sách không rỗng")
    if len(items) > limit:
        raise AdapterError("4", f"Tối đa {limit} mục mỗi lần gọi")
    return items


def _require_dstcode(request: Request) -> None:
    if not request.headers.get("dstcode", "").strip():
        raise AdapterError("1", "Thiếu header dstcode")


def _text(item: object, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def _entry(item: object, outcome: str, errors: list[dict[str, str]]) -> Entry:
    return {
        "MaHoSo": _text(item, "MaHoSo"),
        "PhienBan": _text(item, "PhienBan"),
        "KetQua": outcome,
        "Loi": errors,
    }


def _refused(item: object, store: SimulatorStore, code: str) -> Entry:
    store.count("result", "dossier", "rejected")
    return _entry(item, "rejected", [{"Truong": "MaHoSo", "MoTa": code}])


def create_dossier(store: SimulatorStore, item: object, ma_don_vi: str, now: datetime) -> Entry:
    """Validate and create one dossier; a held MaHoSo is refused with DA_TON_TAI."""
    errors = validate_dossier(item, ma_don_vi)
    if errors or not isinstance(item, dict):
        store.count("result", "dossier", "rejected")
        return _entry(item, "rejected", errors)
    if store.dossier_agency(item["MaHoSo"]) is not None:
        return _entry(item, "rejected", [{"Truong": "MaHoSo", "MoTa": EXISTS}])
    return _entry(item, store.apply_dossier(item, ma_don_vi, now), [])


def update_dossier(store: SimulatorStore, item: object, ma_don_vi: str, now: datetime) -> Entry:
    """Validate and update one held dossier by the version rules; KHONG_TON_TAI when not held."""
    errors = validate_dossier(item, ma_don_vi)
    if errors or not isinstance(item, dict):
        store.count("result", "dossier", "rejected")
        return _entry(item, "rejected", errors)
    if store.dossier_agency(item["MaHoSo"]) is None:
        return _refused(item, store, NOT_THERE)
    return _entry(item, store.apply_dossier(item, ma_don_vi, now), [])


ItemApplier = Callable[[SimulatorStore, object, str, datetime], Entry]


def _exists(entry: Entry) -> bool:
    loi = entry["Loi"]
    return entry["KetQua"] == "rejected" and bool(loi) and loi[0]["MoTa"] == EXISTS


class DvcqgEndpoints:
    """``POST /login`` and ``POST /integration`` over the shared runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def login(self, request: Request) -> Response:
        """Check ``username``/``password`` (and the ``dstcode`` header); issue a session."""
        try:
            _require_dstcode(request)
            data = _json_object(await request.body())
            client_id = self._known_user(data)
        except AdapterError as exc:
            self._count("login", exc.code)
            return adapter_reply(exc.code, exc.message, [])
        session = secrets.token_urlsafe(32)
        self._runtime.store.save_token(session, client_id, self._runtime.now())
        self._count("login", "0")
        return json_reply(200, {"error_code": 0, "session": session})

    async def integration(self, request: Request) -> Response:
        """One service call in the ``{"session", "madonvi", "service", ...}`` envelope."""
        service = "unknown"
        try:
            data = _json_object(await request.body())
            service = self._service_name(data)
            _require_dstcode(request)
            client_id = self._session_client(data)
            ma_don_vi = self._allowed_agency(data, client_id)
            code, message, result = self._dispatch(service, data, ma_don_vi)
        except AdapterError as exc:
            self._count(service, exc.code)
            return adapter_reply(exc.code, exc.message, [])
        self._count(service, code)
        return adapter_reply(code, message, result)

    def _count(self, key: str, code: str) -> None:
        self._runtime.store.count(COUNTER_GROUP, key, code)

    def _known_user(self, data: Mapping[str, Any]) -> str:
        username, password = data.get("username"), data.get("password")
        spec = self._runtime.settings.clients.get(username) if isinstance(username, str) else None
        if spec is None or not isinstance(password, str):
            raise AdapterError("-2", "Sai tên đăng nhập hoặc mật khẩu")
        if not hmac.compare_digest(password.encode(), spec.secret.encode()):
            raise AdapterError("-2", "Sai tên đăng nhập hoặc mật khẩu")
        return str(username)

    @staticmethod
    def _service_name(data: Mapping[str, Any]) -> str:
        service = data.get("service")
        return service if isinstance(service, str) and service in SERVICES else "unknown"

    def _session_client(self, data: Mapping[str, Any]) -> str:
        session = data.get("session")
        record = self._runtime.store.find_token(session) if isinstance(session, str) else None
        if record is None or record.client_id not in self._runtime.settings.clients:
            raise AdapterError("-1", SESSION_REFUSED)
        if self._runtime.now() >= record.issued_at + self._runtime.token_lifetime():
            raise AdapterError("-1", SESSION_REFUSED)
        return record.client_id

    def _allowed_agency(self, data: Mapping[str, Any], client_id: str) -> str:
        ma_don_vi = _text_field(data, "madonvi")
        if ma_don_vi not in self._runtime.agencies_of(client_id):
            raise AdapterError("2", "Mã đơn vị không được phép với tài khoản này")
        return ma_don_vi

    def _dispatch(
        self, service: str, data: Mapping[str, Any], ma_don_vi: str
    ) -> tuple[str, str, list[Any]]:
        if service == "TraCuuHoSo":
            return "0", "OK", self._look_up(_text_field(data, "MaHoSo"), ma_don_vi)
        if service == "DongBoHoSoMC":
            return self._sync_dossiers(data, ma_don_vi)
        if service == "CapNhatTienDoHoSoMC":
            items = _items(data, EVENTS_PER_CALL)
            return "0", "OK", self._apply_all(apply_event, items, ma_don_vi)
        raise AdapterError("1", "Dịch vụ không xác định")

    def _look_up(self, ma_ho_so: str, ma_don_vi: str) -> list[Any]:
        store = self._runtime.store
        if store.dossier_agency(ma_ho_so) != ma_don_vi:
            return []
        dossier = store.get_dossier(ma_ho_so)
        return [] if dossier is None else [dossier]

    def _sync_dossiers(self, data: Mapping[str, Any], ma_don_vi: str) -> tuple[str, str, list[Any]]:
        updating = data.get("isUpdating")
        if updating not in ("True", "False"):
            raise AdapterError("1", 'isUpdating phải là "True" hoặc "False"')
        items = _items(data, self._runtime.settings.max_dossiers_per_batch)
        apply = update_dossier if updating == "True" else create_dossier
        entries = self._apply_all(apply, items, ma_don_vi)
        held = sum(1 for entry in entries if _exists(entry))
        if held:
            return "3", f'{held} hồ sơ đã tồn tại: gửi lại với isUpdating "True"', entries
        return "0", "OK", entries

    def _apply_all(self, apply: ItemApplier, items: list[object], ma_don_vi: str) -> list[Any]:
        store = self._runtime.store
        now = self._runtime.now()
        with store.atomic():
            return [apply(store, item, ma_don_vi, now) for item in items]


def routes(runtime: Runtime) -> list[Route]:
    """The profile's routes, for the simulator app."""
    endpoints = DvcqgEndpoints(runtime)
    return [
        Route(paths.LOGIN, endpoints.login, methods=["POST"]),
        Route(paths.INTEGRATION, endpoints.integration, methods=["POST"]),
    ]


__all__ = [
    "EVENTS_PER_CALL",
    "EXISTS",
    "AdapterError",
    "DvcqgEndpoints",
    "create_dossier",
    "routes",
    "update_dossier",
]
