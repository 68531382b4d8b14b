"""The gateway port: what the pipeline needs from any upstream profile.

A push request carries items already serialised to JSON (the outbox stores them that way),
so that a repeat after a lost reply sends exactly the same body with the same key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Outcome = Literal["created", "updated", "unchanged", "stale", "rejected"]
PushKind = Literal["dossiers", "events"]
NOT_THERE_YET = "KHONG_TON_TAI"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field error the gateway reported for an item."""

    truong: str
    mo_ta: str


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The gateway's verdict on one item of a push, in request order."""

    ma_ho_so: str
    outcome: Outcome
    phien_ban: str = ""
    stt: str = ""
    errors: tuple[FieldError, ...] = ()

    @property
    def waits_for_dossier(self) -> bool:
        """An event the gateway refused only because its dossier is not there yet."""
        return (
            self.outcome == "rejected"
            and bool(self.errors)
            and self.errors[0].truong == "MaHoSo"
            and self.errors[0].mo_ta == NOT_THERE_YET
        )


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One batch for the gateway: items as JSON object texts, with its idempotency key."""

    kind: PushKind
    idempotency_key: str
    ma_don_vi: str
    items: Sequence[str] = field(repr=False)
    # Each item's (MaHoSo, PhienBan) or (MaHoSo, STT), when the caller knows them: the reply
    # is then checked without parsing the items again. Empty: read from the items.
    refs: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class ListedDossier:
    """One row of the gateway's own listing, for reconciliation."""

    ma_ho_so: str
    phien_ban: str
    trang_thai: str
    ngay_cap_nhat: str
    so_tien_trinh: int


class Gateway(Protocol):
    """What the pipeline and reconciliation need from an upstream gateway."""

    def push(self, request: PushRequest) -> list[ItemResult]:
        """Send one batch; one result per item, in request order."""
        ...

    def get_dossier(self, ma_ho_so: str) -> dict[str, Any] | None:
        """The stored dossier, or None when the gateway does not hold it."""
        ...

    def list_dossiers(
        self, ma_don_vi: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ListedDossier]:
        """The gateway's view, streamed page by page in (NgayCapNhat, MaHoSo) order."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
