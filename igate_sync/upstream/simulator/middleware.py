"""Raw ASGI middleware: request counters and log, and fault injection on the API paths."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from igate_sync.upstream.simulator import paths
from igate_sync.upstream.simulator.auth import bearer_token
from igate_sync.upstream.simulator.connection import ABORT_KEY, drop_connection
from igate_sync.upstream.simulator.faults import FaultRule
from igate_sync.upstream.simulator.replies import error_reply, invalid_token_reply
from igate_sync.upstream.simulator.settings import Runtime, utc_now
from igate_sync.upstream.simulator.store import RequestRecord, SimulatorStore

FAULT_KEY = "igate.fault"

_PROXY_PAGE = "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"


class RequestCountMiddleware:
    """Counts and logs every request but /_sim: route template, client, status (or the fault
    that ate it), and the Retry-After deadline its reply announced.

    The entry is written as the reply starts, or as the connection is dropped, before the
    client can see either: a client that has its answer finds it counted.
    """

    def __init__(self, app: ASGIApp, store: SimulatorStore) -> None:
        self._app, self._store = app, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count and log it as its reply leaves (or never does)."""
        if scope["type"] != "http" or paths.is_simulator_control(scope["path"]):
            await self._app(scope, receive, send)
            return
        entry = _Entry(self._store, scope)
        abort = scope.get(ABORT_KEY)
        if abort is not None:

            def log_then_abort() -> None:
                entry.close(str(scope.get(FAULT_KEY, "no_reply")))
                abort()

            scope[ABORT_KEY] = log_then_abort

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.close(str(message["status"]), message)
            await send(message)

        try:
            await self._app(scope, receive, counting_send)
        finally:
            entry.close(str(scope.get(FAULT_KEY, "no_reply")))


class _Entry:
    """One request's counter and request-log line, written once."""

    def __init__(self, store: SimulatorStore, scope: Scope) -> None:
        self._store, self._clock = store, _clock_of(scope)
        self._received = self._clock()
        self._template = paths.path_template(scope["path"])
        # Looked up before the request runs: an invalid_token fault revokes the token.
        token = bearer_token(Request(scope))
        record = None if token is None else store.find_token(token)
        self._client_id = None if record is None else record.client_id
        self._closed = False

    def close(self, outcome: str, reply: Message | None = None) -> None:
        """Count and log the request with this outcome; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        answered: datetime | None = None
        until: datetime | None = None
        if reply is not None:
            answered = self._clock()
            value = _header(reply, b"retry-after")
            until = None if value is None else retry_after_deadline(value, answered)
        self._store.count("request", self._template, outcome)
        self._store.log_request(
            RequestRecord(
                received_at=self._received,
                path=self._template,
                client_id=self._client_id,
                outcome=outcome,
                answered_at=answered,
                retry_after_until=until,
            )
        )


def _header(message: Message, name: bytes) -> str | None:
    return next(
        (v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == name), None
    )


def retry_after_deadline(value: str, at: datetime) -> datetime | None:
    """The moment a ``Retry-After`` value sent at ``at`` forbids requests before."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        return at + timedelta(seconds=int(text))
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means UTC with no local zone known; Python returns it naive.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _clock_of(scope: Scope) -> Callable[[], datetime]:
    """The simulator's clock (so the log agrees with token expiry and HTTP-date Retry-After)."""
    runtime = getattr(getattr(scope.get("app"), "state", None), "simulator_runtime", None)
    return runtime.now if isinstance(runtime, Runtime) else utc_now


def retry_after(rule: FaultRule, now: datetime) -> str | None:
    """The Retry-After value a status fault carries, if any."""
    seconds = rule.retry_after_s
    if seconds is None:
        if rule.kind != "429":
            return None
        seconds = 1
    if not rule.retry_after_date:
        return str(seconds)
    # An HTTP date has whole seconds: round up so the client never waits less than asked.
    deadline = now.astimezone(UTC) + timedelta(seconds=seconds)
    if deadline.microsecond:
        deadline = deadline.replace(microsecond=0) + timedelta(seconds=1)
    return format_datetime(deadline, usegmt=True)


def status_fault_reply(rule: FaultRule, now: datetime) -> Response:
    """The reply of a 429/5xx fault."""
    status = int(rule.kind)
    value = retry_after(rule, now)
    headers = {"Retry-After": value} if value is not None else None
    if status in (502, 504):
        return HTMLResponse(_PROXY_PAGE.format(status=status), status, headers)
    reply = error_reply(status, rule.kind, "simulated gateway fault")
    if headers:
        reply.headers.update(headers)
    return reply


class FaultMiddleware:
    """Injects the current plan's faults into the push and listing API."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self._app, self._runtime = app, runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or inject the fault the plan picks for it."""
        template = paths.path_template(scope.get("path", ""))
        if scope["type"] != "http" or not paths.is_faultable(template):
            await self._app(scope, receive, send)
            return
        rule = self._runtime.injector.decide(template)
        if rule is None:
            await self._app(scope, receive, send)
            return
        scope[FAULT_KEY] = rule.kind
        self._runtime.store.count("fault", rule.kind, template)
        await self._inject(rule, scope, receive, send)

    async def _inject(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        if rule.kind == "reset":
            await drop_connection(scope)
        elif rule.kind == "lost_reply":
            await self._app(scope, receive, _discard)
            await drop_connection(scope)
        elif rule.kind == "slow":
            await self._slow(rule, scope, receive, send)
        elif rule.kind == "invalid_token":
            token = bearer_token(Request(scope))
            if token is not None:
                self._runtime.store.revoke_token(token)
            await invalid_token_reply()(scope, receive, send)
        else:
            await status_fault_reply(rule, self._runtime.now())(scope, receive, send)

    async def _slow(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self._app(scope, receive, hold)
        await asyncio.sleep(rule.delay_s)
        for message in held:
            await send(message)


async def _discard(message: Message) -> None:
    """A send that drops the reply on the floor."""
