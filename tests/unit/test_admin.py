"""The admin HTTP endpoint, served for real on loopback (port 0) and called with httpx."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from igate_sync.admin import (
    MAX_BODY_BYTES,
    AdminHooks,
    AdminServer,
    ResyncRequest,
    create_admin_app,
)

TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class RecordingHooks:
    """The daemon's side, recording what the endpoint asked of it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reset()

    def reset(self) -> None:
        self.problems: list[str] = []
        self.resyncs: list[ResyncRequest] = []
        self.paused: list[bool] = []
        self.refusal: str | None = None

    def status(self) -> dict[str, Any]:
        return {"queue": {"dossiers": {"pending": 2}}, "paused": self.paused[-1:] == [True]}

    def readiness(self) -> list[str]:
        return list(self.problems)

    def request_resync(self, request: ResyncRequest) -> int:
        if self.refusal:
            raise ValueError(self.refusal)
        self.resyncs.append(request)
        return 40 + len(self.resyncs)

    def set_paused(self, paused: bool) -> None:
        self.paused.append(paused)

    def hooks(self) -> AdminHooks:
        return AdminHooks(
            status=self.status,
            readiness=self.readiness,
            request_resync=self.request_resync,
            set_paused=self.set_paused,
            registry=self.registry,
            dashboard=lambda: "<!DOCTYPE html><title>dashboard</title>",
            latest_report=lambda: None,
        )


@pytest.fixture(scope="module")
def shared_hooks() -> RecordingHooks:
    return RecordingHooks()


@pytest.fixture(scope="module")
def urls(shared_hooks: RecordingHooks) -> Iterator[dict[str | None, str]]:
    """One real server per token setting for the module (stopping one takes ~0.2 s)."""
    with ExitStack() as stack:
        found: dict[str | None, str] = {}
        for token in (TOKEN, None, ""):
            server = AdminServer(create_admin_app(shared_hooks.hooks(), token))
            server.start("127.0.0.1", 0)
            stack.callback(server.stop)
            found[token] = f"http://127.0.0.1:{server.port}"
        yield found


@pytest.fixture
def hooks(shared_hooks: RecordingHooks) -> RecordingHooks:
    shared_hooks.reset()
    return shared_hooks


def connect(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=10, trust_env=False)


@pytest.fixture
def client(urls: dict[str | None, str], hooks: RecordingHooks) -> Iterator[httpx.Client]:
    with connect(urls[TOKEN]) as c:
        yield c


def test_healthz_says_alive(client: httpx.Client) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_readyz_ready_when_no_problem(client: httpx.Client) -> None:
    reply = client.get("/readyz")
    assert reply.status_code == 200
    assert reply.json() == {"ready": True}


def test_readyz_not_ready_lists_the_problems(client: httpx.Client, hooks: RecordingHooks) -> None:
    hooks.problems = ["gateway circuit is open", "oldest unconfirmed item is 7200 s old"]
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert reply.json() == {"ready": False, "problems": hooks.problems}


def test_status_is_the_daemons_json(client: httpx.Client) -> None:
    reply = client.get("/status")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"queue": {"dossiers": {"pending": 2}}, "paused": False}


def test_metrics_exposes_the_hooks_registry(client: httpx.Client, hooks: RecordingHooks) -> None:
    things = Counter("igate_sync_test_things", "Things.", registry=hooks.registry)
    things.inc(3)
    try:
        reply = client.get("/metrics")
    finally:
        hooks.registry.unregister(things)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=")
    samples = {
        s.name: s.value for f in text_string_to_metric_families(reply.text) for s in f.samples
    }
    assert samples["igate_sync_test_things_total"] == 3


def test_metrics_speaks_openmetrics_when_asked(client: httpx.Client) -> None:
    reply = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert reply.headers["content-type"].startswith("application/openmetrics-text")
    assert reply.text.endswith("# EOF\n")


def test_resync_with_token_is_accepted_and_parsed(
    client: httpx.Client, hooks: RecordingHooks
) -> None:
    body = {
        "dossiers": ["000.24.24.H16-210311-0001", " 000.24.24.H16-210311-0002 "],
        "since": "2026-11-01T00:00:00+07:00",
        "until": "20261127235959",
        "quarantined": True,
        "rejected": True,
        "source": "motcua",
        "dry_run": True,
        "requested_by": "can-bo-mot-cua",
        "reason": "gateway lost them",
    }
    reply = client.post("/resync", json=body, headers=AUTH)
    assert reply.status_code == 202
    assert reply.json() == {"id": 41}
    assert hooks.resyncs == [
        ResyncRequest(
            dossiers=("000.24.24.H16-210311-0001", "000.24.24.H16-210311-0002"),
            since="2026-11-01T00:00:00+07:00",
            until="20261127235959",
            quarantined=True,
            rejected=True,
            source="motcua",
            dry_run=True,
            requested_by="can-bo-mot-cua",
            reason="gateway lost them",
        )
    ]


def test_resync_fills_defaults(client: httpx.Client, hooks: RecordingHooks) -> None:
    reply = client.post("/resync", json={"rejected": True}, headers=AUTH)
    assert reply.status_code == 202
    assert hooks.resyncs == [ResyncRequest(rejected=True)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dossier": ["x"]}, "dossier"),
        ({"dossiers": "000.24.24.H16-210311-0001"}, "dossiers"),
        ({"dossiers": ["ok", ""]}, "dossiers.1"),
        ({"since": "last tuesday"}, "since"),
        ({"until": "20261331000000"}, "until"),
        ({"since": "20261127000000", "until": "2026-11-01"}, "until"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"quarantined": 1}, "quarantined"),
        ({"source": ""}, "source"),
        ({"reason": "x" * 501}, "reason"),
        ([], "body"),
    ],
)
def test_bad_resync_body_is_400_naming_the_field(
    client: httpx.Client, hooks: RecordingHooks, body: Any, field: str
) -> None:
    reply = client.post("/resync", json=body, headers=AUTH)
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid resync request"
    assert [e["field"] for e in reply.json()["fields"]] == [field]
    assert hooks.resyncs == []


def test_resync_body_that_is_not_json_is_400(client: httpx.Client, hooks: RecordingHooks) -> None:
    reply = client.post("/resync", content=b"dossiers=1", headers=AUTH)
    assert reply.status_code == 400
    assert reply.json()["fields"][0]["field"] == "body"
    assert hooks.resyncs == []


def test_resync_body_too_large_is_413(client: httpx.Client, hooks: RecordingHooks) -> None:
    reply = client.post("/resync", content=b" " * (MAX_BODY_BYTES + 1), headers=AUTH)
    assert reply.status_code == 413
    assert hooks.resyncs == []


def test_resync_refused_by_the_daemon_is_400(client: httpx.Client, hooks: RecordingHooks) -> None:
    hooks.refusal = "unknown source: hotich"
    reply = client.post("/resync", json={"source": "hotich"}, headers=AUTH)
    assert reply.status_code == 400
    assert reply.json() == {"error": "unknown source: hotich"}


def test_pause_and_resume_call_the_hook(client: httpx.Client, hooks: RecordingHooks) -> None:
    paused = client.post("/pause", headers=AUTH)
    resumed = client.post("/resume", headers=AUTH)
    assert (paused.status_code, resumed.status_code) == (204, 204)
    assert paused.content == b""
    assert hooks.paused == [True, False]


@pytest.mark.parametrize("path", ["/resync", "/pause", "/resume"])
def test_mutating_calls_refused_without_a_configured_token(
    urls: dict[str | None, str], hooks: RecordingHooks, path: str
) -> None:
    with connect(urls[None]) as client:
        replies = [
            client.post(path, json={}, headers=headers)
            for headers in ({}, {"Authorization": "Bearer anything"}, AUTH)
        ]
    for reply in replies:
        assert reply.status_code == 403
        assert reply.json() == {"error": "no admin token configured"}
    assert (hooks.resyncs, hooks.paused) == ([], [])


def test_an_empty_token_counts_as_none(urls: dict[str | None, str], hooks: RecordingHooks) -> None:
    with connect(urls[""]) as client:
        reply = client.post("/pause", headers={"Authorization": "Bearer"})
    assert reply.status_code == 403
    assert hooks.paused == []


@pytest.mark.parametrize("path", ["/resync", "/pause", "/resume"])
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x", TOKEN],
)
def test_mutating_calls_need_the_right_bearer_token(
    client: httpx.Client, hooks: RecordingHooks, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = client.post(path, json={}, headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert (hooks.resyncs, hooks.paused) == ([], [])


def test_the_bearer_scheme_is_case_insensitive(client: httpx.Client, hooks: RecordingHooks) -> None:
    reply = client.post("/pause", headers={"Authorization": f"bearer {TOKEN}"})
    assert reply.status_code == 204
    assert hooks.paused == [True]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/resync"), ("GET", "/pause"), ("POST", "/healthz")]
)
def test_wrong_method_is_405(client: httpx.Client, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 405


def test_request_bodies_and_tokens_are_never_logged(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    secret_reason = "chị Nguyễn Thị Bích, 0912345678"
    with capture_logs() as events, caplog.at_level(logging.DEBUG):
        client.post("/resync", json={"reason": secret_reason}, headers=AUTH)
        client.post("/resync", json={"reason": secret_reason, "oops": 1}, headers=AUTH)
        client.post("/pause", headers={"Authorization": "Bearer guessed-token"})
    seen = repr(events) + caplog.text
    assert [e["event"] for e in events] == [
        "resync requested",
        "admin call refused: bad or missing token",
    ]
    for secret in ("Nguyễn", "0912345678", TOKEN, "guessed-token"):
        assert secret not in seen


def test_invalid_body_reply_does_not_echo_the_value(client: httpx.Client) -> None:
    reply = client.post("/resync", json={"since": "Nguyễn Văn An"}, headers=AUTH)
    assert reply.status_code == 400
    assert "Nguyễn" not in reply.text


def test_port_zero_picks_a_port_and_stop_closes_it(hooks: RecordingHooks) -> None:
    server = AdminServer(create_admin_app(hooks.hooks(), TOKEN))
    server.start("127.0.0.1", 0)
    try:
        port = server.port
        assert port > 0
        with pytest.raises(RuntimeError, match="already started"):
            server.start("127.0.0.1", 0)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).status_code == 200
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port


def test_a_busy_port_fails_at_start(hooks: RecordingHooks) -> None:
    first = AdminServer(create_admin_app(hooks.hooks(), TOKEN))
    first.start("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match="in use"):
            AdminServer(create_admin_app(hooks.hooks(), TOKEN)).start("127.0.0.1", first.port)
    finally:
        first.stop()
