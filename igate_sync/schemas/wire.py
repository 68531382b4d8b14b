"""Pydantic models of the gateway's wire objects (upstream-contract.md sections 1-3).

Field names are the wire names; every scalar is a string, as DVCQG does it. The models
validate what the contract requires of a single object; the envelope rule that a dossier
code starts with the request's agency code is checked where the agency is known.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

MA_HO_SO_PATTERN = r"^[0-9A-Z.]+-[0-9]{6}-[0-9]{4,5}$"
MA_TTHC_PATTERN = r"^[0-9]\.[0-9]{6}(\.[0-9A-Z.]+)?$"

WireTime = Annotated[str, StringConstraints(pattern=r"^[0-9]{14}$")]
OptionalWireTime = Annotated[str, StringConstraints(pattern=r"^([0-9]{14})?$")]
Status = Literal["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class DinhDanh(_Wire):
    """One identity document of the applicant."""

    LoaiDinhDanh: Literal["1", "2"]
    SoDinhDanh: Annotated[str, StringConstraints(pattern=r"^([0-9]{12}|[0-9]{9})$")]

    @model_validator(mode="after")
    def _length_matches_kind(self) -> DinhDanh:
        if len(self.SoDinhDanh) != (12 if self.LoaiDinhDanh == "1" else 9):
            raise ValueError("SoDinhDanh length does not match LoaiDinhDanh")
        return self


class TaiLieu(_Wire):
    """One document handed in."""

    TenTepDinhKem: NonEmpty
    SoBan: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
    DuocSoHoa: Literal["0", "1"]


class LePhi(_Wire):
    """One fee."""

    TenPhiLePhi: NonEmpty
    Gia: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
    DaThu: Literal["0", "1"]


class DossierContent(_Wire):
    """A dossier as the gateway sees it, without its version fields."""

    MaHoSo: Annotated[str, StringConstraints(pattern=MA_HO_SO_PATTERN)]
    MaTTHC: Annotated[str, StringConstraints(pattern=MA_TTHC_PATTERN)]
    TenTTHC: NonEmpty
    MaLinhVuc: str = ""
    TenLinhVuc: str = ""
    KenhThucHien: Literal["1", "2", "3"]
    MucDo: Literal["2", "3", "4"]
    ChuHoSo: Annotated[str, StringConstraints(pattern=r"^\S+( \S+)*$")]
    LoaiDoiTuong: Literal["1", "2", "3", "4"]
    DinhDanhCHS: list[DinhDanh]
    SoDienThoai: Annotated[str, StringConstraints(pattern=r"^(0[0-9]{9})?$")]
    Email: Annotated[str, StringConstraints(pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")]
    DiaChi: str
    TrichYeuHoSo: Annotated[str, StringConstraints(max_length=1000)]
    NgayTiepNhan: WireTime
    NgayHenTra: OptionalWireTime
    NgayKetThucXuLy: OptionalWireTime
    NgayTra: OptionalWireTime
    TrangThaiHoSo: Status
    DonViXuLy: str
    GhiChu: str
    TaiLieuNop: list[TaiLieu]
    DanhSachLePhi: list[LePhi]

    @model_validator(mode="after")
    def _times_in_order(self) -> DossierContent:
        # Wire times are fixed-width digits, so string order is time order.
        if self.NgayHenTra and self.NgayHenTra < self.NgayTiepNhan:
            raise ValueError("NgayHenTra is before NgayTiepNhan")
        if self.NgayTra and self.NgayTra < self.NgayTiepNhan:
            raise ValueError("NgayTra is before NgayTiepNhan")
        return self

    def wire_dict(self) -> dict[str, Any]:
        """The content as a plain JSON-ready dict."""
        return self.model_dump()


class ProgressEvent(_Wire):
    """One step of the processing history (tiến trình xử lý)."""

    MaHoSo: Annotated[str, StringConstraints(pattern=MA_HO_SO_PATTERN)]
    STT: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*$")]
    NguoiXuLy: Annotated[str, StringConstraints(max_length=50)]
    ChucDanh: str
    PhongBanXuLy: str
    ThoiDiemXuLy: WireTime
    NoiDungXuLy: str
    TrangThai: Status
    HanXuLy: OptionalWireTime


def canonical_json(obj: dict[str, Any]) -> str:
    """JSON as the contract hashes it: sorted keys, no spaces, no ASCII escaping."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def phien_ban(content: dict[str, Any]) -> str:
    """PhienBan of a dossier: SHA-256 of its canonical JSON without the version fields."""
    body = {k: v for k, v in content.items() if k not in ("PhienBan", "NgayCapNhat")}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def wire_dossier_json(content: dict[str, Any], *, ngay_cap_nhat: str, version: str) -> str:
    """The full wire dossier, serialised once for the outbox and the request body."""
    return canonical_json({**content, "NgayCapNhat": ngay_cap_nhat, "PhienBan": version})


__all__ = [
    "MA_HO_SO_PATTERN",
    "MA_TTHC_PATTERN",
    "DinhDanh",
    "DossierContent",
    "LePhi",
    "ProgressEvent",
    "TaiLieu",
    "canonical_json",
    "phien_ban",
    "wire_dossier_json",
]
