"""Raw ASGI middleware: request counters, and fault injection on the API paths."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from igate_sync.upstream.simulator import paths
from igate_sync.upstream.simulator.auth import bearer_token
from igate_sync.upstream.simulator.connection import drop_connection
from igate_sync.upstream.simulator.faults import FaultRule
from igate_sync.upstream.simulator.replies import error_reply, invalid_token_reply
from igate_sync.upstream.simulator.settings import Runtime
from igate_sync.upstream.simulator.store import SimulatorStore

FAULT_KEY = "igate.fault"

_PROXY_PAGE = "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"


class RequestCountMiddleware:
    """Counts every request but /_sim by route template and status (or the fault that ate it)."""

    def __init__(self, app: ASGIApp, store: SimulatorStore) -> None:
        self._app, self._store = app, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and count its reply."""
        if scope["type"] != "http" or paths.is_simulator_control(scope["path"]):
            await self._app(scope, receive, send)
            return
        statuses: list[int] = []

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))
            await send(message)

        try:
            await self._app(scope, receive, counting_send)
        finally:
            outcome = str(statuses[0]) if statuses else str(scope.get(FAULT_KEY, "no_reply"))
            self._store.count("request", paths.path_template(scope["path"]), outcome)


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
