"""The ``lgsp-rest`` gateway profile (upstream-contract.md section 4) over httpx.

Every httpx error is translated here into the project's exception tree; statuses go through
``status_table.classify``; every call (pushes, reads, the token fetch inside them) runs in
the single ``RetryRunner``. Request and response bodies are never logged: they hold personal
data.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, Final, get_args
from urllib.parse import quote

import httpx
import structlog

from igate_sync.errors import (
    BatchTooLarge,
    IgateSyncError,
    UpstreamAuthError,
    UpstreamForbidden,
    UpstreamProtocolError,
    UpstreamUnavailable,
)
from igate_sync.upstream.base import (
    FieldError,
    ItemResult,
    ListedDossier,
    Outcome,
    PushKind,
    PushRequest,
)
from igate_sync.upstream.http import check_base_url, json_object, json_or_none
from igate_sync.upstream.retry import (
    DEFAULT_POLICY,
    RetryPolicy,
    RetryRunner,
    parse_retry_after,
    utc_now,
)
from igate_sync.upstream.status_table import Action, classify

VN_TZ: Final = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
OAUTH_PATH: Final = "/token"
PUSH_PATHS: Final[Mapping[PushKind, str]] = {
    "dossiers": "/api/v1/hoso/dongbo",
    "events": "/api/v1/hoso/tiendo",
}
DOSSIER_PATH: Final = "/api/v1/hoso"
PAGE_SIZE: Final = 1000
TOKEN_MARGIN_S: Final = 30.0
DEFAULT_EXPIRES_S: Final = 60
CLIENT_REFUSALS: Final = frozenset({"invalid_client", "unauthorized_client", "invalid_grant"})
OUTCOMES: Final[frozenset[str]] = frozenset(get_args(Outcome))
_OK_ONLY: Final = frozenset({Action.OK})
_OK_OR_MISSING: Final = frozenset({Action.OK, Action.NOT_FOUND})


def wire_time(moment: datetime) -> str:
    """A timezone-aware moment as a wire time (``yyyyMMddHHmmss``, Asia/Ho_Chi_Minh)."""
    if moment.tzinfo is None:
        raise ValueError("wire_time needs a timezone-aware datetime")
    return moment.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


def push_body(request: PushRequest) -> bytes:
    """The request envelope, with the items spliced in as they are (never re-encoded)."""
    head = '{"MaDonVi":' + json.dumps(request.ma_don_vi, ensure_ascii=False)
    return (head + ',"DanhSach":[' + ",".join(request.items) + "]}").encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    renew_at: datetime


class LgspRestClient:
    """Gateway client for the ``lgsp-rest`` profile (OAuth2, JSON batches, idempotency keys)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_s: float = 10.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
        on_deadline: Callable[[datetime], None] | None = None,
    ) -> None:
        check_base_url(base_url)
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._runner = RetryRunner(
            policy, clock=clock, sleep=sleep, rng=rng, on_deadline=on_deadline
        )
        self._http = httpx.Client(
            base_url=base_url, timeout=httpx.Timeout(timeout_s), transport=transport
        )
        self._token: _Token | None = None
        self._not_before: datetime | None = None
        self.request_count = 0

    def push(self, request: PushRequest) -> list[ItemResult]:
        """Send one batch; one result per item, in request order."""
        if not request.items:
            return []
        _check_key(request.idempotency_key)
        body = push_body(request)
        headers = {"Idempotency-Key": request.idempotency_key, "Content-Type": "application/json"}
        path = PUSH_PATHS[request.kind]
        response = self._runner.call(
            lambda: self._exchange("POST", path, _OK_ONLY, content=body, headers=headers)
        )
        return parse_push_reply(json_object(response), request)

    def get_dossier(self, ma_ho_so: str) -> dict[str, Any] | None:
        """The stored dossier, or None when the gateway does not hold it (404)."""
        path = f"{DOSSIER_PATH}/{quote(ma_ho_so, safe='')}"
        response = self._runner.call(lambda: self._exchange("GET", path, _OK_OR_MISSING))
        if classify(response.status_code) is Action.NOT_FOUND:
            return None
        return json_object(response)

    def list_dossiers(
        self, ma_don_vi: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ListedDossier]:
        """The gateway's view, fetched and yielded one page at a time."""
        params = listing_params(ma_don_vi, since, until)
        page_token = ""
        while True:
            payload = self._read_page(params, page_token)
            yield from parse_listing_page(payload)
            page_token = _next_page(payload, page_token)
            if not page_token:
                return

    @property
    def retry_count(self) -> int:
        """Retries since start (metrics)."""
        return self._runner.retries

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    def __enter__(self) -> LgspRestClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read_page(self, params: Mapping[str, str], page_token: str) -> dict[str, Any]:
        query = {**params, "TrangTiep": page_token} if page_token else dict(params)
        response = self._runner.call(
            lambda: self._exchange("GET", DOSSIER_PATH, _OK_ONLY, params=query)
        )
        return json_object(response)

    def _exchange(
        self,
        method: str,
        path: str,
        accept: frozenset[Action],
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One attempt, renewing a refused token once (the renewal is not a retry)."""

        def send() -> httpx.Response:
            auth = {**(headers or {}), "Authorization": f"Bearer {self._bearer()}"}
            return self._send(method, path, content=content, headers=auth, params=params)

        self._hold_off()
        response = send()
        if _action(response) is Action.RENEW_TOKEN:
            structlog.get_logger().info("upstream.token_refused", path=path)
            self._token = None
            response = send()
        action = _action(response)
        if action not in accept:
            raise self._error_for(action, response)
        return response

    def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one HTTP request; httpx errors become ``UpstreamUnavailable`` here."""
        request = self._http.build_request(
            method, path, content=content, headers=headers, params=params, data=data
        )
        self.request_count += 1
        try:
            return self._http.send(request)
        except httpx.RequestError as exc:
            raise UpstreamUnavailable(f"{type(exc).__name__} on {method} {path}") from exc

    def _hold_off(self) -> None:
        """Refuse to send before a Retry-After deadline this client was given has passed."""
        if self._not_before is not None and self._clock() < self._not_before:
            raise UpstreamUnavailable("Retry-After not passed yet", not_before=self._not_before)

    def _bearer(self) -> str:
        now = self._clock()
        if self._token is None or now >= self._token.renew_at:
            self._token = self._fetch_token(now)
        return self._token.value

    def _fetch_token(self, now: datetime) -> _Token:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = self._send("POST", OAUTH_PATH, data=form)
        action = _action(response)
        if action in (Action.RENEW_TOKEN, Action.CONFIG) or _refuses_client(response):
            raise UpstreamAuthError(f"token endpoint refused the client ({response.status_code})")
        if action is not Action.OK:
            raise self._error_for(action, response)
        return _parse_token(json_object(response), now)

    def _error_for(self, action: Action, response: httpx.Response) -> IgateSyncError:
        """The exception for a reply the caller cannot use."""
        status = response.status_code
        code = _error_code(response)
        if action in (Action.RETRY, Action.WAIT, Action.RENEW_TOKEN):
            not_before = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if not_before is not None:
                self._not_before = max(not_before, self._not_before or not_before)
            return UpstreamUnavailable(f"gateway answered {status}{code}", not_before=not_before)
        if action is Action.SPLIT:
            return BatchTooLarge(f"gateway refused the batch size ({status})")
        if action is Action.CONFIG and status == 401:
            return UpstreamAuthError(f"gateway refused the client credentials ({status}{code})")
        if action is Action.CONFIG:
            return UpstreamForbidden(f"gateway refused the agency code ({status}{code})")
        return UpstreamProtocolError(f"gateway rejected the request ({status}{code})")


def listing_params(
    ma_don_vi: str, since: datetime | None, until: datetime | None
) -> dict[str, str]:
    """Query parameters of the listing, without the page token."""
    params = {"MaDonVi": ma_don_vi, "SoLuong": str(PAGE_SIZE)}
    if since is not None:
        params["CapNhatTu"] = wire_time(since)
    if until is not None:
        params["CapNhatDen"] = wire_time(until)
    return params


def _parse_token(payload: Mapping[str, Any], now: datetime) -> _Token:
    """The cached token from a token reply, renewed shortly before it expires."""
    value = payload.get("access_token")
    if not isinstance(value, str) or not value:
        raise UpstreamProtocolError("token reply without access_token")
    try:
        expires_s = float(payload.get("expires_in", DEFAULT_EXPIRES_S))
    except (TypeError, ValueError) as exc:
        raise UpstreamProtocolError("token reply with a bad expires_in") from exc
    margin = min(TOKEN_MARGIN_S, expires_s / 10)
    return _Token(value, now + timedelta(seconds=expires_s - margin))


def parse_push_reply(payload: Mapping[str, Any], request: PushRequest) -> list[ItemResult]:
    """Per-item results of a 200 push reply, checked against the request."""
    if str(payload.get("error_code")) != "0":
        raise UpstreamProtocolError(f"push reply with error_code {payload.get('error_code')!r}")
    entries = payload.get("KetQua")
    if not isinstance(entries, list) or len(entries) != len(request.items):
        raise UpstreamProtocolError("push reply does not have one KetQua entry per item")
    if len(request.refs) == len(request.items):
        field = "PhienBan" if request.kind == "dossiers" else "STT"
        sent: Iterable[Mapping[str, Any]] = (
            {"MaHoSo": ma_ho_so, field: value} for ma_ho_so, value in request.refs
        )
    else:
        sent = (_sent_item(text) for text in request.items)
    return [
        _item_result(entry, item, request.kind) for entry, item in zip(entries, sent, strict=True)
    ]


def parse_listing_page(payload: Mapping[str, Any]) -> list[ListedDossier]:
    """The rows of one listing page."""
    rows = payload.get("DanhSach")
    if not isinstance(rows, list):
        raise UpstreamProtocolError("listing page without DanhSach")
    return [_listed(row) for row in rows]


def _listed(row: object) -> ListedDossier:
    if not isinstance(row, dict) or not isinstance(row.get("MaHoSo"), str):
        raise UpstreamProtocolError("listing row without MaHoSo")
    try:
        count = int(row.get("SoTienTrinh", 0))
    except (TypeError, ValueError) as exc:
        raise UpstreamProtocolError("listing row with a bad SoTienTrinh") from exc
    return ListedDossier(
        ma_ho_so=row["MaHoSo"],
        phien_ban=str(row.get("PhienBan", "")),
        trang_thai=str(row.get("TrangThaiHoSo", "")),
        ngay_cap_nhat=str(row.get("NgayCapNhat", "")),
        so_tien_trinh=count,
    )


def _next_page(payload: Mapping[str, Any], current: str) -> str:
    token = payload.get("TrangTiep", "")
    if not isinstance(token, str):
        raise UpstreamProtocolError("listing page with a bad TrangTiep")
    if token and token == current:
        raise UpstreamProtocolError("listing returned the same page token twice")
    return token


def _sent_item(text: str) -> Mapping[str, Any]:
    try:
        item = json.loads(text)
    except ValueError as exc:
        raise UpstreamProtocolError("a request item is not JSON") from exc
    if not isinstance(item, dict):
        raise UpstreamProtocolError("a request item is not a JSON object")
    return item


def _item_result(entry: object, sent: Mapping[str, Any], kind: PushKind) -> ItemResult:
    if not isinstance(entry, dict):
        raise UpstreamProtocolError("KetQua entry is not an object")
    ma_ho_so = str(sent.get("MaHoSo", ""))
    if str(entry.get("MaHoSo", ma_ho_so)) != ma_ho_so:
        raise UpstreamProtocolError("KetQua entries are not in request order")
    outcome = entry.get("KetQua")
    if outcome not in OUTCOMES:
        raise UpstreamProtocolError(f"unknown KetQua {outcome!r}")
    return ItemResult(
        ma_ho_so=ma_ho_so,
        outcome=outcome,
        phien_ban=str(entry.get("PhienBan") or sent.get("PhienBan", "")),
        stt=str(entry.get("STT") or sent.get("STT", "")) if kind == "events" else "",
        errors=_field_errors(entry.get("Loi", [])),
    )


def _field_errors(loi: object) -> tuple[FieldError, ...]:
    if not isinstance(loi, list) or not all(isinstance(e, dict) for e in loi):
        raise UpstreamProtocolError("Loi is not a list of objects")
    return tuple(FieldError(str(e.get("Truong", "")), str(e.get("MoTa", ""))) for e in loi)


def _action(response: httpx.Response) -> Action:
    payload = json_or_none(response) if response.status_code == 401 else None
    return classify(response.status_code, payload if isinstance(payload, dict) else None)


def _refuses_client(response: httpx.Response) -> bool:
    # RFC 6749 lets a token endpoint answer these with 400 as well as 401.
    payload = json_or_none(response) if response.status_code == 400 else None
    return isinstance(payload, dict) and payload.get("error") in CLIENT_REFUSALS


def _error_code(response: httpx.Response) -> str:
    payload = json_or_none(response)
    if not isinstance(payload, dict):
        return ""
    code = payload.get("error_code") or payload.get("error")
    return f" {code}" if isinstance(code, str) and code.isascii() and len(code) <= 64 else ""


def _check_key(key: str) -> None:
    if not 8 <= len(key) <= 128:
        raise UpstreamProtocolError("Idempotency-Key must have 8 to 128 characters")


__all__ = [
    "PAGE_SIZE",
    "PUSH_PATHS",
    "VN_TZ",
    "LgspRestClient",
    "listing_params",
    "parse_listing_page",
    "parse_push_reply",
    "push_body",
    "wire_time",
]
