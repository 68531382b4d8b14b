"""The ``dvcqg-adapter`` gateway profile (upstream-contract.md section 7) over httpx.

A session from ``POST /login``, then every call is ``POST /integration`` with a ``service``
envelope. Every call (the login inside it too) runs in the single ``RetryRunner``; httpx
errors and statuses are translated here, statuses through ``status_table.classify``, the
adapter's ``error_code`` through ``ERROR_CODES``. Bodies are never logged (personal data).

This profile has no idempotency keys, so a dossier push whose reply may have been lost (a
timeout or dropped connection after sending, a 500/502/504) is not resent blindly: the next
attempt first looks each unsettled dossier up with ``TraCuuHoSo``. Held with this PhienBan:
``unchanged``, nothing is resent; held with another: resent as an update; not held: resent
as a create. A create that meets a held MaHoSo (``error_code`` "3", "đã tồn tại") is resent
as an update. Progress events are resent as they are: their identity (MaHoSo, STT) makes a
repeat ``unchanged``. Between two ``push`` calls nothing is remembered; a repeat then relies
on the gateway refusing to create a held MaHoSo and answering ``unchanged`` for the held
PhienBan, so it is still applied at most once.

This profile has no listing: ``list_dossiers`` raises ``ConfigError`` (reconciliation needs
the ``lgsp-rest`` profile).
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Any, Final, Literal

import httpx
import structlog

from igate_sync.errors import (
    BatchTooLarge,
    ConfigError,
    IgateSyncError,
    UpstreamAuthError,
    UpstreamForbidden,
    UpstreamProtocolError,
    UpstreamUnavailable,
)
from igate_sync.upstream.base import FieldError, ItemResult, ListedDossier, PushRequest
from igate_sync.upstream.http import check_base_url, json_object
from igate_sync.upstream.lgsp_rest import parse_push_reply
from igate_sync.upstream.retry import (
    DEFAULT_POLICY,
    RetryPolicy,
    RetryRunner,
    parse_retry_after,
    utc_now,
)
from igate_sync.upstream.status_table import Action, classify

LOGIN_PATH: Final = "/login"
INTEGRATION_PATH: Final = "/integration"
EVENTS_PER_CALL: Final = 10
EXISTS_TEXT: Final = "đã tồn tại"
EXISTS_CODE: Final = "DA_TON_TAI"
SESSION_TEXT: Final = "session"

# What the client does with an ``error_code`` other than "0", "-1" (session) and "3"
# (đã tồn tại), which the contract names. These codes are the simulator's; an unknown code
# is a protocol error, as an unknown 4xx is in the status table.
ERROR_CODES: Final[Mapping[str, Action]] = {
    "1": Action.BUG,
    "2": Action.CONFIG,
    "4": Action.SPLIT,
}

# Errors raised before any byte of the request left: the gateway cannot have applied it.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_JSON_HEADERS: Final = {"Content-Type": "application/json"}

Mode = Literal["False", "True"]
CREATE: Final[Mode] = "False"
UPDATE: Final[Mode] = "True"


class ReplyLost(UpstreamUnavailable):
    """The request may have reached the gateway and been applied; its reply never came."""


@dataclass(frozen=True, slots=True)
class AdapterReply:
    """The adapter's reply envelope: ``error_code`` as text, ``message`` and ``result``."""

    code: str
    message: str
    result: object

    @property
    def session_refused(self) -> bool:
        """The session is unknown or expired: log in again."""
        return self.code == "-1" and SESSION_TEXT in _folded(self.message)

    @property
    def already_held(self) -> bool:
        """A create met a MaHoSo the gateway holds already."""
        return self.code == "3" and EXISTS_TEXT in _folded(self.message)


_HTTP_401: Final = AdapterReply("-1", "session refused with HTTP 401", [])


class DvcqgAdapterClient:
    """Gateway client for the ``dvcqg-adapter`` profile (session login, service envelope)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        dstcode: str,
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
        if not dstcode.strip():
            raise ConfigError("upstream.dstcode", "is empty (the dvcqg-adapter needs it)")
        self._login_body = json.dumps({"username": username, "password": password}).encode()
        self._clock = clock
        self._runner = RetryRunner(
            policy, clock=clock, sleep=sleep, rng=rng, on_deadline=on_deadline
        )
        self._http = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers={"dstcode": dstcode},
        )
        self._session: str | None = None
        self._not_before: datetime | None = None
        self.request_count = 0

    def push(self, request: PushRequest) -> list[ItemResult]:
        """Send one batch; one result per item, in request order."""
        if not request.items:
            return []
        if request.kind == "events":
            return self._push_events(request)
        return self._runner.call(_DossierPush(self, request).attempt)

    def get_dossier(self, ma_ho_so: str) -> dict[str, Any] | None:
        """The stored dossier (``TraCuuHoSo`` under its MaHoSo prefix), or None."""
        ma_don_vi = ma_ho_so.split("-", 1)[0]
        return self._runner.call(partial(self.look_up, ma_don_vi, ma_ho_so))

    def list_dossiers(
        self, ma_don_vi: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ListedDossier]:
        """Not offered by this profile: raises ``ConfigError`` at once."""
        raise ConfigError(
            "upstream.profile",
            "the dvcqg-adapter profile has no listing: reconciliation needs lgsp-rest",
        )

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    def __enter__(self) -> DvcqgAdapterClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- one attempt of each service (the runner repeats them) ---------------------------

    def look_up(self, ma_don_vi: str, ma_ho_so: str) -> dict[str, Any] | None:
        """One ``TraCuuHoSo`` attempt: the held dossier or None."""
        members = '"MaHoSo":' + json.dumps(ma_ho_so, ensure_ascii=False)
        reply = self.call_service(ma_don_vi, "TraCuuHoSo", members)
        self.raise_unless_ok(reply)
        return _found(reply.result, ma_ho_so)

    def call_service(self, ma_don_vi: str, service: str, members: str) -> AdapterReply:
        """One service call; a refused session is renewed and the call repeated once."""
        reply = self._post_service(ma_don_vi, service, members)
        if reply.session_refused:
            structlog.get_logger().info("upstream.session_refused", service=service)
            self._session = None
            reply = self._post_service(ma_don_vi, service, members)
        if reply.session_refused:
            raise UpstreamUnavailable("gateway refused a fresh session")
        return reply

    def raise_unless_ok(self, reply: AdapterReply) -> None:
        """Raise the error an ``error_code`` other than "0" stands for."""
        if reply.code == "0":
            return
        action = ERROR_CODES.get(reply.code, Action.BUG)
        what = f"gateway answered error_code {_safe(reply.code)}"
        if action is Action.SPLIT:
            raise BatchTooLarge(what)
        if action is Action.CONFIG:
            raise UpstreamForbidden(what)
        raise UpstreamProtocolError(what)

    def _push_events(self, request: PushRequest) -> list[ItemResult]:
        results: list[ItemResult] = []
        for start in range(0, len(request.items), EVENTS_PER_CALL):
            chunk = replace(request, items=tuple(request.items[start : start + EVENTS_PER_CALL]))
            results.extend(self._runner.call(partial(self._send_events, chunk)))
        return results

    def _send_events(self, chunk: PushRequest) -> list[ItemResult]:
        members = '"data":[' + ",".join(chunk.items) + "]"
        reply = self.call_service(chunk.ma_don_vi, "CapNhatTienDoHoSoMC", members)
        self.raise_unless_ok(reply)
        return item_results(reply, chunk)

    # --- HTTP ------------------------------------------------------------------------------

    def _post_service(self, ma_don_vi: str, service: str, members: str) -> AdapterReply:
        session = self._session or self._login()
        body = service_body(session, ma_don_vi, service, members)
        response = self._send(INTEGRATION_PATH, body, applies=True)
        if response.status_code == 401:  # wrong credentials show at the next login
            return _HTTP_401
        action = classify(response.status_code)
        if action is not Action.OK:
            raise self._error_for(action, response, applies=True)
        return parse_reply(response)

    def _login(self) -> str:
        response = self._send(LOGIN_PATH, self._login_body, applies=False)
        action = classify(response.status_code)
        if response.status_code in (401, 403):
            raise UpstreamAuthError(f"gateway refused the login ({response.status_code})")
        if action is not Action.OK:
            raise self._error_for(action, response, applies=False)
        payload = json_object(response)
        code = _code(payload)
        if code != "0":
            raise UpstreamAuthError(f"gateway refused the login (error_code {_safe(code)})")
        session = payload.get("session")
        if not isinstance(session, str) or not session:
            raise UpstreamProtocolError("login reply without a session")
        self._session = session
        return session

    def _send(self, path: str, body: bytes, *, applies: bool) -> httpx.Response:
        """POST one request; httpx errors become ``UpstreamUnavailable`` (or ``ReplyLost``)."""
        self._hold_off()
        request = self._http.build_request("POST", path, content=body, headers=_JSON_HEADERS)
        self.request_count += 1
        try:
            return self._http.send(request)
        except _NOT_SENT as exc:
            raise UpstreamUnavailable(f"{type(exc).__name__} on POST {path}") from exc
        except httpx.RequestError as exc:
            error = ReplyLost if applies else UpstreamUnavailable
            raise error(f"{type(exc).__name__} on POST {path}") from exc

    def _hold_off(self) -> None:
        """Refuse to send before a Retry-After deadline this client was given has passed."""
        if self._not_before is not None and self._clock() < self._not_before:
            raise UpstreamUnavailable("Retry-After not passed yet", not_before=self._not_before)

    def _error_for(
        self, action: Action, response: httpx.Response, *, applies: bool
    ) -> IgateSyncError:
        """The exception for an HTTP reply the caller cannot use."""
        status = response.status_code
        if action in (Action.RETRY, Action.WAIT):
            not_before = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if not_before is not None:
                self._not_before = max(not_before, self._not_before or not_before)
            # 429 and 503 say "not taken"; other 5xx may come after the adapter applied it.
            error = ReplyLost if applies and action is Action.RETRY else UpstreamUnavailable
            return error(f"gateway answered {status}", not_before=not_before)
        if action is Action.SPLIT:
            return BatchTooLarge(f"gateway refused the batch size ({status})")
        if action is Action.CONFIG:
            return UpstreamForbidden(f"gateway refused the request ({status})")
        return UpstreamProtocolError(f"gateway rejected the request ({status})")


class _DossierPush:
    """One dossier batch through ``DongBoHoSoMC``; ``attempt`` is what the runner repeats.

    Items settle one by one; an attempt sends only the unsettled ones, creates first, then
    updates (those the gateway already holds). After a lost reply, the next attempt looks
    the unsettled ones up before sending anything.
    """

    def __init__(self, client: DvcqgAdapterClient, request: PushRequest) -> None:
        self._client, self._request = client, request
        self._sent = [_sent_item(text) for text in request.items]
        self._results: list[ItemResult | None] = [None] * len(request.items)
        self._modes: dict[int, Mode] = dict.fromkeys(range(len(request.items)), CREATE)
        self._uncertain = False

    def attempt(self) -> list[ItemResult]:
        """Settle every item, or raise; a later attempt goes on from where this one stopped."""
        if self._uncertain:
            self._look_up_unsettled()
            self._uncertain = False
        for mode in (CREATE, UPDATE):
            indexes = [i for i, m in self._modes.items() if m == mode]
            if indexes:
                self._send(mode, indexes)
        return self._settled()

    def _look_up_unsettled(self) -> None:
        log = structlog.get_logger()
        log.info("upstream.reply_lost", unsettled=len(self._modes))
        for index in sorted(self._modes):
            ma_ho_so, phien_ban = self._sent[index]
            if not ma_ho_so:
                continue  # nothing to look up: the gateway will reject it again
            held = self._client.look_up(self._request.ma_don_vi, ma_ho_so)
            if held is None:
                self._modes[index] = CREATE
            elif held.get("PhienBan") == phien_ban:
                self._settle(index, ItemResult(ma_ho_so, "unchanged", phien_ban))
            else:
                self._modes[index] = UPDATE

    def _send(self, mode: Mode, indexes: list[int]) -> None:
        chunk = replace(self._request, items=tuple(self._request.items[i] for i in indexes))
        members = f'"isUpdating":"{mode}","data":[' + ",".join(chunk.items) + "]"
        try:
            reply = self._client.call_service(chunk.ma_don_vi, "DongBoHoSoMC", members)
        except ReplyLost:
            self._uncertain = True
            raise
        for index, result in zip(indexes, self._results_of(reply, mode, chunk), strict=True):
            if mode == CREATE and _held(result):
                self._modes[index] = UPDATE
            else:
                self._settle(index, result)

    def _results_of(self, reply: AdapterReply, mode: Mode, chunk: PushRequest) -> list[ItemResult]:
        if not (mode == CREATE and reply.already_held):
            self._client.raise_unless_ok(reply)
        elif len(chunk.items) == 1 and not _one_entry(reply.result):
            return [_held_result(chunk.items[0])]  # a bare "đã tồn tại" names its one dossier
        return item_results(reply, chunk)

    def _settle(self, index: int, result: ItemResult) -> None:
        self._results[index] = result
        del self._modes[index]

    def _settled(self) -> list[ItemResult]:
        results = [r for r in self._results if r is not None]
        if len(results) != len(self._results):  # every mode is sent above: cannot happen
            raise UpstreamProtocolError("dossier push left items without a result")
        return results


def service_body(session: str, ma_don_vi: str, service: str, members: str) -> bytes:
    """The ``/integration`` envelope, with ``members`` (items as they are) spliced in."""
    head = {"session": session, "madonvi": ma_don_vi, "service": service}
    text = json.dumps(head, ensure_ascii=False)
    return (text[:-1] + "," + members + "}").encode("utf-8")


def parse_reply(response: httpx.Response) -> AdapterReply:
    """The adapter envelope of an HTTP 200 reply."""
    payload = json_object(response)
    message = payload.get("message", "")
    return AdapterReply(
        code=_code(payload),
        message=message if isinstance(message, str) else "",
        result=payload.get("result", []),
    )


def item_results(reply: AdapterReply, chunk: PushRequest) -> list[ItemResult]:
    """One result per item of the chunk, from the per-item entries in ``result``."""
    return parse_push_reply({"error_code": "0", "KetQua": reply.result}, chunk)


def _found(result: object, ma_ho_so: str) -> dict[str, Any] | None:
    if result in (None, [], {}):
        return None
    held = result[0] if isinstance(result, list) and len(result) == 1 else result
    if not isinstance(held, dict) or held.get("MaHoSo") != ma_ho_so:
        raise UpstreamProtocolError("TraCuuHoSo reply without the dossier asked for")
    return held


def _one_entry(result: object) -> bool:
    return isinstance(result, list) and len(result) == 1


def _held(result: ItemResult) -> bool:
    first = result.errors[0] if result.errors else None
    return result.outcome == "rejected" and first == FieldError("MaHoSo", EXISTS_CODE)


def _held_result(text: str) -> ItemResult:
    ma_ho_so, phien_ban = _sent_item(text)
    return ItemResult(ma_ho_so, "rejected", phien_ban, errors=(FieldError("MaHoSo", EXISTS_CODE),))


def _sent_item(text: str) -> tuple[str, str]:
    """MaHoSo and PhienBan of a request item."""
    try:
        item = json.loads(text)
    except ValueError as exc:
        raise UpstreamProtocolError("a request item is not JSON") from exc
    if not isinstance(item, dict):
        raise UpstreamProtocolError("a request item is not a JSON object")
    return str(item.get("MaHoSo", "")), str(item.get("PhienBan", ""))


def _code(payload: Mapping[str, Any]) -> str:
    code = payload.get("error_code")
    if isinstance(code, bool) or not isinstance(code, str | int):
        raise UpstreamProtocolError("gateway reply without an error_code")
    return str(code).strip()


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _safe(code: str) -> str:
    return repr(code) if code.isascii() and len(code) <= 16 else "(unreadable)"


__all__ = [
    "ERROR_CODES",
    "EVENTS_PER_CALL",
    "AdapterReply",
    "DvcqgAdapterClient",
    "ReplyLost",
    "item_results",
    "parse_reply",
    "service_body",
]
