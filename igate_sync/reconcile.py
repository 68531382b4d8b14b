"""Compare the sources (as last read), the state store and the gateway's own view.

The gateway's listing is streamed page by page into the state database and compared there
in SQL, so memory stays flat however many dossiers the commune holds. Every source row gets
one class: in_sync, missing_upstream, stale_upstream (the gateway holds another PhienBan),
rejected, quarantined, draft, deleted_at_source (soft-deleted after a push); dossiers on the
gateway that no source row holds are unknown_upstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, delete, exists, func, insert, select

from igate_sync.store import tables as t
from igate_sync.upstream.base import Gateway

PAGE = 1000
CLASSES = (
    "in_sync",
    "missing_upstream",
    "stale_upstream",
    "unknown_upstream",
    "deleted_at_source",
    "rejected",
    "quarantined",
    "draft",
)


@dataclass
class Reconciliation:
    """Counts per class, and the share of pushable dossiers confirmed in their latest version."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pushable(self) -> int:
        """Dossiers that should be on the gateway."""
        c = self.counts
        return c["in_sync"] + c["missing_upstream"] + c["stale_upstream"] + c["rejected"]

    @property
    def synced_ratio(self) -> float:
        """in_sync over all pushable dossiers (1.0 when there are none)."""
        return self.counts["in_sync"] / self.pushable if self.pushable else 1.0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"counts": self.counts, "synced_ratio": self.synced_ratio}


def copy_listing(engine: Engine, gateway: Gateway, ma_don_vi: str) -> int:
    """Replace the stored copy of the gateway's listing with a fresh one; rows copied."""
    copied = 0
    with engine.begin() as conn:
        conn.execute(delete(t.gateway_listing))
    page: list[dict[str, Any]] = []
    for item in gateway.list_dossiers(ma_don_vi):
        page.append(
            {
                "ma_ho_so": item.ma_ho_so,
                "phien_ban": item.phien_ban,
                "trang_thai": item.trang_thai,
                "ngay_cap_nhat": item.ngay_cap_nhat,
                "so_tien_trinh": item.so_tien_trinh,
            }
        )
        if len(page) >= PAGE:
            copied += _flush(engine, page)
    return copied + _flush(engine, page)


def _flush(engine: Engine, page: list[dict[str, Any]]) -> int:
    if not page:
        return 0
    with engine.begin() as conn:
        conn.execute(insert(t.gateway_listing), page)
    n = len(page)
    page.clear()
    return n


def classify(engine: Engine) -> Reconciliation:
    """Count every class from the source rows and the copied listing."""
    rows, listing = t.source_rows.c, t.gateway_listing.c
    on_gateway = exists().where(listing.ma_ho_so == rows.ma_ho_so)
    same_version = exists().where(
        and_(listing.ma_ho_so == rows.ma_ho_so, listing.phien_ban == rows.phien_ban)
    )
    latest_rejected = exists().where(
        and_(
            t.outbox_dossiers.c.ma_ho_so == rows.ma_ho_so,
            t.outbox_dossiers.c.phien_ban == rows.phien_ban,
            t.outbox_dossiers.c.state == "rejected",
        )
    )
    dossier = rows.kind == "dossier"
    queries = {
        "in_sync": and_(dossier, same_version),
        "stale_upstream": and_(dossier, on_gateway, ~same_version),
        "rejected": and_(dossier, ~on_gateway, latest_rejected),
        "missing_upstream": and_(dossier, ~on_gateway, ~latest_rejected),
        "deleted_at_source": and_(rows.kind == "deleted", on_gateway),
        "quarantined": rows.kind == "quarantined",
        "draft": rows.kind == "draft",
    }
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name, where in queries.items():
            counts[name] = conn.execute(
                select(func.count()).select_from(t.source_rows).where(where)
            ).scalar_one()
        known = exists().where(rows.ma_ho_so == listing.ma_ho_so)
        counts["unknown_upstream"] = conn.execute(
            select(func.count()).select_from(t.gateway_listing).where(~known)
        ).scalar_one()
    return Reconciliation({name: counts[name] for name in CLASSES})


def reconcile(engine: Engine, gateway: Gateway, ma_don_vi: str) -> Reconciliation:
    """Copy the gateway's view, then classify every dossier."""
    copy_listing(engine, gateway, ma_don_vi)
    return classify(engine)
