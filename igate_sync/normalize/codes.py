"""Source status and channel codes → the DVCQG codes of the wire (TrangThaiHoSo, KenhThucHien)."""

from __future__ import annotations

from igate_sync.normalize.text import fold

# The trang_thai label table at the end of commune-schemas/mot_cua_v1.sql, as written there.
_STATUS_LABELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1", ("mới đăng ký",)),
    ("2", ("đã tiếp nhận", "tiếp nhận")),
    ("3", ("không tiếp nhận", "từ chối tiếp nhận")),
    ("4", ("đang xử lý", "đang giải quyết")),
    ("5", ("chờ bổ sung", "yêu cầu bổ sung")),
    ("6", ("chờ nộp phí", "chờ thực hiện nghĩa vụ tài chính")),
    ("7", ("rút hồ sơ", "công dân rút hồ sơ")),
    ("8", ("dừng xử lý", "tạm dừng")),
    ("9", ("đã giải quyết", "đã xử lý xong", "hoàn thành")),
    ("10", ("đã trả kết quả", "đã trả")),
)

_CHANNELS = {"TRUC_TIEP": "1", "TRUC_TUYEN": "2", "BUU_CHINH": "3"}
_DIRECT = _CHANNELS["TRUC_TIEP"]

HO_TICH_STATUS: dict[int, str] = {0: "2", 1: "4", 2: "9", 3: "10", 4: "3", 5: "7"}
HO_TICH_CHANNEL: dict[int, str] = {0: "1", 1: "2", 2: "3"}


def _folded_status_labels() -> dict[str, str]:
    """Folded label → TrangThaiHoSo, so source labels match whatever their case and accents."""
    table: dict[str, str] = {}
    for code, labels in _STATUS_LABELS:
        for label in labels:
            key = fold(label)
            if key is not None:
                table[key] = code
    return table


_STATUS_BY_FOLDED_LABEL = _folded_status_labels()


def status_from_label(label: str | None) -> str | None:
    """TrangThaiHoSo ("1".."10") for a source status label; None when blank or unknown."""
    key = fold(label)
    if key is None:
        return None
    return _STATUS_BY_FOLDED_LABEL.get(key)


def channel_from_label(label: str | None) -> str | None:
    """KenhThucHien for a ``kenh_nop`` value: blank means direct ("1"); unknown → None."""
    key = fold(label)
    if key is None:
        return _DIRECT
    return _CHANNELS.get(key.replace(" ", "_").upper())
