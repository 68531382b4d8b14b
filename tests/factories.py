"""Builders of valid wire content and source records for tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from igate_sync.adapters.base import Problem, SourceRecord
from igate_sync.normalize import VN_TZ
from igate_sync.pipeline import Sync
from igate_sync.schemas import phien_ban
from igate_sync.store.outbox import Outbox
from igate_sync.upstream.fake import FakeGateway

AGENCY_CODE = "000.24.24.H16"
T0 = datetime(2021, 3, 11, 9, 0, tzinfo=VN_TZ)


def code(n: int) -> str:
    return f"{AGENCY_CODE}-210311-{n:04d}"


def content(n: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "MaHoSo": code(n),
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "HT",
        "TenLinhVuc": "Hộ tịch",
        "KenhThucHien": "1",
        "MucDo": "3",
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": "1",
        "DinhDanhCHS": [],
        "SoDienThoai": "",
        "Email": "",
        "DiaChi": "Thôn 3",
        "TrichYeuHoSo": "Đăng ký khai sinh",
        "NgayTiepNhan": "20210311083000",
        "NgayHenTra": "20210315235959",
        "NgayKetThucXuLy": "",
        "NgayTra": "",
        "TrangThaiHoSo": "4",
        "DonViXuLy": "UBND xã Ea Yiêng",
        "GhiChu": "",
        "TaiLieuNop": [],
        "DanhSachLePhi": [],
    }
    base.update(changes)
    return base


def event(n: int, stt: int) -> dict[str, str]:
    return {
        "MaHoSo": code(n),
        "STT": str(stt),
        "NguoiXuLy": "Cán bộ một cửa",
        "ChucDanh": "",
        "PhongBanXuLy": "",
        "ThoiDiemXuLy": f"202103110{stt}0000"[:14],
        "NoiDungXuLy": f"Bước {stt}",
        "TrangThai": "4",
        "HanXuLy": "",
    }


def dossier(
    n: int, *, changed: datetime | None = None, events: int = 0, **changes: Any
) -> SourceRecord:
    body = content(n, **changes)
    return SourceRecord(
        str(n),
        "dossier",
        ma_ho_so=code(n),
        changed_at=changed,
        content=body,
        phien_ban=phien_ban(body),
        events=tuple(event(n, s) for s in range(1, events + 1)),
    )


def quarantined(n: int, reason: str = "unknown_status") -> SourceRecord:
    return SourceRecord(
        str(n), "quarantined", ma_ho_so=code(n), problem=Problem(reason, "trang_thai", "aa")
    )


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def small_sync(
    engine: Engine, gateway: FakeGateway, clock: Callable[[], datetime], **options: Any
) -> Sync:
    """A cycle over a real state store in small batches (3 dossiers) and chunks (2 rows),
    so that a few records already cross every boundary; ``options`` override."""
    settings: dict[str, Any] = {"batch_size": 3, "chunk_rows": 2, **options}
    return Sync(
        engine=engine,
        outbox=Outbox(engine, AGENCY_CODE),
        gateway=gateway,
        clock=clock,
        **settings,
    )
