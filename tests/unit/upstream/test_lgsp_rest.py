"""The lgsp-rest client against respx: every row of the contract's error table, and more."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from igate_sync.errors import (
    BatchTooLarge,
    ConfigError,
    IgateSyncError,
    UpstreamAuthError,
    UpstreamForbidden,
    UpstreamProtocolError,
    UpstreamUnavailable,
)
from igate_sync.schemas.wire import phien_ban, wire_dossier_json
from igate_sync.upstream.base import Gateway, ListedDossier, PushRequest
from igate_sync.upstream.lgsp_rest import LgspRestClient, push_body, wire_time
from igate_sync.upstream.retry import RetryPolicy
from tests.unit.upstream.test_retry import START, FakeTime

BASE = "https://gw.test/lgsp"
DONGBO = "/api/v1/hoso/dongbo"
TIENDO = "/api/v1/hoso/tiendo"
KEY = "batch-0001-abcdef"
OWNER = "Nguyễn Thị Ánh"

Step = httpx.Response | Exception


def dossier(ma: str, ngay: str = "20240301080000", owner: str = OWNER) -> str:
    content = {"MaHoSo": ma, "ChuHoSo": owner, "TrangThaiHoSo": "2", "DanhSachLePhi": []}
    return wire_dossier_json(content, ngay_cap_nhat=ngay, version=phien_ban(content))


def event(ma: str, stt: int) -> str:
    return json.dumps({"MaHoSo": ma, "STT": str(stt), "NoiDungXuLy": "Tiếp nhận"})


def batch(*items: str, kind: str = "dossiers", key: str = KEY) -> PushRequest:
    return PushRequest(kind=kind, idempotency_key=key, ma_don_vi="000.00.01.H01", items=items)  # type: ignore[arg-type]


def entry(ma: str, outcome: str = "created", **extra: Any) -> dict[str, Any]:
    return {"MaHoSo": ma, "PhienBan": "v", "KetQua": outcome, "Loi": [], **extra}


def ok(*entries: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"error_code": "0", "message": "OK", "KetQua": list(entries)})


def status(code: int, retry_after: str | None = None, **body: Any) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(code, json=body or {"error_code": str(code)}, headers=headers)


MA1 = "000.00.01.H01-240301-0001"
MA2 = "000.00.01.H01-240301-0002"


class Script:
    """A respx side effect: answers in turn, recording each request with the fake time."""

    def __init__(self, clock: FakeTime, *steps: Step, repeat_last: bool = False) -> None:
        self.clock = clock
        self.steps = list(steps)
        self.repeat_last = repeat_last
        self.seen: list[tuple[datetime, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.clock.now, request))
        step = self.steps[0] if self.repeat_last and len(self.steps) == 1 else self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    @property
    def requests(self) -> list[httpx.Request]:
        return [request for _, request in self.seen]


class Tokens:
    """The token endpoint: tok-1, tok-2, ... each valid for an hour."""

    def __init__(self) -> None:
        self.forms: list[dict[str, list[str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.forms.append(parse_qs(request.content.decode()))
        token = f"tok-{len(self.forms)}"
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        )


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def gw(tokens: Tokens) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/token", name="token").mock(side_effect=tokens)
        yield router


@pytest.fixture
def client(clock: FakeTime) -> Iterator[LgspRestClient]:
    with LgspRestClient(
        BASE, "cid", "s3cret", clock=clock.clock, sleep=clock.sleep, rng=random.Random(3)
    ) as c:
        yield c


def script(gw: respx.MockRouter, clock: FakeTime, path: str, *steps: Step, **kw: Any) -> Script:
    handler = Script(clock, *steps, **kw)
    gw.route(path=path).mock(side_effect=handler)
    return handler


def assert_same_request_every_time(handler: Script, body: bytes) -> None:
    assert handler.requests
    for request in handler.requests:
        assert request.headers["Idempotency-Key"] == KEY
        assert request.content == body


def test_satisfies_the_gateway_port(client: LgspRestClient) -> None:
    port: Gateway = client
    assert port is client


# --- the push envelope and the per-item results --------------------------------------------


def test_push_sends_the_envelope(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, tokens: Tokens
) -> None:
    request = batch(dossier(MA1), dossier(MA2))
    handler = script(gw, clock, DONGBO, ok(entry(MA1), entry(MA2, "updated")))
    results = client.push(request)
    sent = handler.requests[0]
    assert sent.method == "POST"
    assert sent.url == f"{BASE}{DONGBO}"
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["Idempotency-Key"] == KEY
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.content == push_body(request)
    assert json.loads(sent.content) == {
        "MaDonVi": "000.00.01.H01",
        "DanhSach": [json.loads(item) for item in request.items],
    }
    assert [(r.ma_ho_so, r.outcome) for r in results] == [(MA1, "created"), (MA2, "updated")]
    assert tokens.forms == [
        {"grant_type": ["client_credentials"], "client_id": ["cid"], "client_secret": ["s3cret"]}
    ]


def test_items_are_spliced_in_verbatim() -> None:
    item = '{"Z":"Ánh","A":1}'
    body = push_body(batch(item, item))
    assert body == ('{"MaDonVi":"000.00.01.H01","DanhSach":[' + item + "," + item + "]}").encode()


def test_result_mapping(gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient) -> None:
    loi = [{"Truong": "NgayHenTra", "MoTa": "truoc NgayTiepNhan"}]
    script(
        gw,
        clock,
        DONGBO,
        ok(
            entry(MA1, "unchanged", PhienBan="abc"),
            entry(MA2, "rejected", PhienBan="def", Loi=loi),
        ),
    )
    first, second = client.push(batch(dossier(MA1), dossier(MA2)))
    assert (first.outcome, first.phien_ban, first.errors) == ("unchanged", "abc", ())
    assert second.outcome == "rejected"
    assert second.errors[0].truong == "NgayHenTra"
    assert second.errors[0].mo_ta == "truoc NgayTiepNhan"
    assert not second.waits_for_dossier


def test_stale_is_reported(gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient) -> None:
    script(gw, clock, DONGBO, ok(entry(MA1, "stale")))
    assert client.push(batch(dossier(MA1)))[0].outcome == "stale"


def test_events_path_stt_and_khong_ton_tai(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    missing = [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}]
    handler = script(
        gw,
        clock,
        TIENDO,
        ok(
            {"MaHoSo": MA1, "STT": "1", "KetQua": "created", "Loi": []},
            {"MaHoSo": MA1, "KetQua": "unchanged"},
            {"MaHoSo": MA2, "STT": "1", "KetQua": "rejected", "Loi": missing},
        ),
    )
    results = client.push(batch(event(MA1, 1), event(MA1, 2), event(MA2, 1), kind="events"))
    assert handler.requests[0].url.path == "/lgsp" + TIENDO
    assert [(r.ma_ho_so, r.stt, r.outcome) for r in results] == [
        (MA1, "1", "created"),
        (MA1, "2", "unchanged"),
        (MA2, "1", "rejected"),
    ]
    assert [r.waits_for_dossier for r in results] == [False, False, True]


@pytest.mark.parametrize(
    "reply",
    [
        ok(entry(MA1)),
        ok(entry(MA1), entry(MA2), entry(MA2)),
        ok(entry(MA2), entry(MA1)),
        ok(entry(MA1), entry(MA2, "accepted")),
        ok(entry(MA1), entry(MA2, Loi="bad")),
        httpx.Response(200, json={"error_code": "7", "message": "loi", "KetQua": []}),
        httpx.Response(200, json={"error_code": "0", "KetQua": "nope"}),
        httpx.Response(200, text="<html>ok</html>"),
        httpx.Response(200, json=[1, 2]),
    ],
    ids=[
        "too-few",
        "too-many",
        "out-of-order",
        "unknown-outcome",
        "bad-loi",
        "error-code",
        "ketqua-not-list",
        "not-json",
        "not-object",
    ],
)
def test_unusable_reply_is_a_protocol_error(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, reply: httpx.Response
) -> None:
    handler = script(gw, clock, DONGBO, reply)
    with pytest.raises(UpstreamProtocolError):
        client.push(batch(dossier(MA1), dossier(MA2)))
    assert len(handler.seen) == 1
    assert clock.sleeps == []


def test_empty_batch_sends_nothing(gw: respx.MockRouter, client: LgspRestClient) -> None:
    assert client.push(batch()) == []
    assert client.request_count == 0


@pytest.mark.parametrize("key", ["short", "k" * 129])
def test_bad_idempotency_key_is_refused_locally(client: LgspRestClient, key: str) -> None:
    with pytest.raises(UpstreamProtocolError):
        client.push(batch(dossier(MA1), key=key))
    assert client.request_count == 0


# --- the token -------------------------------------------------------------------------------


def test_token_cached_across_calls(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, tokens: Tokens
) -> None:
    handler = script(gw, clock, DONGBO, ok(entry(MA1)), repeat_last=True)
    for n in range(3):
        client.push(batch(dossier(MA1), key=f"batch-key-{n}"))
    assert len(tokens.forms) == 1
    assert {r.headers["Authorization"] for r in handler.requests} == {"Bearer tok-1"}


def test_token_renewed_shortly_before_expiry(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, tokens: Tokens
) -> None:
    handler = script(gw, clock, DONGBO, ok(entry(MA1)), repeat_last=True)
    client.push(batch(dossier(MA1)))
    clock.now += timedelta(seconds=3600 - 29)
    client.push(batch(dossier(MA1)))
    assert [r.headers["Authorization"] for r in handler.requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_401_invalid_token_renews_and_repeats_once(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, tokens: Tokens
) -> None:
    request = batch(dossier(MA1))
    handler = script(gw, clock, DONGBO, status(401, error="invalid_token"), ok(entry(MA1)))
    assert client.push(request)[0].outcome == "created"
    first, second = handler.requests
    assert first.headers["Authorization"] == "Bearer tok-1"
    assert second.headers["Authorization"] == "Bearer tok-2"
    assert second.headers["Idempotency-Key"] == first.headers["Idempotency-Key"] == KEY
    assert second.content == first.content == push_body(request)
    assert len(tokens.forms) == 2
    assert clock.sleeps == []


def test_second_invalid_token_in_a_row_is_unavailable(
    gw: respx.MockRouter, clock: FakeTime, tokens: Tokens
) -> None:
    refused = status(401, error="invalid_token")
    handler = script(gw, clock, DONGBO, refused, refused)
    with (
        LgspRestClient(
            BASE, "cid", "x", policy=RetryPolicy(max_attempts=1), clock=clock.clock
        ) as c,
        pytest.raises(UpstreamUnavailable),
    ):
        c.push(batch(dossier(MA1)))
    assert len(handler.seen) == 2
    assert len(tokens.forms) == 2


def test_401_invalid_token_twice_then_retried_by_the_runner(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    refused = status(401, error="invalid_token")
    handler = script(gw, clock, DONGBO, refused, refused, ok(entry(MA1)))
    assert client.push(batch(dossier(MA1)))[0].outcome == "created"
    assert len(handler.seen) == 3
    assert len(clock.sleeps) == 1


def test_401_invalid_client_is_a_configuration_error(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    handler = script(gw, clock, DONGBO, status(401, error="invalid_client"))
    with pytest.raises(UpstreamAuthError):
        client.push(batch(dossier(MA1)))
    assert len(handler.seen) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (status(401, error="invalid_client"), UpstreamAuthError),
        (status(400, error="invalid_client"), UpstreamAuthError),
        (status(403, error="unauthorized_client"), UpstreamAuthError),
        (status(400, error="invalid_request"), UpstreamProtocolError),
    ],
)
def test_token_endpoint_refusal_is_not_retried(
    clock: FakeTime, client: LgspRestClient, reply: httpx.Response, error: type[IgateSyncError]
) -> None:
    with respx.mock(base_url=BASE) as router:
        token = router.post("/token").mock(return_value=reply)
        with pytest.raises(error):
            client.push(batch(dossier(MA1)))
    assert token.call_count == 1
    assert clock.sleeps == []


def test_token_endpoint_trouble_is_retried(clock: FakeTime, client: LgspRestClient) -> None:
    good = httpx.Response(200, json={"access_token": "t", "expires_in": "600"})
    with respx.mock(base_url=BASE) as router:
        router.post("/token").mock(side_effect=[status(503), httpx.ConnectError("down"), good])
        router.post(DONGBO).mock(return_value=ok(entry(MA1)))
        assert client.push(batch(dossier(MA1)))[0].outcome == "created"
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    "body", [{"token_type": "Bearer"}, {"access_token": "t", "expires_in": "soon"}]
)
def test_bad_token_reply_is_a_protocol_error(
    clock: FakeTime, client: LgspRestClient, body: dict[str, Any]
) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/token").mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(UpstreamProtocolError):
            client.get_dossier(MA1)


# --- the error table -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, UpstreamProtocolError),
        (403, UpstreamForbidden),
        (404, UpstreamProtocolError),
        (413, BatchTooLarge),
        (422, UpstreamProtocolError),
        (418, UpstreamProtocolError),
    ],
)
def test_never_retried(
    gw: respx.MockRouter,
    clock: FakeTime,
    client: LgspRestClient,
    code: int,
    error: type[IgateSyncError],
) -> None:
    handler = script(gw, clock, DONGBO, status(code), ok(entry(MA1)))
    with pytest.raises(error):
        client.push(batch(dossier(MA1)))
    assert len(handler.seen) == 1
    assert clock.sleeps == []


def test_422_names_the_reason(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    script(gw, clock, DONGBO, status(422, error_code="IDEMPOTENCY_KEY_REUSED"))
    with pytest.raises(UpstreamProtocolError, match="IDEMPOTENCY_KEY_REUSED"):
        client.push(batch(dossier(MA1)))


def retry_after_http_date(seconds: int) -> str:
    return format_datetime(START + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("code", "retry_after", "wait_s"),
    [
        (429, "7", 7),
        (429, retry_after_http_date(20), 20),
        (503, "3", 3),
        (503, retry_after_http_date(60), 60),
    ],
)
def test_retry_after_is_honoured(
    gw: respx.MockRouter,
    clock: FakeTime,
    client: LgspRestClient,
    code: int,
    retry_after: str,
    wait_s: int,
) -> None:
    request = batch(dossier(MA1))
    handler = script(gw, clock, DONGBO, status(code, retry_after), ok(entry(MA1)))
    assert client.push(request)[0].outcome == "created"
    (first_at, _), (second_at, _) = handler.seen
    assert clock.sleeps[0] >= wait_s
    assert second_at - first_at >= timedelta(seconds=wait_s)
    assert_same_request_every_time(handler, push_body(request))


@pytest.mark.parametrize(
    ("code", "retry_after"), [(429, "120"), (503, retry_after_http_date(3600)), (500, "61")]
)
def test_retry_after_beyond_the_inline_limit_goes_up(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, code: int, retry_after: str
) -> None:
    handler = script(gw, clock, DONGBO, status(code, retry_after), ok(entry(MA1)))
    with pytest.raises(UpstreamUnavailable) as caught:
        client.push(batch(dossier(MA1)))
    assert caught.value.not_before is not None
    assert caught.value.not_before > START + timedelta(seconds=60)
    assert len(handler.seen) == 1
    assert clock.sleeps == []


def test_no_request_before_a_known_deadline(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    pushes = script(gw, clock, DONGBO, status(429, "300"), ok(entry(MA1)))
    reads = script(gw, clock, f"/api/v1/hoso/{MA1}", httpx.Response(404))
    with pytest.raises(UpstreamUnavailable):
        client.push(batch(dossier(MA1)))
    clock.now += timedelta(seconds=200)
    with pytest.raises(UpstreamUnavailable) as caught:
        client.get_dossier(MA1)
    assert caught.value.not_before == START + timedelta(seconds=300)
    assert (len(pushes.seen), len(reads.seen), clock.sleeps) == (1, 0, [])
    clock.now += timedelta(seconds=100)
    assert client.push(batch(dossier(MA1)))[0].outcome == "created"


def test_known_deadline_within_the_inline_limit_is_slept_through(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    script(gw, clock, DONGBO, status(429, "90"))
    reads = script(gw, clock, f"/api/v1/hoso/{MA1}", httpx.Response(404))
    with pytest.raises(UpstreamUnavailable):
        client.push(batch(dossier(MA1)))
    clock.now += timedelta(seconds=50)
    assert client.get_dossier(MA1) is None
    assert clock.sleeps[0] >= 40
    assert reads.seen[0][0] >= START + timedelta(seconds=90)


def test_retry_after_deadline_is_exact(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    script(gw, clock, DONGBO, status(429, "120"))
    with pytest.raises(UpstreamUnavailable) as caught:
        client.push(batch(dossier(MA1)))
    assert caught.value.not_before == START + timedelta(seconds=120)


@pytest.mark.parametrize("code", [429, 500, 502, 503, 504, 520])
def test_retried_with_backoff_same_key_same_body(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, code: int
) -> None:
    request = batch(dossier(MA1), dossier(MA2))
    policy = RetryPolicy()
    handler = script(
        gw, clock, DONGBO, status(code), status(code), status(code), ok(entry(MA1), entry(MA2))
    )
    assert len(client.push(request)) == 2
    assert len(handler.seen) == 4
    assert len(clock.sleeps) == 3
    for attempt, wait in enumerate(clock.sleeps, start=1):
        assert 0.0 <= wait <= policy.backoff_cap_s(attempt)
    assert_same_request_every_time(handler, push_body(request))


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_persistent_trouble_ends_in_unavailable(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, code: int
) -> None:
    request = batch(dossier(MA1))
    handler = script(gw, clock, DONGBO, status(code), repeat_last=True)
    with pytest.raises(UpstreamUnavailable) as caught:
        client.push(request)
    assert caught.value.not_before is None
    assert len(handler.seen) == 5
    assert len(clock.sleeps) == 4
    assert_same_request_every_time(handler, push_body(request))


NETWORK_ERRORS = [
    httpx.ConnectTimeout("connect timed out"),
    httpx.ReadTimeout("read timed out"),
    httpx.RemoteProtocolError("peer closed connection"),
    httpx.ReadError("connection reset"),
    httpx.ConnectError("refused"),
]


@pytest.mark.parametrize("error", NETWORK_ERRORS, ids=lambda e: type(e).__name__)
def test_network_failure_retried_then_unavailable(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, error: Exception
) -> None:
    request = batch(dossier(MA1))
    handler = script(gw, clock, DONGBO, error, repeat_last=True)
    with pytest.raises(UpstreamUnavailable) as caught:
        client.push(request)
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert len(handler.seen) == 5
    assert len(clock.sleeps) == 4
    assert_same_request_every_time(handler, push_body(request))


@pytest.mark.parametrize("error", NETWORK_ERRORS, ids=lambda e: type(e).__name__)
def test_network_failure_then_success(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, error: Exception
) -> None:
    request = batch(dossier(MA1))
    handler = script(gw, clock, DONGBO, error, ok(entry(MA1, "unchanged")))
    assert client.push(request)[0].outcome == "unchanged"
    assert_same_request_every_time(handler, push_body(request))


def test_client_uses_an_explicit_timeout() -> None:
    with LgspRestClient(BASE, "cid", "x", timeout_s=2.5) as c:
        assert c._http.timeout == httpx.Timeout(2.5)


@pytest.mark.parametrize("base_url", ["ftp://gw.test", "not a url", "https://"])
def test_bad_base_url_is_a_config_error(base_url: str) -> None:
    with pytest.raises(ConfigError):
        LgspRestClient(base_url, "cid", "x")


def test_retries_do_not_log_bodies(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    script(gw, clock, DONGBO, status(502), httpx.ReadTimeout("slow"), ok(entry(MA1)))
    with capture_logs() as logs:
        client.push(batch(dossier(MA1)))
    assert [entry["event"] for entry in logs] == ["upstream.retry", "upstream.retry"]
    assert OWNER not in repr(logs)
    assert MA1 not in repr(logs)


# --- reads -----------------------------------------------------------------------------------


def test_get_dossier(gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient) -> None:
    stored = json.loads(dossier(MA1))
    handler = script(
        gw, clock, f"/api/v1/hoso/{MA1}", status(500), httpx.Response(200, json=stored)
    )
    assert client.get_dossier(MA1) == stored
    assert handler.requests[-1].headers["Authorization"] == "Bearer tok-1"
    assert len(clock.sleeps) == 1


def test_get_missing_dossier(gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient) -> None:
    script(gw, clock, f"/api/v1/hoso/{MA1}", httpx.Response(404, json={"error_code": "404"}))
    assert client.get_dossier(MA1) is None
    assert clock.sleeps == []


def listing_row(ma: str, ngay: str, events: int) -> dict[str, Any]:
    return {
        "MaHoSo": ma,
        "PhienBan": "p" + ma[-1],
        "TrangThaiHoSo": "4",
        "NgayCapNhat": ngay,
        "SoTienTrinh": events,
    }


def page(rows: list[dict[str, Any]], next_page: str) -> httpx.Response:
    return httpx.Response(200, json={"TongSo": 5, "DanhSach": rows, "TrangTiep": next_page})


def test_listing_follows_pages_with_filters(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    handler = script(
        gw,
        clock,
        "/api/v1/hoso",
        page([listing_row(MA1, "20240301080000", 2), listing_row(MA2, "20240301090000", 0)], "p2"),
        status(503, "1"),
        page([listing_row("000.00.01.H01-240301-0003", "20240301100000", "1")], "p3"),  # type: ignore[arg-type]
        page([listing_row("000.00.01.H01-240301-0004", "20240301110000", 0)], ""),
    )
    since = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    until = datetime(2024, 3, 2, 12, 30, tzinfo=timezone(timedelta(hours=7)))
    listing = client.list_dossiers("000.00.01.H01", since=since, until=until)
    first = next(listing)
    assert len(handler.seen) == 1  # one page at a time
    rows = [first, *listing]
    assert [r.ma_ho_so[-4:] for r in rows] == ["0001", "0002", "0003", "0004"]
    assert rows[0] == ListedDossier(MA1, "p1", "4", "20240301080000", 2)
    assert rows[2].so_tien_trinh == 1
    queries = [dict(r.url.params) for r in handler.requests]
    common = {
        "MaDonVi": "000.00.01.H01",
        "CapNhatTu": "20240301070000",
        "CapNhatDen": "20240302123000",
        "SoLuong": "1000",
    }
    assert queries == [
        common,
        {**common, "TrangTiep": "p2"},
        {**common, "TrangTiep": "p2"},
        {
            **common,
            "TrangTiep": "p3",
        },
    ]


def test_listing_without_time_filters(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient
) -> None:
    handler = script(gw, clock, "/api/v1/hoso", page([], ""))
    assert list(client.list_dossiers("000.00.01.H01")) == []
    assert dict(handler.requests[0].url.params) == {"MaDonVi": "000.00.01.H01", "SoLuong": "1000"}


@pytest.mark.parametrize(
    "reply",
    [
        page([listing_row(MA1, "20240301080000", 0)], "same"),
        httpx.Response(200, json={"TrangTiep": ""}),
        page([{"PhienBan": "x"}], ""),
        page([listing_row(MA1, "20240301080000", "many")], ""),  # type: ignore[arg-type]
    ],
    ids=["repeated-page-token", "no-rows", "row-without-ma", "bad-count"],
)
def test_unusable_listing_is_a_protocol_error(
    gw: respx.MockRouter, clock: FakeTime, client: LgspRestClient, reply: httpx.Response
) -> None:
    script(gw, clock, "/api/v1/hoso", reply, reply, repeat_last=True)
    with pytest.raises(UpstreamProtocolError):
        list(client.list_dossiers("000.00.01.H01", since=START))


def test_wire_time() -> None:
    assert wire_time(datetime(2021, 3, 11, 1, 30, tzinfo=UTC)) == "20210311083000"
    with pytest.raises(ValueError, match="aware"):
        wire_time(datetime(2021, 3, 11, 1, 30))  # noqa: DTZ001
