"""Tables of the state database: cursors, outbox, quarantine, findings, runs, control.

Times are stored as naive UTC and read back as aware UTC (``UtcDateTime``), so that every
engine stores the same thing and no naive datetime escapes into the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.mysql import LONGTEXT
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC out; naive UTC at rest."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


ID = BigInteger().with_variant(Integer, "sqlite")

source_cursors = Table(
    "source_cursors",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("cursor", Text, nullable=True),
    Column("last_scan_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The latest content read for each source row, whatever became of it.
source_rows = Table(
    "source_rows",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("source_key", String(100), primary_key=True),
    Column("ma_ho_so", String(60), nullable=True, index=True),
    Column("kind", String(20), nullable=False),  # dossier | quarantined | draft | deleted
    Column("phien_ban", String(64), nullable=True),
    Column("ngay_cap_nhat", String(14), nullable=True),
    Column("received_at", String(14), nullable=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

outbox_dossiers = Table(
    "outbox_dossiers",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("ma_ho_so", String(60), nullable=False),
    Column("phien_ban", String(64), nullable=False),
    Column("ngay_cap_nhat", String(14), nullable=False),
    Column("payload", Text, nullable=True),  # dropped once confirmed: personal data
    Column("state", String(20), nullable=False),
    Column("batch_id", ID, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    # Sent alone: it was in a batch the gateway kept failing while it answered others.
    Column("isolate", Boolean, nullable=False, default=False, server_default=false()),
    # The operator's resync request that enqueued this version, if any.
    Column("resync_id", ID, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_outbox_dossiers_state_id", "state", "id"),
    Index("ix_outbox_dossiers_ma_ho_so", "ma_ho_so"),
    Index("ix_outbox_dossiers_batch", "batch_id"),
)

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("ma_ho_so", String(60), nullable=False),
    Column("stt", Integer, nullable=False),
    Column("payload", Text, nullable=True),
    Column("state", String(20), nullable=False),
    Column("batch_id", ID, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("isolate", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("ma_ho_so", "stt", name="uq_outbox_events_ma_ho_so_stt"),
    # Pending events are taken in (dossier, STT) order: the index serves that order directly.
    Index("ix_outbox_events_state_order", "state", "ma_ho_so", "stt"),
    Index("ix_outbox_events_batch", "batch_id"),
)

push_batches = Table(
    "push_batches",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),  # dossiers | events
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("state", String(10), nullable=False),  # open | done | split | failed
    Column("attempts", Integer, nullable=False, default=0),
    # Failures while the gateway answered other batches in the same cycle.
    Column("selective_failures", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_push_batches_state", "state", "id"),
)

# What the gateway confirmed last for each dossier code.
gateway_dossiers = Table(
    "gateway_dossiers",
    metadata,
    Column("ma_ho_so", String(60), primary_key=True),
    Column("phien_ban", String(64), nullable=False),
    Column("ngay_cap_nhat", String(14), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("source_key", String(100), primary_key=True),
    Column("ma_ho_so", String(60), nullable=True),
    Column("reason", String(50), nullable=False),
    Column("field", String(50), nullable=True),
    Column("value_shape", String(100), nullable=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Index("ix_quarantine_reason", "reason"),
)

findings = Table(
    "findings",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("source_key", String(100), primary_key=True),
    Column("code", String(50), primary_key=True),
    Column("field", String(50), nullable=False),
    Column("ma_ho_so", String(60), nullable=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("run_id", String(36), nullable=False, unique=True),
    Column("source", String(100), nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("outcome", String(20), nullable=True),
    Column("summary", Text, nullable=True),
)

control = Table(
    "control",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The gateway's own listing, copied in pages during a reconciliation so that the comparison
# runs in SQL with flat memory, whatever the number of dossiers.
gateway_listing = Table(
    "gateway_listing",
    metadata,
    Column("ma_ho_so", String(60), primary_key=True),
    Column("phien_ban", String(64), nullable=False),
    Column("trang_thai", String(2), nullable=False),
    Column("ngay_cap_nhat", String(14), nullable=False),
    Column("so_tien_trinh", Integer, nullable=False),
    # Set once a source row of this reconciliation holds the code; unmatched = unknown_upstream.
    Column("matched", Boolean, nullable=False, default=False, server_default=false()),
)

# Pseudonymised identities of pushed dossiers, for the "same ID number under differently
# spelled names" finding: keyed HMACs of the ID number and of the folded name, never the
# values themselves. The key lives in `control` (identity.hmac_key) in this database.
identities = Table(
    "identities",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("source_key", String(100), primary_key=True),
    Column("id_hash", String(64), primary_key=True),
    Column("name_hash", String(64), nullable=False),
    Column("ma_ho_so", String(60), nullable=True),
    Index("ix_identities_id_hash", "id_hash"),
)

# Operator-requested resyncs: who, when, why, what; picked up by the daemon or run in-process.
resync_requests = Table(
    "resync_requests",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("spec", Text, nullable=False),  # JSON: dossiers, since, until, quarantined, ...
    Column("dry_run", Boolean, nullable=False),
    Column("state", String(10), nullable=False),  # pending | running | done | failed
    Column("result", Text, nullable=True),  # JSON summary: codes and counts only
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_resync_requests_state", "state", "id"),
)

# The tamper-evident audit log (igate_sync/store/audit.py): each entry carries the hash of the
# previous one; entries of kind "checkpoint" carry an Ed25519 signature. Codes, counts and
# hashes only, never personal data. ``seq`` is assigned by the writer, never by the engine.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", ID, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),  # whole seconds: what every engine keeps
    Column("kind", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("payload", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

# Reconciliation reports, append only: the report's JSON (codes and counts, never personal
# data) with the columns a listing and the daily synced-ratio chart need.
reports = Table(
    "reports",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("generated_at", UtcDateTime, nullable=False),
    Column("period_since", String(14), nullable=True),  # wire time, inclusive
    Column("period_until", String(14), nullable=True),  # wire time, exclusive
    Column("source_filter", String(100), nullable=True),  # None: every source
    Column("synced_ratio", Float, nullable=False),
    Column("body", Text().with_variant(LONGTEXT(), "mysql", "mariadb"), nullable=False),
    Index("ix_reports_generated_at", "generated_at"),
)
