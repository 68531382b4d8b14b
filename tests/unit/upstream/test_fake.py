"""FakeGateway keeps the contract's semantics, so pipeline tests can rely on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from igate_sync.errors import UpstreamProtocolError, UpstreamUnavailable
from igate_sync.schemas.wire import phien_ban, wire_dossier_json
from igate_sync.upstream.base import Gateway, ListedDossier, PushRequest
from igate_sync.upstream.fake import FakeGateway

UNIT = "000.00.01.H01"
MA1 = f"{UNIT}-240301-0001"
MA2 = f"{UNIT}-240301-0002"


def dossier(ma: str, ngay: str = "20240301080000", trang_thai: str = "2") -> str:
    content = {"MaHoSo": ma, "ChuHoSo": "Lê Văn Tám", "TrangThaiHoSo": trang_thai}
    return wire_dossier_json(content, ngay_cap_nhat=ngay, version=phien_ban(content))


def event(ma: str, stt: int) -> str:
    return json.dumps({"MaHoSo": ma, "STT": str(stt), "NoiDungXuLy": "Chuyển xử lý"})


def push_dossiers(gw: FakeGateway, *items: str, key: str) -> list[str]:
    request = PushRequest(kind="dossiers", idempotency_key=key, ma_don_vi=UNIT, items=items)
    return [r.outcome for r in gw.push(request)]


def push_events(gw: FakeGateway, *items: str, key: str) -> list[str]:
    request = PushRequest(kind="events", idempotency_key=key, ma_don_vi=UNIT, items=items)
    return [r.outcome for r in gw.push(request)]


@pytest.fixture
def gw() -> FakeGateway:
    return FakeGateway()


def test_satisfies_the_gateway_port(gw: FakeGateway) -> None:
    port: Gateway = gw
    port.close()
    assert gw.closed


def test_dossier_outcomes(gw: FakeGateway) -> None:
    v1, v2 = dossier(MA1, "20240301080000"), dossier(MA1, "20240302080000", trang_thai="4")
    older = dossier(MA1, "20240301070000", trang_thai="3")
    assert push_dossiers(gw, v1, key="key-00001") == ["created"]
    assert push_dossiers(gw, v1, key="key-00002") == ["unchanged"]
    assert push_dossiers(gw, v2, key="key-00003") == ["updated"]
    assert push_dossiers(gw, older, key="key-00004") == ["stale"]
    assert push_dossiers(gw, v1, key="key-00005") == ["stale"]
    assert gw.dossiers[MA1] == json.loads(v2)
    assert gw.effects == [
        ("dossier", "created", MA1, json.loads(v1)["PhienBan"]),
        ("dossier", "updated", MA1, json.loads(v2)["PhienBan"]),
    ]


def test_same_time_new_content_is_an_update(gw: FakeGateway) -> None:
    push_dossiers(gw, dossier(MA1), key="key-00001")
    assert push_dossiers(gw, dossier(MA1, trang_thai="5"), key="key-00002") == ["updated"]


def test_results_carry_code_and_version(gw: FakeGateway) -> None:
    item = dossier(MA1)
    request = PushRequest(
        kind="dossiers", idempotency_key="key-00001", ma_don_vi=UNIT, items=[item]
    )
    (result,) = gw.push(request)
    assert (result.ma_ho_so, result.phien_ban) == (MA1, json.loads(item)["PhienBan"])


def test_reject_on_demand(gw: FakeGateway) -> None:
    gw.reject(MA2, "NgayHenTra", "truoc NgayTiepNhan")
    request = PushRequest(
        kind="dossiers",
        idempotency_key="key-00001",
        ma_don_vi=UNIT,
        items=[dossier(MA1), dossier(MA2)],
    )
    ok, rejected = gw.push(request)
    assert ok.outcome == "created"
    assert rejected.outcome == "rejected"
    assert (rejected.errors[0].truong, rejected.errors[0].mo_ta) == (
        "NgayHenTra",
        "truoc NgayTiepNhan",
    )
    assert MA2 not in gw.dossiers
    assert [e[2] for e in gw.effects] == [MA1]


def test_strict_checks_version_and_agency(gw: FakeGateway) -> None:
    forged = json.dumps({**json.loads(dossier(MA1)), "PhienBan": "0" * 64})
    foreign = dossier("000.00.02.H01-240301-0001")
    assert push_dossiers(gw, forged, foreign, key="key-00001") == ["rejected", "rejected"]
    assert gw.effects == []
    lax = FakeGateway(strict=False)
    assert push_dossiers(lax, forged, foreign, key="key-00001") == ["created", "created"]


def test_events_need_their_dossier(gw: FakeGateway) -> None:
    request = PushRequest(
        kind="events", idempotency_key="key-e0001", ma_don_vi=UNIT, items=[event(MA1, 1)]
    )
    (result,) = gw.push(request)
    assert result.outcome == "rejected"
    assert result.waits_for_dossier
    assert result.stt == "1"
    push_dossiers(gw, dossier(MA1), key="key-00001")
    assert push_events(gw, event(MA1, 1), event(MA1, 2), key="key-e0002") == ["created", "created"]
    assert push_events(gw, event(MA1, 2), key="key-e0003") == ["unchanged"]
    assert gw.effects[1:] == [("event", "created", MA1, "1"), ("event", "created", MA1, "2")]


def test_repeated_key_replays_without_effect(gw: FakeGateway) -> None:
    assert push_dossiers(gw, dossier(MA1), key="key-00001") == ["created"]
    assert push_dossiers(gw, dossier(MA1), key="key-00001") == ["created"]
    assert len(gw.effects) == 1


def test_keys_are_scoped_per_path(gw: FakeGateway) -> None:
    push_dossiers(gw, dossier(MA1), key="key-00001")
    assert push_events(gw, event(MA1, 1), key="key-00001") == ["created"]


def test_reused_key_with_another_body_is_a_bug(gw: FakeGateway) -> None:
    push_dossiers(gw, dossier(MA1), key="key-00001")
    with pytest.raises(UpstreamProtocolError, match="IDEMPOTENCY_KEY_REUSED"):
        push_dossiers(gw, dossier(MA2), key="key-00001")


def test_failure_before_applying(gw: FakeGateway) -> None:
    gw.fail_next(2, UpstreamUnavailable("503"))
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            push_dossiers(gw, dossier(MA1), key="key-00001")
    assert gw.effects == []
    assert gw.dossiers == {}
    assert push_dossiers(gw, dossier(MA1), key="key-00001") == ["created"]
    assert len(gw.requests) == 3


def test_stored_but_reply_lost(gw: FakeGateway) -> None:
    gw.fail_next(1, UpstreamUnavailable("reset"), apply_then_fail=True)
    with pytest.raises(UpstreamUnavailable):
        push_dossiers(gw, dossier(MA1), key="key-00001")
    assert MA1 in gw.dossiers
    assert push_dossiers(gw, dossier(MA1), key="key-00001") == ["created"]
    assert push_dossiers(gw, dossier(MA1), key="key-00002") == ["unchanged"]
    assert len(gw.effects) == 1


def test_malformed_items_are_a_bug(gw: FakeGateway) -> None:
    with pytest.raises(UpstreamProtocolError):
        push_dossiers(gw, "{not json", key="key-00001")
    with pytest.raises(UpstreamProtocolError):
        push_dossiers(gw, dossier(MA1), key="short")
    assert push_dossiers(gw, key="key-00001") == []


def test_get_dossier_returns_a_copy(gw: FakeGateway) -> None:
    assert gw.get_dossier(MA1) is None
    push_dossiers(gw, dossier(MA1), key="key-00001")
    got = gw.get_dossier(MA1)
    assert got == json.loads(dossier(MA1))
    assert got is not None
    got["TrangThaiHoSo"] = "9"
    assert gw.dossiers[MA1]["TrangThaiHoSo"] == "2"


def test_listing_order_filters_and_event_counts(gw: FakeGateway) -> None:
    ma3 = f"{UNIT}-240301-0003"
    push_dossiers(
        gw,
        dossier(MA2, "20240301090000"),
        dossier(MA1, "20240301090000"),
        dossier(ma3, "20240301070000"),
        key="key-00001",
    )
    push_events(gw, event(MA1, 1), event(MA1, 2), key="key-e0001")
    listed = list(gw.list_dossiers(UNIT))
    assert [d.ma_ho_so for d in listed] == [ma3, MA1, MA2]
    assert listed[1] == ListedDossier(
        MA1, json.loads(dossier(MA1, "20240301090000"))["PhienBan"], "2", "20240301090000", 2
    )
    since = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi
    until = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    assert [d.ma_ho_so for d in gw.list_dossiers(UNIT, since=since)] == [MA1, MA2]
    assert list(gw.list_dossiers(UNIT, since=since, until=until)) == []
    assert list(gw.list_dossiers("000.00.09.H01")) == []


def test_listing_keeps_to_the_agency() -> None:
    lax = FakeGateway(strict=False)
    push_dossiers(lax, dossier("000.00.09.H01-240301-0001"), dossier(MA1), key="key-00001")
    assert [d.ma_ho_so for d in lax.list_dossiers(UNIT)] == [MA1]
