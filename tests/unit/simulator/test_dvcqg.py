"""The dvcqg-adapter profile (contract section 7) of the simulator, over a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from igate_sync.upstream.simulator import (
    FaultPlan,
    FaultRule,
    RunningSimulator,
    running_simulator,
)
from tests.unit.simulator.builders import (
    AGENCY,
    CLIENT_ID,
    CLIENT_SECRET,
    FOREIGN_AGENCY,
    OTHER_AGENCY,
    dossier,
    envelope,
    event,
)
from tests.unit.simulator.conftest import PUSH_DOSSIERS, Gateway, ManualClock, make_settings

DSTCODE = "000.00.00.G22"
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


class Adapter:
    """A test's handle on the dvcqg-adapter side of the simulator."""

    def __init__(self, sim: RunningSimulator, http: httpx.Client) -> None:
        self.sim, self.http = sim, http
        self.session = self.login()

    def login(
        self, username: str = CLIENT_ID, password: str = CLIENT_SECRET, dstcode: str = DSTCODE
    ) -> str:
        reply = self.login_reply({"username": username, "password": password}, dstcode)
        assert reply["error_code"] == 0, reply
        return str(reply["session"])

    def login_reply(self, body: Any, dstcode: str | None = DSTCODE) -> dict[str, Any]:
        headers = {"dstcode": dstcode} if dstcode is not None else {}
        response = self.http.post("/login", json=body, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def raw(self, body: Any, dstcode: str | None = DSTCODE) -> httpx.Response:
        headers = {"dstcode": dstcode} if dstcode is not None else {}
        return self.http.post("/integration", json=body, headers=headers)

    def call(
        self, service: str, madonvi: str = AGENCY, session: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {"session": session or self.session, "madonvi": madonvi, "service": service}
        response = self.raw({**body, **fields})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def create(self, *items: dict[str, Any]) -> dict[str, Any]:
        return self.call("DongBoHoSoMC", isUpdating="False", data=list(items))

    def update(self, *items: dict[str, Any]) -> dict[str, Any]:
        return self.call("DongBoHoSoMC", isUpdating="True", data=list(items))

    def progress(self, *items: dict[str, Any]) -> dict[str, Any]:
        return self.call("CapNhatTienDoHoSoMC", data=list(items))

    def look_up(self, ma_ho_so: str, madonvi: str = AGENCY) -> list[Any]:
        reply = self.call("TraCuuHoSo", madonvi=madonvi, MaHoSo=ma_ho_so)
        assert reply["error_code"] == "0", reply
        return list(reply["result"])

    def counter(self, service: str, code: str) -> int:
        return self.sim.store.counter("dvcqg", service, code)


def outcomes(reply: dict[str, Any]) -> list[str]:
    return [entry["KetQua"] for entry in reply["result"]]


def effects(sim: RunningSimulator) -> list[tuple[str, str, str]]:
    return [(e.kind, e.ma_ho_so[-4:], e.ref) for e in sim.store.effects()]


@pytest.fixture
def adapter(sim: RunningSimulator) -> Iterator[Adapter]:
    with httpx.Client(base_url=sim.base_url, timeout=5.0) as http:
        yield Adapter(sim, http)


# --- login and the session -----------------------------------------------------------------


def test_login_issues_a_session(adapter: Adapter) -> None:
    first = adapter.login_reply({"username": CLIENT_ID, "password": CLIENT_SECRET})
    assert set(first) == {"error_code", "session"}
    assert first["error_code"] == 0
    assert isinstance(first["session"], str) and len(first["session"]) >= 32
    assert adapter.login() != adapter.login()
    assert adapter.counter("login", "0") == 4


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"username": CLIENT_ID, "password": "wrong"}, "-2"),
        ({"username": "unknown", "password": CLIENT_SECRET}, "-2"),
        ({"username": CLIENT_ID}, "-2"),
        ({"username": 7, "password": CLIENT_SECRET}, "-2"),
        (["not", "an", "object"], "1"),
    ],
    ids=["wrong-password", "unknown-user", "no-password", "username-not-text", "not-object"],
)
def test_refused_login(adapter: Adapter, body: Any, code: str) -> None:
    reply = adapter.login_reply(body)
    assert reply["error_code"] == code
    assert "session" not in reply
    assert reply["result"] == []


def test_login_needs_the_dstcode_header(adapter: Adapter) -> None:
    reply = adapter.login_reply({"username": CLIENT_ID, "password": CLIENT_SECRET}, dstcode=None)
    assert reply["error_code"] == "1"


def test_login_body_that_is_not_json(adapter: Adapter) -> None:
    response = adapter.http.post("/login", content=b"\xff{", headers={"dstcode": DSTCODE})
    assert response.json()["error_code"] == "1"


@pytest.mark.parametrize("session", ["unknown-session", "", None, 42])
def test_unknown_session_is_refused(adapter: Adapter, session: Any) -> None:
    body = {"session": session, "madonvi": AGENCY, "service": "TraCuuHoSo", "MaHoSo": "x"}
    reply = adapter.raw(body).json()
    assert reply["error_code"] == "-1"
    assert "session" in reply["message"]


def test_session_expires_after_the_token_ttl(clock: ManualClock) -> None:
    with (
        running_simulator(make_settings(token_ttl_s=600), clock=clock) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        adapter = Adapter(sim, http)
        clock.advance(599)
        assert adapter.look_up(dossier()["MaHoSo"]) == []
        clock.advance(1)
        reply = adapter.call("TraCuuHoSo", MaHoSo=dossier()["MaHoSo"])
        assert reply["error_code"] == "-1" and "session" in reply["message"]
        assert adapter.counter("TraCuuHoSo", "-1") == 1


def test_token_expiry_fault_shortens_sessions(adapter: Adapter, clock: ManualClock) -> None:
    adapter.sim.set_faults(FaultPlan(token_expiry_s=30))
    clock.advance(30)
    assert adapter.call("TraCuuHoSo", MaHoSo="x")["error_code"] == "-1"
    adapter.session = adapter.login()
    assert adapter.look_up(dossier()["MaHoSo"]) == []


def test_a_session_belongs_to_its_user(adapter: Adapter) -> None:
    other = adapter.login("other-client", "other")
    reply = adapter.call("TraCuuHoSo", madonvi=OTHER_AGENCY, session=other, MaHoSo="x")
    assert reply["error_code"] == "2"


# --- the envelope ----------------------------------------------------------------------------


def test_integration_needs_the_dstcode_header(adapter: Adapter) -> None:
    body = {"session": adapter.session, "madonvi": AGENCY, "service": "TraCuuHoSo", "MaHoSo": "x"}
    assert adapter.raw(body, dstcode=None).json()["error_code"] == "1"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"madonvi": FOREIGN_AGENCY}, "2"),
        ({"madonvi": ""}, "1"),
        ({"service": "XoaHoSo"}, "1"),
        ({"MaHoSo": ""}, "1"),
        ({"service": "DongBoHoSoMC", "isUpdating": "true", "data": [dossier()]}, "1"),
        ({"service": "DongBoHoSoMC", "isUpdating": "False", "data": []}, "1"),
        ({"service": "DongBoHoSoMC", "isUpdating": "False", "data": {"a": 1}}, "1"),
        ({"service": "CapNhatTienDoHoSoMC"}, "1"),
    ],
    ids=[
        "foreign-agency",
        "no-agency",
        "unknown-service",
        "no-ma-ho-so",
        "bad-is-updating",
        "empty-data",
        "data-not-list",
        "no-data",
    ],
)
def test_malformed_calls_are_refused_whole(
    adapter: Adapter, fields: dict[str, Any], code: str
) -> None:
    body = {"session": adapter.session, "madonvi": AGENCY, "service": "TraCuuHoSo", "MaHoSo": "x"}
    reply = adapter.raw({**body, **fields}).json()
    assert reply["error_code"] == code
    assert reply["result"] == []
    assert adapter.sim.store.snapshot()["effects"] == 0


def test_body_that_is_not_a_json_object(adapter: Adapter) -> None:
    assert adapter.raw([1, 2]).json()["error_code"] == "1"
    response = adapter.http.post("/integration", content=b"{", headers={"dstcode": DSTCODE})
    assert response.json()["error_code"] == "1"
    assert adapter.counter("unknown", "1") == 2


# --- TraCuuHoSo ----------------------------------------------------------------------------


def test_look_up_returns_the_stored_dossier_or_nothing(adapter: Adapter) -> None:
    obj = dossier()
    assert adapter.look_up(obj["MaHoSo"]) == []
    adapter.create(obj)
    assert adapter.look_up(obj["MaHoSo"]) == [obj]


def test_look_up_under_another_agency_finds_nothing(adapter: Adapter) -> None:
    obj = dossier()
    adapter.create(obj)
    assert adapter.look_up(obj["MaHoSo"], madonvi=OTHER_AGENCY) == []


# --- DongBoHoSoMC ----------------------------------------------------------------------------


def test_create_stores_new_dossiers(adapter: Adapter) -> None:
    first, second = dossier(1), dossier(2)
    reply = adapter.create(first, second)
    assert (reply["error_code"], reply["message"]) == ("0", "OK")
    assert reply["result"] == [
        {"MaHoSo": first["MaHoSo"], "PhienBan": first["PhienBan"], "KetQua": "created", "Loi": []},
        {
            "MaHoSo": second["MaHoSo"],
            "PhienBan": second["PhienBan"],
            "KetQua": "created",
            "Loi": [],
        },
    ]
    assert effects(adapter.sim) == [
        ("created", "0001", first["PhienBan"]),
        ("created", "0002", second["PhienBan"]),
    ]


def test_create_of_a_held_dossier_is_da_ton_tai(adapter: Adapter) -> None:
    adapter.create(dossier(1))
    newer = dossier(1, TrangThaiHoSo="9", NgayCapNhat="20210312080000")
    reply = adapter.create(newer, dossier(2))
    assert reply["error_code"] == "3"
    assert "đã tồn tại" in reply["message"]
    assert reply["result"][0] == {
        "MaHoSo": newer["MaHoSo"],
        "PhienBan": newer["PhienBan"],
        "KetQua": "rejected",
        "Loi": [{"Truong": "MaHoSo", "MoTa": "DA_TON_TAI"}],
    }
    assert reply["result"][1]["KetQua"] == "created"
    assert adapter.look_up(newer["MaHoSo"]) == [dossier(1)]
    assert [kind for kind, _, _ in effects(adapter.sim)] == ["created", "created"]


def test_create_of_the_same_dossier_twice_in_one_call(adapter: Adapter) -> None:
    reply = adapter.create(dossier(1), dossier(1))
    assert reply["error_code"] == "3"
    assert outcomes(reply) == ["created", "rejected"]


def test_update_follows_the_version_rules(adapter: Adapter) -> None:
    adapter.create(dossier(1), dossier(2))
    newer = dossier(1, TrangThaiHoSo="9", NgayCapNhat="20210312080000")
    older = dossier(2, GhiChu="cũ", NgayCapNhat="20210310080000")
    reply = adapter.update(newer, older, dossier(1, TrangThaiHoSo="9", NgayCapNhat="2021031209"))
    assert reply["error_code"] == "0"
    assert outcomes(reply) == ["updated", "stale", "rejected"]
    assert adapter.look_up(newer["MaHoSo"]) == [newer]
    assert outcomes(adapter.update(newer)) == ["unchanged"]
    assert effects(adapter.sim)[-1] == ("updated", "0001", newer["PhienBan"])
    assert len(effects(adapter.sim)) == 3


def test_update_of_a_dossier_not_held_is_khong_ton_tai(adapter: Adapter) -> None:
    reply = adapter.update(dossier(3))
    assert reply["error_code"] == "0"
    assert reply["result"][0]["KetQua"] == "rejected"
    assert reply["result"][0]["Loi"] == [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}]
    assert adapter.sim.store.snapshot()["dossiers"] == 0


def test_invalid_dossier_is_rejected_with_field_errors(adapter: Adapter) -> None:
    bad = {**dossier(1), "SoDienThoai": "12345"}
    reply = adapter.create(bad, dossier(2))
    assert reply["error_code"] == "0"
    assert outcomes(reply) == ["rejected", "created"]
    loi = reply["result"][0]["Loi"]
    assert {"Truong": "SoDienThoai", "MoTa": "SAI_DINH_DANG"} in loi
    assert {"Truong": "PhienBan", "MoTa": "KHONG_KHOP"} in loi
    assert adapter.look_up(bad["MaHoSo"]) == []
    assert adapter.sim.store.snapshot()["results"]["dossier"] == {"rejected": 1, "created": 1}


def test_dossier_of_another_agency_is_rejected(adapter: Adapter) -> None:
    reply = adapter.call("DongBoHoSoMC", madonvi=OTHER_AGENCY, isUpdating="False", data=[dossier()])
    assert reply["result"][0]["Loi"] == [{"Truong": "MaHoSo", "MoTa": "KHONG_KHOP_MA_DON_VI"}]


def test_too_many_dossiers_are_refused_whole(clock: ManualClock) -> None:
    with (
        running_simulator(make_settings(max_dossiers_per_batch=2), clock=clock) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        adapter = Adapter(sim, http)
        reply = adapter.create(dossier(1), dossier(2), dossier(3))
        assert (reply["error_code"], reply["result"]) == ("4", [])
        assert sim.store.snapshot()["dossiers"] == 0
        assert adapter.create(dossier(1), dossier(2))["error_code"] == "0"


# --- CapNhatTienDoHoSoMC ---------------------------------------------------------------------


def test_events_are_applied_once_each(adapter: Adapter) -> None:
    adapter.create(dossier(1))
    reply = adapter.progress(*(event(1, stt) for stt in range(1, 11)))
    assert reply["error_code"] == "0"
    assert outcomes(reply) == ["created"] * 10
    assert reply["result"][0] == {
        "MaHoSo": event(1)["MaHoSo"],
        "STT": "1",
        "KetQua": "created",
        "Loi": [],
    }
    assert outcomes(adapter.progress(event(1, 1))) == ["unchanged"]
    assert len(adapter.sim.store.events_of(event(1)["MaHoSo"])) == 10


def test_more_than_ten_events_are_refused_whole(adapter: Adapter) -> None:
    adapter.create(dossier(1))
    reply = adapter.progress(*(event(1, stt) for stt in range(1, 12)))
    assert reply["error_code"] == "4"
    assert "10" in reply["message"]
    assert adapter.sim.store.events_of(event(1)["MaHoSo"]) == []


def test_event_of_a_dossier_not_held_is_khong_ton_tai(adapter: Adapter) -> None:
    adapter.create(dossier(1))
    reply = adapter.progress(event(2, 1), event(1, 1), {**event(1, 2), "STT": "0"})
    assert reply["error_code"] == "0"
    assert outcomes(reply) == ["rejected", "created", "rejected"]
    assert reply["result"][0]["Loi"] == [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}]
    assert reply["result"][2]["Loi"] == [{"Truong": "STT", "MoTa": "SAI_DINH_DANG"}]


# --- one store for both profiles -------------------------------------------------------------


def test_both_profiles_share_one_store(adapter: Adapter, gateway: Gateway) -> None:
    first, second = dossier(1), dossier(2)
    gateway.push(PUSH_DOSSIERS, envelope([first]))
    assert adapter.look_up(first["MaHoSo"]) == [first]
    assert adapter.create(first)["error_code"] == "3"
    adapter.create(second)
    assert gateway.get(f"/api/v1/hoso/{second['MaHoSo']}").json() == second
    assert [kind for kind, _, _ in effects(adapter.sim)] == ["created", "created"]


# --- faults ----------------------------------------------------------------------------------


def test_lost_reply_on_integration_applies_then_drops(adapter: Adapter) -> None:
    adapter.sim.set_faults(FaultPlan(rules=(FaultRule("lost_reply", at=(1,)),)))
    body = {
        "session": adapter.session,
        "madonvi": AGENCY,
        "service": "DongBoHoSoMC",
        "isUpdating": "False",
        "data": [dossier()],
    }
    with pytest.raises(DROPPED):
        adapter.raw(body)
    assert adapter.look_up(dossier()["MaHoSo"]) == [dossier()]
    snapshot = adapter.sim.store.snapshot()
    assert snapshot["faults"] == {"lost_reply": {"/integration": 1}}
    assert snapshot["requests"]["/integration"]["lost_reply"] == 1


def test_faults_never_hit_login(adapter: Adapter) -> None:
    adapter.sim.set_faults(FaultPlan(rules=(FaultRule("503", probability=1.0),)))
    session = adapter.login()
    body = {"session": session, "madonvi": AGENCY, "service": "TraCuuHoSo", "MaHoSo": "x"}
    assert adapter.raw(body).status_code == 503
    assert adapter.sim.store.snapshot()["faults"] == {"503": {"/integration": 1}}


def test_fault_rules_may_name_the_integration_path(adapter: Adapter) -> None:
    rule = FaultRule("429", at=(1,), paths=("/integration",), retry_after_s=5)
    adapter.sim.set_faults(FaultPlan(rules=(rule,)))
    body = {"session": adapter.session, "madonvi": AGENCY, "service": "TraCuuHoSo", "MaHoSo": "x"}
    reply = adapter.raw(body)
    assert (reply.status_code, reply.headers["retry-after"]) == (429, "5")
    assert adapter.raw(body).json()["error_code"] == "0"


def test_counts_every_call_by_service_and_code(adapter: Adapter) -> None:
    adapter.create(dossier(1))
    adapter.create(dossier(1))
    adapter.look_up(dossier(1)["MaHoSo"])
    assert adapter.counter("DongBoHoSoMC", "0") == 1
    assert adapter.counter("DongBoHoSoMC", "3") == 1
    assert adapter.counter("TraCuuHoSo", "0") == 1
    assert adapter.sim.store.snapshot()["requests"]["/login"] == {"200": 1}


def test_invalid_token_fault_is_http_401_on_integration(adapter: Adapter) -> None:
    adapter.sim.set_faults(FaultPlan(rules=(FaultRule("invalid_token", at=(1,)),)))
    body = {"session": adapter.session, "madonvi": AGENCY, "service": "TraCuuHoSo", "MaHoSo": "x"}
    reply = adapter.raw(body)
    assert (reply.status_code, reply.json()) == (401, {"error": "invalid_token"})
    assert adapter.raw(body).json()["error_code"] == "0"
