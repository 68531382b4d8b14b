"""Valid wire objects for simulator tests, with PhienBan computed here, independently."""

from __future__ import annotations

import hashlib
import json
from typing import Any

AGENCY = "000.24.24.H16"
OTHER_AGENCY = "000.25.24.H16"
FOREIGN_AGENCY = "000.99.99.H99"
CLIENT_ID = "xa-ea-yieng"
CLIENT_SECRET = "s3cret+/=value"


def phien_ban(obj: dict[str, Any]) -> str:
    """The contract's PhienBan, computed by the test itself."""
    body = {k: v for k, v in obj.items() if k not in ("PhienBan", "NgayCapNhat")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with its PhienBan recomputed."""
    return {**obj, "PhienBan": phien_ban(obj)}


def dossier(number: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid dossier of AGENCY, with the given fields replaced and PhienBan sealed."""
    base: dict[str, Any] = {
        "MaHoSo": f"{AGENCY}-210311-{number:04d}",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "HT",
        "TenLinhVuc": "Hộ tịch",
        "KenhThucHien": "1",
        "MucDo": "3",
        "ChuHoSo": "H'Hen Niê",
        "LoaiDoiTuong": "1",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "066190001234"}],
        "SoDienThoai": "0912345678",
        "Email": "",
        "DiaChi": "Buôn Ea Yiêng, xã Ea Yiêng",
        "TrichYeuHoSo": "Đăng ký khai sinh cho con",
        "NgayTiepNhan": "20210311083000",
        "NgayHenTra": "20210312235959",
        "NgayKetThucXuLy": "",
        "NgayTra": "",
        "TrangThaiHoSo": "4",
        "DonViXuLy": "UBND xã Ea Yiêng",
        "GhiChu": "",
        "TaiLieuNop": [{"TenTepDinhKem": "Tờ khai", "SoBan": "1", "DuocSoHoa": "1"}],
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "0", "DaThu": "1"}],
        "NgayCapNhat": "20210311090000",
    }
    return seal({**base, **changes})


def event(number: int = 1, stt: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid progress event of dossier ``number``."""
    base: dict[str, Any] = {
        "MaHoSo": f"{AGENCY}-210311-{number:04d}",
        "STT": str(stt),
        "NguoiXuLy": "Y Bhim Êban",
        "ChucDanh": "Công chức Tư pháp - Hộ tịch",
        "PhongBanXuLy": "Bộ phận một cửa",
        "ThoiDiemXuLy": "20210311090000",
        "NoiDungXuLy": "Tiếp nhận hồ sơ",
        "TrangThai": "2",
        "HanXuLy": "",
    }
    return {**base, **changes}


def envelope(items: list[Any], agency: str = AGENCY) -> dict[str, Any]:
    """A push body."""
    return {"MaDonVi": agency, "DanhSach": items}
