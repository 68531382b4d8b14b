"""The local admin HTTP endpoint: health, readiness, Prometheus metrics, status, a read-only
dashboard page (``/``) and the latest report's page (``/report``), and controls.

Reading calls are open (the endpoint listens on loopback by default). Mutating calls (resync,
pause, resume) need ``Authorization: Bearer <token>`` with the token from configuration;
without a configured token they are refused. Access logs are off and request bodies are never
logged: a resync reason may hold personal data.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from igate_sync.serving import ThreadedServer

log = structlog.get_logger("igate_sync.admin")

MAX_BODY_BYTES = 1_048_576
MAX_DOSSIERS = 10_000
_WIRE_TIME = re.compile(r"\d{14}")
# Wire times carry no offset: they are Vietnam time. Only used to check since <= until.
_VN = timezone(timedelta(hours=7))
# The pages are self-contained: nothing may load from anywhere, no script runs, no framing.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class ResyncRequest:
    """An operator's request to push dossiers again (dossiers empty: selected by the rest)."""

    dossiers: tuple[str, ...] = ()
    since: str | None = None  # ISO 8601 or yyyyMMddHHmmss, as given
    until: str | None = None
    quarantined: bool = False
    rejected: bool = False
    source: str | None = None
    dry_run: bool = False
    requested_by: str = "admin-http"
    reason: str = ""


@dataclass(frozen=True)
class AdminHooks:
    """What the daemon provides to the admin endpoint; every hook may block (thread pool).

    ``request_resync`` may raise ``ValueError`` to refuse a request (e.g. an unknown source):
    its message goes back to the caller with 400.
    """

    status: Callable[[], dict[str, Any]]
    readiness: Callable[[], list[str]]
    request_resync: Callable[[ResyncRequest], int]
    set_paused: Callable[[bool], None]
    registry: CollectorRegistry
    dashboard: Callable[[], str]  # the read-only page (igate_sync.dashboard)
    latest_report: Callable[[], str | None]  # the latest report's page, None before the first


_Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _ResyncBody(BaseModel):
    """The JSON body of POST /resync."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    dossiers: list[_Code] = Field(default_factory=list, max_length=MAX_DOSSIERS)
    since: str | None = None
    until: str | None = None
    quarantined: bool = False
    rejected: bool = False
    source: _Name | None = None
    dry_run: bool = False
    requested_by: _Name = "admin-http"
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    @field_validator("since", "until")
    @classmethod
    def _a_time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _parse_time(value.strip())
        return value.strip()

    @field_validator("until")
    @classmethod
    def _after_since(cls, value: str | None, info: ValidationInfo) -> str | None:
        since = info.data.get("since")
        if value is not None and since is not None and _parse_time(since) > _parse_time(value):
            raise ValueError("until is earlier than since")
        return value

    def request(self) -> ResyncRequest:
        """The request the daemon gets."""
        return ResyncRequest(**{**self.model_dump(), "dossiers": tuple(self.dossiers)})


def _parse_time(text: str) -> datetime:
    """An ISO 8601 time or a wire time (yyyyMMddHHmmss); without an offset, Vietnam time."""
    try:
        if _WIRE_TIME.fullmatch(text):
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=_VN)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected an ISO 8601 time or yyyyMMddHHmmss") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_VN)


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    # Only where and what: pydantic's "input" would echo the body, which may hold personal data.
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]


class _Admin:
    """The endpoints, over the daemon's hooks."""

    def __init__(self, hooks: AdminHooks, token: str | None) -> None:
        self.hooks = hooks
        self._token = token.encode() if token else None

    async def healthz(self, _request: Request) -> Response:
        """Alive."""
        return JSONResponse({"status": "ok"})

    def readyz(self, _request: Request) -> Response:
        """Ready, or 503 with the problems."""
        problems = self.hooks.readiness()
        if problems:
            return JSONResponse({"ready": False, "problems": problems}, status_code=503)
        return JSONResponse({"ready": True})

    def metrics(self, request: Request) -> Response:
        """Prometheus exposition (OpenMetrics when the scraper asks for it)."""
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(self.hooks.registry), headers={"Content-Type": content_type})

    def status(self, _request: Request) -> Response:
        """The daemon's JSON status."""
        return JSONResponse(self.hooks.status())

    def dashboard(self, _request: Request) -> Response:
        """The read-only dashboard page."""
        return HTMLResponse(self.hooks.dashboard(), headers=_PAGE_HEADERS)

    def report(self, _request: Request) -> Response:
        """The latest reconciliation report's page, 404 before the first."""
        page = self.hooks.latest_report()
        if page is None:
            return JSONResponse({"error": "no report yet: run reconcile"}, status_code=404)
        return HTMLResponse(page, headers=_PAGE_HEADERS)

    async def resync(self, request: Request) -> Response:
        """Queue a resync; 202 with its id."""
        if refused := self._refusal(request):
            return refused
        body = await _read_body(request)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            wanted = _ResyncBody.model_validate_json(body).request()
        except ValidationError as exc:
            fields = _field_errors(exc)
            return JSONResponse({"error": "invalid resync request", "fields": fields}, 400)
        try:
            request_id = await run_in_threadpool(self.hooks.request_resync, wanted)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        log.info(
            "resync requested",
            request_id=request_id,
            dossiers=len(wanted.dossiers),
            source=wanted.source,
            dry_run=wanted.dry_run,
        )
        return JSONResponse({"id": request_id}, status_code=202)

    async def pause(self, request: Request) -> Response:
        """Stop pushing until resumed."""
        return await self._set_paused(request, paused=True)

    async def resume(self, request: Request) -> Response:
        """Push again."""
        return await self._set_paused(request, paused=False)

    async def _set_paused(self, request: Request, *, paused: bool) -> Response:
        if refused := self._refusal(request):
            return refused
        await run_in_threadpool(self.hooks.set_paused, paused)
        log.info("pushing paused" if paused else "pushing resumed")
        return Response(status_code=204)

    def _refusal(self, request: Request) -> Response | None:
        if self._token is None:
            return JSONResponse({"error": "no admin token configured"}, status_code=403)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token):
            return None
        log.warning("admin call refused: bad or missing token", path=request.url.path)
        return JSONResponse(
            {"error": "a valid bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="igate-sync admin"'},
        )


async def _read_body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY_BYTES (read no further)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_admin_app(hooks: AdminHooks, token: str | None) -> Starlette:
    """The admin app; ``token`` None (or empty) refuses every mutating call."""
    admin = _Admin(hooks, token)
    routes: Sequence[Route] = [
        Route("/healthz", admin.healthz, methods=["GET"]),
        Route("/readyz", admin.readyz, methods=["GET"]),
        Route("/metrics", admin.metrics, methods=["GET"]),
        Route("/status", admin.status, methods=["GET"]),
        Route("/", admin.dashboard, methods=["GET"]),
        Route("/report", admin.report, methods=["GET"]),
        Route("/resync", admin.resync, methods=["POST"]),
        Route("/pause", admin.pause, methods=["POST"]),
        Route("/resume", admin.resume, methods=["POST"]),
    ]
    return Starlette(routes=list(routes))


class AdminServer(ThreadedServer):
    """Serves the admin app with uvicorn in a daemon thread, on a socket bound before it starts."""

    def __init__(self, app: Starlette) -> None:
        super().__init__(app, name="admin")
