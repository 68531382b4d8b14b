"""Wire contract models and the canonical dossier; no I/O."""

from igate_sync.schemas.wire import (
    MA_HO_SO_PATTERN,
    MA_TTHC_PATTERN,
    DinhDanh,
    DossierContent,
    LePhi,
    ProgressEvent,
    TaiLieu,
    canonical_json,
    phien_ban,
    wire_dossier_json,
)

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
