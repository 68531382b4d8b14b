"""The dvcqg-adapter client against respx: login, session renewal, create/update, lost replies."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

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
from igate_sync.upstream.base import Gateway, PushRequest
from igate_sync.upstream.dvcqg import DvcqgAdapterClient, service_body
from igate_sync.upstream.retry import RetryPolicy
from tests.unit.upstream.test_retry import START, FakeTime

BASE = "https://gw.test/dvcqg"
AGENCY = "000.00.01.H01"
DSTCODE = "000.00.00.G22"
OWNER = "Nguyễn Thị Ánh"
MA1 = f"{AGENCY}-240301-0001"
MA2 = f"{AGENCY}-240301-0002"
MA3 = f"{AGENCY}-240301-0003"

Step = httpx.Response | Exception


def dossier(ma: str, ngay: str = "20240301080000", status: str = "2") -> str:
    content = {"MaHoSo": ma, "ChuHoSo": OWNER, "TrangThaiHoSo": status, "DanhSachLePhi": []}
    return wire_dossier_json(content, ngay_cap_nhat=ngay, version=phien_ban(content))


def version(item: str) -> str:
    return str(json.loads(item)["PhienBan"])


def event(ma: str, stt: int) -> str:
    return json.dumps({"MaHoSo": ma, "STT": str(stt), "NoiDungXuLy": "Tiếp nhận"})


def batch(*items: str, kind: str = "dossiers") -> PushRequest:
    return PushRequest(kind=kind, idempotency_key="batch-0001", ma_don_vi=AGENCY, items=items)  # type: ignore[arg-type]


def reply(code: str | int = "0", message: str = "OK", result: Any = None) -> httpx.Response:
    body = {"error_code": code, "message": message, "result": [] if result is None else result}
    return httpx.Response(200, json=body)


def entry(ma: str, outcome: str = "created", **extra: Any) -> dict[str, Any]:
    return {"MaHoSo": ma, "PhienBan": "v", "KetQua": outcome, "Loi": [], **extra}


def held(ma: str) -> dict[str, Any]:
    return entry(ma, "rejected", Loi=[{"Truong": "MaHoSo", "MoTa": "DA_TON_TAI"}])


def exists(*entries: dict[str, Any], message: str = "1 hồ sơ đã tồn tại") -> httpx.Response:
    return reply("3", message, list(entries))


def found(item: str) -> httpx.Response:
    return reply(result=[json.loads(item)])


NOT_FOUND = reply(result=[])
SESSION_EXPIRED = reply("-1", "Phiên làm việc (session) không hợp lệ hoặc đã hết hạn")


class Login:
    """The login endpoint: sess-1, sess-2, ... unless scripted otherwise."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.steps:
            step = self.steps.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        return httpx.Response(200, json={"error_code": 0, "session": f"sess-{len(self.requests)}"})


class Adapter:
    """/integration: per-service queues of replies or exceptions; records each call."""

    def __init__(self, clock: FakeTime) -> None:
        self.clock = clock
        self.script: dict[str, list[Step]] = defaultdict(list)
        self.seen: list[tuple[datetime, httpx.Request, dict[str, Any]]] = []

    def on(self, service: str, *steps: Step) -> None:
        self.script[service].extend(steps)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.seen.append((self.clock.now, request, body))
        queue = self.script[body["service"]]
        assert queue, f"unexpected {body['service']} call"
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def bodies(self, service: str | None = None) -> list[dict[str, Any]]:
        return [b for _, _, b in self.seen if service is None or b["service"] == service]

    def sent(self, service: str = "DongBoHoSoMC") -> list[tuple[str, list[str]]]:
        """(isUpdating, [MaHoSo, ...]) of each call of the service."""
        return [
            (b.get("isUpdating", ""), [item["MaHoSo"] for item in b["data"]])
            for b in self.bodies(service)
        ]

    def lookups(self) -> list[str]:
        return [b["MaHoSo"] for b in self.bodies("TraCuuHoSo")]


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def login() -> Login:
    return Login()


@pytest.fixture
def adapter(clock: FakeTime) -> Adapter:
    return Adapter(clock)


@pytest.fixture
def gw(login: Login, adapter: Adapter) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/login", name="login").mock(side_effect=login)
        router.post("/integration", name="integration").mock(side_effect=adapter)
        yield router


def make_client(clock: FakeTime, **kwargs: Any) -> DvcqgAdapterClient:
    return DvcqgAdapterClient(
        BASE,
        "xa-ea-yieng",
        "s3cret",
        DSTCODE,
        clock=clock.clock,
        sleep=clock.sleep,
        rng=random.Random(3),
        **kwargs,
    )


@pytest.fixture
def client(clock: FakeTime, gw: respx.MockRouter) -> Iterator[DvcqgAdapterClient]:
    with make_client(clock) as c:
        yield c


def outcomes(results: list[Any]) -> list[tuple[str, str]]:
    return [(r.ma_ho_so, r.outcome) for r in results]


def test_satisfies_the_gateway_port(client: DvcqgAdapterClient) -> None:
    port: Gateway = client
    assert port is client


# --- login and the session -------------------------------------------------------------------


def test_login_then_the_service_envelope(
    client: DvcqgAdapterClient, login: Login, adapter: Adapter
) -> None:
    item = dossier(MA1)
    adapter.on("DongBoHoSoMC", reply(result=[entry(MA1)]))
    assert outcomes(client.push(batch(item))) == [(MA1, "created")]
    [sent_login] = login.requests
    assert sent_login.url == f"{BASE}/login"
    assert sent_login.headers["dstcode"] == DSTCODE
    assert sent_login.headers["Content-Type"] == "application/json"
    assert json.loads(sent_login.content) == {"username": "xa-ea-yieng", "password": "s3cret"}
    [(_, request, body)] = adapter.seen
    assert request.url == f"{BASE}/integration"
    assert request.headers["dstcode"] == DSTCODE
    assert body == {
        "session": "sess-1",
        "madonvi": AGENCY,
        "service": "DongBoHoSoMC",
        "isUpdating": "False",
        "data": [json.loads(item)],
    }
    assert item.encode() in request.content  # spliced in verbatim


def test_service_body_splices_members_verbatim() -> None:
    body = service_body("s", AGENCY, "CapNhatTienDoHoSoMC", '"data":[{"Z":"Ánh","A":1}]')
    expected = (
        '{"session": "s", "madonvi": "000.00.01.H01", "service": "CapNhatTienDoHoSoMC",'
        '"data":[{"Z":"Ánh","A":1}]}'
    )
    assert body == expected.encode()


def test_session_is_kept_across_calls(
    client: DvcqgAdapterClient, login: Login, adapter: Adapter
) -> None:
    adapter.on("TraCuuHoSo", NOT_FOUND, NOT_FOUND, NOT_FOUND)
    for _ in range(3):
        assert client.get_dossier(MA1) is None
    assert len(login.requests) == 1
    assert {b["session"] for b in adapter.bodies()} == {"sess-1"}


@pytest.mark.parametrize(
    "refusal",
    [SESSION_EXPIRED, reply(-1, "Session expired"), httpx.Response(401)],
    ids=["text-code", "int-code", "http-401"],
)
def test_refused_session_logs_in_again_and_repeats_once(
    client: DvcqgAdapterClient,
    login: Login,
    adapter: Adapter,
    clock: FakeTime,
    refusal: httpx.Response,
) -> None:
    adapter.on("DongBoHoSoMC", refusal, reply(result=[entry(MA1)]))
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, "created")]
    first, second = adapter.bodies()
    assert (first["session"], second["session"]) == ("sess-1", "sess-2")
    assert first["data"] == second["data"]
    assert len(login.requests) == 2
    assert clock.sleeps == []


def test_refused_fresh_session_is_unavailable(
    login: Login, adapter: Adapter, clock: FakeTime, gw: respx.MockRouter
) -> None:
    adapter.on("TraCuuHoSo", SESSION_EXPIRED, SESSION_EXPIRED)
    with (
        make_client(clock, policy=RetryPolicy(max_attempts=1)) as c,
        pytest.raises(UpstreamUnavailable),
    ):
        c.get_dossier(MA1)
    assert len(adapter.seen) == 2
    assert len(login.requests) == 2


def test_minus_one_without_session_is_a_protocol_error(
    client: DvcqgAdapterClient, login: Login, adapter: Adapter
) -> None:
    adapter.on("TraCuuHoSo", reply("-1", "lỗi hệ thống"))
    with pytest.raises(UpstreamProtocolError, match="'-1'"):
        client.get_dossier(MA1)
    assert len(login.requests) == 1


@pytest.mark.parametrize(
    "refusal",
    [
        reply("-2", "Sai tên đăng nhập hoặc mật khẩu"),
        httpx.Response(200, json={"error_code": 1, "message": "dstcode"}),
        httpx.Response(401, json={"error": "invalid_client"}),
        httpx.Response(403),
    ],
    ids=["error-code", "int-error-code", "http-401", "http-403"],
)
def test_refused_login_is_an_auth_error_not_retried(
    clock: FakeTime, adapter: Adapter, refusal: httpx.Response
) -> None:
    with make_client(clock) as c, respx.mock(base_url=BASE) as router:
        route = router.post("/login").mock(return_value=refusal)
        with pytest.raises(UpstreamAuthError):
            c.get_dossier(MA1)
    assert route.call_count == 1
    assert adapter.seen == []
    assert clock.sleeps == []


def test_login_trouble_is_retried(clock: FakeTime, adapter: Adapter) -> None:
    adapter.on("TraCuuHoSo", NOT_FOUND)
    login = Login(httpx.Response(503), httpx.ConnectError("down"))
    with make_client(clock) as c, respx.mock(base_url=BASE) as router:
        router.post("/login").mock(side_effect=login)
        router.post("/integration").mock(side_effect=adapter)
        assert c.get_dossier(MA1) is None
    assert len(login.requests) == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    "body",
    [{"error_code": 0}, {"error_code": "0", "session": ""}, {"session": "s"}, [0]],
    ids=["no-session", "empty-session", "no-error-code", "not-object"],
)
def test_unusable_login_reply_is_a_protocol_error(clock: FakeTime, body: Any) -> None:
    with make_client(clock) as c, respx.mock(base_url=BASE) as router:
        router.post("/login").mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(UpstreamProtocolError):
            c.get_dossier(MA1)
    assert clock.sleeps == []


# --- DongBoHoSoMC: create, then update what the gateway holds --------------------------------


def test_result_mapping(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    loi = [{"Truong": "NgayHenTra", "MoTa": "TRUOC_NGAY_TIEP_NHAN"}]
    adapter.on(
        "DongBoHoSoMC",
        reply(result=[entry(MA1, PhienBan="abc"), entry(MA2, "rejected", PhienBan="d", Loi=loi)]),
    )
    first, second = client.push(batch(dossier(MA1), dossier(MA2)))
    assert (first.outcome, first.phien_ban) == ("created", "abc")
    assert second.outcome == "rejected"
    assert (second.errors[0].truong, second.errors[0].mo_ta) == (
        "NgayHenTra",
        "TRUOC_NGAY_TIEP_NHAN",
    )


def test_da_ton_tai_resends_only_the_held_ones_as_updates(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime
) -> None:
    items = (dossier(MA1), dossier(MA2), dossier(MA3))
    adapter.on(
        "DongBoHoSoMC",
        exists(held(MA1), entry(MA2), held(MA3), message="2 hồ sơ Đã tồn tại"),
        reply(result=[entry(MA1, "updated"), entry(MA3, "stale")]),
    )
    results = client.push(batch(*items))
    assert outcomes(results) == [(MA1, "updated"), (MA2, "created"), (MA3, "stale")]
    assert adapter.sent() == [("False", [MA1, MA2, MA3]), ("True", [MA1, MA3])]
    assert adapter.bodies()[1]["data"] == [json.loads(items[0]), json.loads(items[2])]
    assert adapter.lookups() == []
    assert clock.sleeps == []


@pytest.mark.parametrize("outcome", ["updated", "unchanged", "stale"])
def test_update_outcomes(client: DvcqgAdapterClient, adapter: Adapter, outcome: str) -> None:
    adapter.on("DongBoHoSoMC", exists(held(MA1)), reply(result=[entry(MA1, outcome)]))
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, outcome)]


def test_bare_da_ton_tai_for_one_dossier(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    adapter.on(
        "DongBoHoSoMC",
        reply("3", "Hồ sơ đã tồn tại"),
        reply(result=[entry(MA1, "updated")]),
    )
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, "updated")]
    assert adapter.sent() == [("False", [MA1]), ("True", [MA1])]


def test_update_of_a_vanished_dossier_waits_for_it(
    client: DvcqgAdapterClient, adapter: Adapter
) -> None:
    missing = [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}]
    adapter.on(
        "DongBoHoSoMC", exists(held(MA1)), reply(result=[entry(MA1, "rejected", Loi=missing)])
    )
    [result] = client.push(batch(dossier(MA1)))
    assert result.waits_for_dossier
    assert len(adapter.seen) == 2


@pytest.mark.parametrize(
    "answer",
    [
        reply("3", "Hồ sơ đã tồn tại"),
        reply("3", "lỗi khác", [held(MA1), entry(MA2)]),
        exists(held(MA1)),
        reply(result=[entry(MA2), entry(MA1)]),
        reply(result=[entry(MA1), entry(MA2, "accepted")]),
        reply(result="nope"),
        reply(result=[entry(MA1), entry(MA2, Loi="bad")]),
        httpx.Response(200, json={"message": "OK", "result": []}),
        httpx.Response(200, text="<html>ok</html>"),
        httpx.Response(400),
        httpx.Response(404),
    ],
    ids=[
        "bare-3-for-two",
        "3-without-da-ton-tai",
        "too-few",
        "out-of-order",
        "unknown-outcome",
        "result-not-list",
        "bad-loi",
        "no-error-code",
        "not-json",
        "http-400",
        "http-404",
    ],
)
def test_unusable_push_reply_is_a_protocol_error(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime, answer: httpx.Response
) -> None:
    adapter.on("DongBoHoSoMC", answer)
    with pytest.raises(UpstreamProtocolError):
        client.push(batch(dossier(MA1), dossier(MA2)))
    assert len(adapter.seen) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (reply("1", "Thiếu trường"), UpstreamProtocolError),
        (reply("2", "Mã đơn vị"), UpstreamForbidden),
        (reply("4", "Tối đa 100 mục"), BatchTooLarge),
        (reply("99", "?"), UpstreamProtocolError),
        (httpx.Response(403), UpstreamForbidden),
        (httpx.Response(413), BatchTooLarge),
    ],
)
def test_error_codes_are_never_retried(
    client: DvcqgAdapterClient,
    adapter: Adapter,
    clock: FakeTime,
    answer: httpx.Response,
    error: type[IgateSyncError],
) -> None:
    adapter.on("DongBoHoSoMC", answer)
    with pytest.raises(error):
        client.push(batch(dossier(MA1)))
    assert len(adapter.seen) == 1
    assert clock.sleeps == []


def test_empty_batch_sends_nothing(client: DvcqgAdapterClient, login: Login) -> None:
    assert client.push(batch()) == []
    assert client.request_count == 0
    assert login.requests == []


def test_item_that_is_not_an_object_is_refused_locally(client: DvcqgAdapterClient) -> None:
    with pytest.raises(UpstreamProtocolError):
        client.push(batch("[1]"))
    assert client.request_count == 0


# --- lost replies: look up before resending --------------------------------------------------

LOST = [
    httpx.ReadTimeout("read timed out"),
    httpx.RemoteProtocolError("peer closed connection"),
    httpx.ReadError("connection reset"),
    httpx.WriteTimeout("write timed out"),
    httpx.Response(500),
    httpx.Response(502, text="<html>502</html>"),
    httpx.Response(504),
]
LOST_IDS = ["ReadTimeout", "RemoteProtocolError", "ReadError", "WriteTimeout", "500", "502", "504"]


@pytest.mark.parametrize("lost", LOST, ids=LOST_IDS)
def test_lost_reply_then_already_applied_is_not_resent(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime, lost: Step
) -> None:
    item = dossier(MA1)
    adapter.on("DongBoHoSoMC", lost)
    adapter.on("TraCuuHoSo", found(item))
    [result] = client.push(batch(item))
    assert (result.ma_ho_so, result.outcome, result.phien_ban) == (MA1, "unchanged", version(item))
    assert adapter.sent() == [("False", [MA1])]
    assert adapter.lookups() == [MA1]
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize("lost", LOST, ids=LOST_IDS)
def test_lost_reply_then_not_applied_is_resent(
    client: DvcqgAdapterClient, adapter: Adapter, lost: Step
) -> None:
    adapter.on("DongBoHoSoMC", lost, reply(result=[entry(MA1)]))
    adapter.on("TraCuuHoSo", NOT_FOUND)
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, "created")]
    assert adapter.sent() == [("False", [MA1]), ("False", [MA1])]
    assert [b["service"] for b in adapter.bodies()] == [
        "DongBoHoSoMC",
        "TraCuuHoSo",
        "DongBoHoSoMC",
    ]


def test_lost_reply_with_another_version_held_resends_as_update(
    client: DvcqgAdapterClient, adapter: Adapter
) -> None:
    older = dossier(MA1, ngay="20240229080000", status="1")
    adapter.on("DongBoHoSoMC", httpx.ReadTimeout("slow"), reply(result=[entry(MA1, "updated")]))
    adapter.on("TraCuuHoSo", found(older))
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, "updated")]
    assert adapter.sent() == [("False", [MA1]), ("True", [MA1])]


def test_lost_reply_of_the_update_is_looked_up_too(
    client: DvcqgAdapterClient, adapter: Adapter
) -> None:
    item = dossier(MA1)
    adapter.on("DongBoHoSoMC", exists(held(MA1)), httpx.RemoteProtocolError("dropped"))
    adapter.on("TraCuuHoSo", found(item))
    assert outcomes(client.push(batch(item))) == [(MA1, "unchanged")]
    assert adapter.sent() == [("False", [MA1]), ("True", [MA1])]


def test_lost_reply_settles_each_dossier_by_its_lookup(
    client: DvcqgAdapterClient, adapter: Adapter
) -> None:
    items = (dossier(MA1), dossier(MA2), dossier(MA3))
    adapter.on(
        "DongBoHoSoMC",
        httpx.ReadTimeout("slow"),
        reply(result=[entry(MA2)]),
        reply(result=[entry(MA3, "updated")]),
    )
    adapter.on(
        "TraCuuHoSo",
        found(items[0]),
        NOT_FOUND,
        found(dossier(MA3, ngay="20240101000000", status="1")),
    )
    results = client.push(batch(*items))
    assert outcomes(results) == [(MA1, "unchanged"), (MA2, "created"), (MA3, "updated")]
    assert adapter.lookups() == [MA1, MA2, MA3]
    assert adapter.sent() == [("False", [MA1, MA2, MA3]), ("False", [MA2]), ("True", [MA3])]


def test_settled_items_are_not_resent_after_a_later_lost_reply(
    client: DvcqgAdapterClient, adapter: Adapter
) -> None:
    adapter.on(
        "DongBoHoSoMC",
        exists(entry(MA1), held(MA2)),
        httpx.ReadError("reset"),
        reply(result=[entry(MA2, "updated")]),
    )
    adapter.on("TraCuuHoSo", found(dossier(MA2, status="1")))
    assert outcomes(client.push(batch(dossier(MA1), dossier(MA2)))) == [
        (MA1, "created"),
        (MA2, "updated"),
    ]
    assert adapter.lookups() == [MA2]
    assert adapter.sent() == [("False", [MA1, MA2]), ("True", [MA2]), ("True", [MA2])]


def test_failed_lookup_is_repeated_before_any_resend(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime
) -> None:
    item = dossier(MA1)
    adapter.on("DongBoHoSoMC", httpx.ReadTimeout("slow"))
    adapter.on("TraCuuHoSo", httpx.Response(503), httpx.ReadError("reset"), found(item))
    assert outcomes(client.push(batch(item))) == [(MA1, "unchanged")]
    assert adapter.sent() == [("False", [MA1])]
    assert adapter.lookups() == [MA1, MA1, MA1]
    assert len(clock.sleeps) == 3


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.Response(429),
        httpx.Response(503),
    ],
    ids=["ConnectError", "ConnectTimeout", "429", "503"],
)
def test_not_taken_is_resent_without_lookup(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime, refusal: Step
) -> None:
    adapter.on("DongBoHoSoMC", refusal, reply(result=[entry(MA1)]))
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, "created")]
    assert adapter.lookups() == []
    first, second = adapter.seen
    assert first[1].content == second[1].content
    assert len(clock.sleeps) == 1


def test_persistent_lost_replies_end_in_unavailable(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime
) -> None:
    adapter.on("DongBoHoSoMC", *(httpx.ReadTimeout("slow") for _ in range(5)))
    adapter.on("TraCuuHoSo", *(NOT_FOUND for _ in range(4)))
    with pytest.raises(UpstreamUnavailable) as caught:
        client.push(batch(dossier(MA1)))
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(adapter.sent()) == 5
    assert len(adapter.lookups()) == 4
    assert len(clock.sleeps) == 4


# --- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "wait_s"), [(429, 7), (503, 30)])
def test_retry_after_is_honoured(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime, code: int, wait_s: int
) -> None:
    busy = httpx.Response(code, headers={"Retry-After": str(wait_s)})
    adapter.on("DongBoHoSoMC", busy, reply(result=[entry(MA1)]))
    assert outcomes(client.push(batch(dossier(MA1)))) == [(MA1, "created")]
    (first_at, _, _), (second_at, _, _) = adapter.seen
    assert clock.sleeps[0] >= wait_s
    assert second_at - first_at >= timedelta(seconds=wait_s)


def test_retry_after_beyond_the_inline_limit_goes_up_and_holds(
    client: DvcqgAdapterClient, adapter: Adapter, login: Login, clock: FakeTime
) -> None:
    adapter.on("DongBoHoSoMC", httpx.Response(429, headers={"Retry-After": "300"}))
    with pytest.raises(UpstreamUnavailable) as caught:
        client.push(batch(dossier(MA1)))
    assert caught.value.not_before == START + timedelta(seconds=300)
    clock.now += timedelta(seconds=200)
    with pytest.raises(UpstreamUnavailable):
        client.get_dossier(MA1)
    assert (len(adapter.seen), len(login.requests), clock.sleeps) == (1, 1, [])
    clock.now += timedelta(seconds=100)
    adapter.on("TraCuuHoSo", NOT_FOUND)
    assert client.get_dossier(MA1) is None


# --- CapNhatTienDoHoSoMC ---------------------------------------------------------------------


def event_reply(*stts: int, ma: str = MA1) -> httpx.Response:
    return reply(
        result=[{"MaHoSo": ma, "STT": str(s), "KetQua": "created", "Loi": []} for s in stts]
    )


def test_events_go_in_chunks_of_ten_in_order(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    items = [event(MA1, stt) for stt in range(1, 24)]
    adapter.on(
        "CapNhatTienDoHoSoMC",
        event_reply(*range(1, 11)),
        event_reply(*range(11, 21)),
        event_reply(21, 22, 23),
    )
    results = client.push(batch(*items, kind="events"))
    assert [r.stt for r in results] == [str(n) for n in range(1, 24)]
    assert {r.outcome for r in results} == {"created"}
    sent = adapter.bodies("CapNhatTienDoHoSoMC")
    assert [[e["STT"] for e in b["data"]] for b in sent] == [
        [str(n) for n in range(1, 11)],
        [str(n) for n in range(11, 21)],
        ["21", "22", "23"],
    ]
    assert {b["madonvi"] for b in sent} == {AGENCY}
    assert "isUpdating" not in sent[0]


def test_event_results_and_khong_ton_tai(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    missing = [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}]
    adapter.on(
        "CapNhatTienDoHoSoMC",
        reply(
            result=[
                {"MaHoSo": MA1, "STT": "1", "KetQua": "unchanged", "Loi": []},
                {"MaHoSo": MA2, "STT": "1", "KetQua": "rejected", "Loi": missing},
            ]
        ),
    )
    first, second = client.push(batch(event(MA1, 1), event(MA2, 1), kind="events"))
    assert (first.outcome, first.stt, first.waits_for_dossier) == ("unchanged", "1", False)
    assert (second.outcome, second.waits_for_dossier) == ("rejected", True)


def test_lost_event_reply_resends_the_same_chunk(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime
) -> None:
    items = [event(MA1, stt) for stt in range(1, 13)]
    adapter.on(
        "CapNhatTienDoHoSoMC",
        event_reply(*range(1, 11)),
        httpx.ReadTimeout("slow"),
        reply(
            result=[
                {"MaHoSo": MA1, "STT": "11", "KetQua": "unchanged", "Loi": []},
                {"MaHoSo": MA1, "STT": "12", "KetQua": "created", "Loi": []},
            ]
        ),
    )
    results = client.push(batch(*items, kind="events"))
    assert [r.outcome for r in results[-2:]] == ["unchanged", "created"]
    second, third = adapter.seen[1:]
    assert second[1].content == third[1].content
    assert adapter.lookups() == []
    assert len(clock.sleeps) == 1


def test_event_error_code_stops_the_push(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    adapter.on("CapNhatTienDoHoSoMC", event_reply(*range(1, 11)), reply("4", "Tối đa 10"))
    with pytest.raises(BatchTooLarge):
        client.push(batch(*(event(MA1, s) for s in range(1, 13)), kind="events"))
    assert len(adapter.seen) == 2


# --- reads -----------------------------------------------------------------------------------


def test_get_dossier_looks_up_under_its_agency(
    client: DvcqgAdapterClient, adapter: Adapter, clock: FakeTime
) -> None:
    item = dossier(MA1)
    adapter.on("TraCuuHoSo", httpx.Response(500), found(item))
    assert client.get_dossier(MA1) == json.loads(item)
    body = adapter.bodies()[-1]
    assert (body["madonvi"], body["MaHoSo"]) == (AGENCY, MA1)
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize("result", [[], None, {}])
def test_get_missing_dossier(client: DvcqgAdapterClient, adapter: Adapter, result: Any) -> None:
    adapter.on("TraCuuHoSo", httpx.Response(200, json={"error_code": 0, "result": result}))
    assert client.get_dossier(MA1) is None


def test_get_dossier_accepts_a_bare_object(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    item = json.loads(dossier(MA1))
    adapter.on("TraCuuHoSo", reply(result=item))
    assert client.get_dossier(MA1) == item


@pytest.mark.parametrize(
    "result",
    [[json.loads(dossier(MA2))], [json.loads(dossier(MA1)), json.loads(dossier(MA1))], "x"],
    ids=["another-dossier", "two-dossiers", "not-object"],
)
def test_unusable_lookup_is_a_protocol_error(
    client: DvcqgAdapterClient, adapter: Adapter, result: Any
) -> None:
    adapter.on("TraCuuHoSo", reply(result=result))
    with pytest.raises(UpstreamProtocolError):
        client.get_dossier(MA1)


def test_no_listing_in_this_profile(client: DvcqgAdapterClient) -> None:
    with pytest.raises(ConfigError) as caught:
        client.list_dossiers(AGENCY)
    assert caught.value.key == "upstream.profile"
    assert "lgsp-rest" in str(caught.value)
    assert client.request_count == 0


# --- construction and logs -------------------------------------------------------------------


@pytest.mark.parametrize("base_url", ["ftp://gw.test", "not a url", "https://"])
def test_bad_base_url_is_a_config_error(base_url: str) -> None:
    with pytest.raises(ConfigError, match=r"upstream\.base_url"):
        DvcqgAdapterClient(base_url, "u", "p", DSTCODE)


def test_empty_dstcode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"upstream\.dstcode"):
        DvcqgAdapterClient(BASE, "u", "p", " ")


def test_client_uses_an_explicit_timeout() -> None:
    with DvcqgAdapterClient(BASE, "u", "p", DSTCODE, timeout_s=2.5) as c:
        assert c._http.timeout == httpx.Timeout(2.5)


def test_logs_carry_no_bodies(client: DvcqgAdapterClient, adapter: Adapter) -> None:
    item = dossier(MA1)
    adapter.on(
        "DongBoHoSoMC",
        SESSION_EXPIRED,
        httpx.ReadTimeout("slow"),
    )
    adapter.on("TraCuuHoSo", found(item))
    with capture_logs() as logs:
        client.push(batch(item))
    assert [entry["event"] for entry in logs] == [
        "upstream.session_refused",
        "upstream.retry",
        "upstream.reply_lost",
    ]
    for secret in (OWNER, MA1, "sess-", "s3cret"):
        assert secret not in repr(logs)
