"""GET /api/v1/hoso/{MaHoSo} and the reconciliation listing GET /api/v1/hoso."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.simulator.builders import (
    AGENCY,
    FOREIGN_AGENCY,
    OTHER_AGENCY,
    dossier,
    envelope,
    event,
)
from tests.unit.simulator.conftest import PUSH_DOSSIERS, PUSH_EVENTS, Gateway

# (number, NgayCapNhat): listing order is (NgayCapNhat, MaHoSo), not push order.
STAMPS = [
    (5, "20210311090000"),
    (3, "20210311090000"),
    (1, "20210312080000"),
    (4, "20210310120000"),
    (2, "20210313000000"),
]
EXPECTED_ORDER = [4, 3, 5, 1, 2]


def code(number: int) -> str:
    return str(dossier(number)["MaHoSo"])


@pytest.fixture
def filled(gateway: Gateway) -> Gateway:
    items = [dossier(n, NgayCapNhat=stamp) for n, stamp in STAMPS]
    assert gateway.push(PUSH_DOSSIERS, envelope(items)).status_code == 200
    return gateway


def listing(gateway: Gateway, **params: str) -> dict[str, Any]:
    reply = gateway.get("/api/v1/hoso", MaDonVi=AGENCY, **params)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_listing_is_ordered_by_stamp_then_code(filled: Gateway) -> None:
    page = listing(filled)
    assert [row["MaHoSo"] for row in page["DanhSach"]] == [code(n) for n in EXPECTED_ORDER]
    assert page["TongSo"] == "5"
    assert page["TrangTiep"] == ""


def test_listing_rows(filled: Gateway) -> None:
    filled.push(PUSH_EVENTS, envelope([event(4, stt=1), event(4, stt=2)]))
    row = listing(filled)["DanhSach"][0]
    obj = dossier(4, NgayCapNhat="20210310120000")
    assert row == {
        "MaHoSo": obj["MaHoSo"],
        "PhienBan": obj["PhienBan"],
        "TrangThaiHoSo": "4",
        "NgayCapNhat": "20210310120000",
        "SoTienTrinh": "2",
    }


def test_paging_walks_everything_once(filled: Gateway) -> None:
    seen: list[str] = []
    token = ""
    for _ in range(5):
        params = {"SoLuong": "2", **({"TrangTiep": token} if token else {})}
        page = listing(filled, **params)
        assert page["TongSo"] == "5"
        seen += [row["MaHoSo"] for row in page["DanhSach"]]
        token = page["TrangTiep"]
        if not token:
            break
    assert seen == [code(n) for n in EXPECTED_ORDER]


def test_last_full_page_has_no_next_token(filled: Gateway) -> None:
    assert listing(filled, SoLuong="5")["TrangTiep"] == ""
    assert listing(filled, SoLuong="4")["TrangTiep"] != ""


def test_time_window_is_inclusive_then_exclusive(filled: Gateway) -> None:
    page = listing(filled, CapNhatTu="20210311090000", CapNhatDen="20210312080000")
    assert [row["MaHoSo"] for row in page["DanhSach"]] == [code(3), code(5)]
    assert page["TongSo"] == "2"
    assert listing(filled, CapNhatTu="", CapNhatDen="")["TongSo"] == "5"


def test_listing_is_per_agency(filled: Gateway) -> None:
    other = dossier(9, MaHoSo=f"{OTHER_AGENCY}-210311-0009")
    filled.push(PUSH_DOSSIERS, envelope([other], agency=OTHER_AGENCY))
    assert listing(filled)["TongSo"] == "5"
    page = filled.get("/api/v1/hoso", MaDonVi=OTHER_AGENCY).json()
    assert [row["MaHoSo"] for row in page["DanhSach"]] == [other["MaHoSo"]]


def test_default_page_is_500(gateway: Gateway) -> None:
    for n in range(1, 502):
        gateway.sim.store.put_raw_dossier(dossier(n))
    page = listing(gateway)
    assert len(page["DanhSach"]) == 500
    assert page["TongSo"] == "501"
    assert page["TrangTiep"] != ""
    assert len(listing(gateway, SoLuong="1000")["DanhSach"]) == 501


@pytest.mark.parametrize(
    "params",
    [
        {"SoLuong": "0"},
        {"SoLuong": "1001"},
        {"SoLuong": "ten"},
        {"SoLuong": "-1"},
        {"CapNhatTu": "2021-03-11"},
        {"CapNhatDen": "20211399000000"},
        {"TrangTiep": "not a token"},
        {"TrangTiep": "WzFd"},
    ],
    ids=[
        "page_0",
        "page_1001",
        "page_text",
        "page_negative",
        "since_iso",
        "until_invalid",
        "token_garbage",
        "token_wrong_shape",
    ],
)
def test_malformed_query_is_400(gateway: Gateway, params: dict[str, str]) -> None:
    assert gateway.get("/api/v1/hoso", MaDonVi=AGENCY, **params).status_code == 400


def test_listing_needs_an_agency(gateway: Gateway) -> None:
    assert gateway.get("/api/v1/hoso").status_code == 400


def test_listing_of_a_foreign_agency_is_403(gateway: Gateway) -> None:
    assert gateway.get("/api/v1/hoso", MaDonVi=FOREIGN_AGENCY).status_code == 403


def test_get_unknown_dossier_is_404(gateway: Gateway) -> None:
    assert gateway.get(f"/api/v1/hoso/{code(1)}").status_code == 404


def test_get_dossier_of_a_foreign_agency_is_403(gateway: Gateway) -> None:
    gateway.sim.store.put_raw_dossier(dossier(1, MaHoSo=f"{FOREIGN_AGENCY}-210311-0001"))
    assert gateway.get(f"/api/v1/hoso/{FOREIGN_AGENCY}-210311-0001").status_code == 403
