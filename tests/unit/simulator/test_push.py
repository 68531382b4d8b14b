"""POST /api/v1/hoso/dongbo and /tiendo: per-item results, idempotency, envelope errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.simulator.builders import (
    FOREIGN_AGENCY,
    OTHER_AGENCY,
    dossier,
    envelope,
    event,
)
from tests.unit.simulator.conftest import PUSH_DOSSIERS, PUSH_EVENTS, Gateway


def results(reply: Any) -> list[dict[str, Any]]:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["error_code"] == "0"
    return list(body["KetQua"])


def outcomes(reply: Any) -> list[str]:
    return [item["KetQua"] for item in results(reply)]


def test_new_dossier_is_created_and_stored_as_pushed(gateway: Gateway) -> None:
    obj = dossier()
    [item] = results(gateway.push(PUSH_DOSSIERS, envelope([obj])))
    assert item == {
        "MaHoSo": obj["MaHoSo"],
        "PhienBan": obj["PhienBan"],
        "KetQua": "created",
        "Loi": [],
    }
    stored = gateway.get(f"/api/v1/hoso/{obj['MaHoSo']}")
    assert stored.status_code == 200
    assert stored.json() == obj


def test_same_version_again_is_unchanged(gateway: Gateway) -> None:
    obj = dossier()
    gateway.push(PUSH_DOSSIERS, envelope([obj]))
    assert outcomes(gateway.push(PUSH_DOSSIERS, envelope([obj]))) == ["unchanged"]
    later_stamp = dossier(NgayCapNhat="20210311100000")
    assert outcomes(gateway.push(PUSH_DOSSIERS, envelope([later_stamp]))) == ["unchanged"]
    assert [e.kind for e in gateway.sim.store.effects()] == ["created"]


def test_newer_version_is_updated(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    newer = dossier(TrangThaiHoSo="9", NgayCapNhat="20210312080000")
    assert outcomes(gateway.push(PUSH_DOSSIERS, envelope([newer]))) == ["updated"]
    assert gateway.get(f"/api/v1/hoso/{newer['MaHoSo']}").json() == newer
    effects = gateway.sim.store.effects(newer["MaHoSo"])
    assert [(e.kind, e.ref, e.ngay_cap_nhat) for e in effects] == [
        ("created", dossier()["PhienBan"], "20210311090000"),
        ("updated", newer["PhienBan"], "20210312080000"),
    ]


def test_other_content_with_the_same_stamp_is_updated(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert outcomes(gateway.push(PUSH_DOSSIERS, envelope([dossier(GhiChu="x")]))) == ["updated"]


def test_older_version_is_stale_and_changes_nothing(gateway: Gateway) -> None:
    newer = dossier(TrangThaiHoSo="9", NgayCapNhat="20210312080000")
    gateway.push(PUSH_DOSSIERS, envelope([newer]))
    older = dossier()
    [item] = results(gateway.push(PUSH_DOSSIERS, envelope([older])))
    assert item["KetQua"] == "stale" and item["PhienBan"] == older["PhienBan"]
    assert gateway.get(f"/api/v1/hoso/{newer['MaHoSo']}").json() == newer
    assert len(gateway.sim.store.effects()) == 1


def test_rejected_item_stores_nothing_and_order_is_kept(gateway: Gateway) -> None:
    bad = dossier(2, MucDo="9")
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier(1), bad, dossier(3)]))
    items = results(reply)
    assert [i["MaHoSo"] for i in items] == [dossier(n)["MaHoSo"] for n in (1, 2, 3)]
    assert [i["KetQua"] for i in items] == ["created", "rejected", "created"]
    assert items[1]["Loi"] == [{"Truong": "MucDo", "MoTa": "GIA_TRI_KHONG_HOP_LE"}]
    assert gateway.get(f"/api/v1/hoso/{bad['MaHoSo']}").status_code == 404


def test_phien_ban_mismatch_is_rejected(gateway: Gateway) -> None:
    tampered = {**dossier(), "GhiChu": "edited after hashing"}
    [item] = results(gateway.push(PUSH_DOSSIERS, envelope([tampered])))
    assert item["KetQua"] == "rejected"
    assert item["Loi"] == [{"Truong": "PhienBan", "MoTa": "KHONG_KHOP"}]


def test_non_object_item_is_rejected(gateway: Gateway) -> None:
    [item] = results(gateway.push(PUSH_DOSSIERS, envelope(["not a dossier"])))
    assert item == {
        "MaHoSo": "",
        "PhienBan": "",
        "KetQua": "rejected",
        "Loi": [{"Truong": "", "MoTa": "KIEU_KHONG_HOP_LE"}],
    }


def test_dossier_of_another_agency_in_the_batch_is_rejected(gateway: Gateway) -> None:
    [item] = results(gateway.push(PUSH_DOSSIERS, envelope([dossier()], agency=OTHER_AGENCY)))
    assert item["Loi"] == [{"Truong": "MaHoSo", "MoTa": "KHONG_KHOP_MA_DON_VI"}]


def test_repeat_within_one_batch(gateway: Gateway) -> None:
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier(), dossier()]))
    assert outcomes(reply) == ["created", "unchanged"]


def test_result_counters(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier(1), dossier(1), dossier(2, MucDo="0")]))
    counts = gateway.sim.store.snapshot()["results"]["dossier"]
    assert counts == {"created": 1, "unchanged": 1, "rejected": 1}


# --- events ---------------------------------------------------------------------------------


def test_event_before_its_dossier_is_khong_ton_tai(gateway: Gateway) -> None:
    [item] = results(gateway.push(PUSH_EVENTS, envelope([event()])))
    assert item == {
        "MaHoSo": event()["MaHoSo"],
        "STT": "1",
        "KetQua": "rejected",
        "Loi": [{"Truong": "MaHoSo", "MoTa": "KHONG_TON_TAI"}],
    }
    assert gateway.sim.store.snapshot()["events"] == 0


def test_event_created_then_unchanged(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    assert outcomes(gateway.push(PUSH_EVENTS, envelope([event(stt=1), event(stt=2)]))) == [
        "created",
        "created",
    ]
    again = gateway.push(PUSH_EVENTS, envelope([event(stt=2, NoiDungXuLy="other"), event(stt=3)]))
    assert outcomes(again) == ["unchanged", "created"]
    kinds = [(e.kind, e.ref) for e in gateway.sim.store.effects() if e.kind == "event_created"]
    assert kinds == [("event_created", "1"), ("event_created", "2"), ("event_created", "3")]
    assert [e["STT"] for e in gateway.sim.store.events_of(dossier()["MaHoSo"])] == ["1", "2", "3"]


def test_invalid_event_is_rejected_with_field_errors(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    [item] = results(gateway.push(PUSH_EVENTS, envelope([event(STT="0")])))
    assert item["KetQua"] == "rejected"
    assert item["Loi"] == [{"Truong": "STT", "MoTa": "SAI_DINH_DANG"}]


def test_event_counters(gateway: Gateway) -> None:
    gateway.push(PUSH_EVENTS, envelope([event()]))
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    gateway.push(PUSH_EVENTS, envelope([event(), event()]))
    counts = gateway.sim.store.snapshot()["results"]["event"]
    assert counts == {"rejected": 1, "created": 1, "unchanged": 1}


# --- idempotency ----------------------------------------------------------------------------


def test_same_key_same_body_replays_the_first_reply(gateway: Gateway) -> None:
    key = gateway.new_key()
    first = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert "idempotent-replayed" not in first.headers
    again = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert outcomes(again) == ["created"]
    snapshot = gateway.sim.store.snapshot()
    assert snapshot["effects"] == 1 and snapshot["replays"] == 1
    assert snapshot["results"]["dossier"] == {"created": 1}


def test_same_key_other_body_is_422(gateway: Gateway) -> None:
    key = gateway.new_key()
    gateway.push(PUSH_DOSSIERS, envelope([dossier(1)]), key=key)
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier(2)]), key=key)
    assert reply.status_code == 422
    assert reply.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    assert gateway.get(f"/api/v1/hoso/{dossier(2)['MaHoSo']}").status_code == 404


def test_keys_are_scoped_per_path(gateway: Gateway) -> None:
    key = gateway.new_key()
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    reply = gateway.push(PUSH_EVENTS, envelope([event()]), key=key)
    assert "idempotent-replayed" not in reply.headers
    assert outcomes(reply) == ["created"]


def test_keys_are_scoped_per_client(gateway: Gateway) -> None:
    key = gateway.new_key()
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    other_token = gateway.fetch_token("other-client", "other")
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key, token=other_token)
    assert "idempotent-replayed" not in reply.headers
    assert outcomes(reply) == ["unchanged"]


def test_only_200_replies_are_remembered(gateway: Gateway) -> None:
    key = gateway.new_key()
    refused = gateway.push(PUSH_DOSSIERS, envelope([dossier()], agency=FOREIGN_AGENCY), key=key)
    assert refused.status_code == 403
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert "idempotent-replayed" not in reply.headers
    assert outcomes(reply) == ["created"]


def test_replay_survives_a_new_token(gateway: Gateway) -> None:
    key = gateway.new_key()
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    gateway.token = gateway.fetch_token()
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)
    assert reply.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize("key", ["", "1234567", "k" * 129], ids=["missing", "7_chars", "129_chars"])
def test_bad_idempotency_key_is_400(gateway: Gateway, key: str) -> None:
    headers = {"Authorization": f"Bearer {gateway.token}"}
    if key:
        headers["Idempotency-Key"] = key
    reply = gateway.http.post(PUSH_DOSSIERS, json=envelope([dossier()]), headers=headers)
    assert reply.status_code == 400
    assert gateway.sim.store.snapshot()["dossiers"] == 0


@pytest.mark.parametrize("key", ["12345678", "k" * 128], ids=["8_chars", "128_chars"])
def test_idempotency_key_length_bounds_are_accepted(gateway: Gateway, key: str) -> None:
    assert outcomes(gateway.push(PUSH_DOSSIERS, envelope([dossier()]), key=key)) == ["created"]


# --- envelope errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe{}",
        b"[]",
        b'{"DanhSach": []}',
        b'{"MaDonVi": "000.24.24.H16"}',
        b'{"MaDonVi": "000.24.24.H16", "DanhSach": []}',
        b'{"MaDonVi": "000.24.24.H16", "DanhSach": {}}',
        b'{"MaDonVi": 1, "DanhSach": [{}]}',
        b'{"MaDonVi": "", "DanhSach": [{}]}',
    ],
    ids=[
        "not_json",
        "not_utf8",
        "not_object",
        "no_agency",
        "no_list",
        "empty_list",
        "list_not_list",
        "agency_not_string",
        "agency_empty",
    ],
)
@pytest.mark.parametrize("path", [PUSH_DOSSIERS, PUSH_EVENTS])
def test_malformed_envelope_is_400(gateway: Gateway, path: str, content: bytes) -> None:
    reply = gateway.http.post(path, content=content, headers=gateway.headers())
    assert reply.status_code == 400
    assert reply.json()["error_code"] in ("INVALID_JSON", "INVALID_ENVELOPE")


@pytest.mark.parametrize("path", [PUSH_DOSSIERS, PUSH_EVENTS])
def test_agency_not_allowed_is_403(gateway: Gateway, path: str) -> None:
    reply = gateway.push(path, envelope([{}], agency=FOREIGN_AGENCY))
    assert reply.status_code == 403
    assert reply.json()["error_code"] == "AGENCY_NOT_ALLOWED"


def test_agency_allowed_for_another_client_only_is_403(gateway: Gateway) -> None:
    token = gateway.fetch_token("other-client", "other")
    reply = gateway.push(PUSH_DOSSIERS, envelope([{}], agency=OTHER_AGENCY), token=token)
    assert reply.status_code == 403


@pytest.mark.parametrize(("path", "limit"), [(PUSH_DOSSIERS, 100), (PUSH_EVENTS, 500)])
def test_too_many_items_is_413(gateway: Gateway, path: str, limit: int) -> None:
    reply = gateway.push(path, envelope([{}] * (limit + 1)))
    assert reply.status_code == 413
    assert reply.json()["error_code"] == "TOO_MANY_ITEMS"


def test_full_batch_of_100_dossiers_is_accepted(gateway: Gateway) -> None:
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier(n) for n in range(1, 101)]))
    assert outcomes(reply) == ["created"] * 100


def test_request_counters_by_path_and_status(gateway: Gateway) -> None:
    gateway.push(PUSH_DOSSIERS, envelope([dossier()]))
    gateway.push(PUSH_DOSSIERS, envelope([{}], agency=FOREIGN_AGENCY))
    gateway.get("/api/v1/hoso/000.24.24.H16-210311-0001")
    gateway.get("/api/v1/hoso/000.24.24.H16-210311-0002")
    requests = gateway.sim.store.snapshot()["requests"]
    assert requests[PUSH_DOSSIERS] == {"200": 1, "403": 1}
    assert requests["/api/v1/hoso/{MaHoSo}"] == {"200": 1, "404": 1}
    assert requests["/token"] == {"200": 1}
