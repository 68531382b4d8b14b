"""Pseudonymised identity index: the same ID number under differently spelled names.

Only keyed HMAC-SHA-256 digests are stored (of the ID number, and of the applicant's name
folded: NFC-, case- and accent-insensitive), never the values; a 9- or 12-digit number's
plain hash could be reversed by trying every number, a keyed one cannot without the key.
The key is generated on first use and kept in the state database's ``control`` table.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from igate_sync.adapters.base import SourceRecord
from igate_sync.normalize import fold
from igate_sync.store import tables as t

KEY_NAME = "identity.hmac_key"


@dataclass(frozen=True)
class IdentityGroup:
    """Dossiers sharing one ID number under more than one spelling of the name."""

    rows: tuple[tuple[str, str, str | None], ...]  # (source, source_key, ma_ho_so)
    spellings: int


def replace_identities(
    conn: Connection, source: str, records: Sequence[SourceRecord], now: datetime
) -> None:
    """Index the chunk's dossiers, replacing what was indexed for these rows before."""
    keys = [r.source_key for r in records]
    c = t.identities.c
    conn.execute(delete(t.identities).where(c.source == source, c.source_key.in_(keys)))
    rows = _rows(source, records, _key(conn, now))
    if rows:
        conn.execute(insert(t.identities), rows)


def _rows(source: str, records: Sequence[SourceRecord], key: bytes) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record.kind != "dossier" or record.content is None:
            continue
        name = _digest(key, fold(record.content["ChuHoSo"]) or "")
        for document in record.content["DinhDanhCHS"]:
            id_hash = _digest(key, document["SoDinhDanh"])
            rows[(record.source_key, id_hash)] = {
                "source": source,
                "source_key": record.source_key,
                "id_hash": id_hash,
                "name_hash": name,
                "ma_ho_so": record.ma_ho_so,
            }
    return list(rows.values())


def _digest(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _key(conn: Connection, now: datetime) -> bytes:
    value = conn.execute(select(t.control.c.value).where(t.control.c.key == KEY_NAME)).scalar()
    if value is None:
        value = secrets.token_hex(32)
        conn.execute(insert(t.control).values(key=KEY_NAME, value=value, updated_at=now))
    return bytes.fromhex(value)


def same_id_groups(engine: Engine, limit: int = 1000) -> list[IdentityGroup]:
    """ID numbers held by dossiers under more than one folded spelling of the name."""
    c = t.identities.c
    shared = (
        select(c.id_hash, func.count(func.distinct(c.name_hash)).label("spellings"))
        .group_by(c.id_hash)
        .having(func.count(func.distinct(c.name_hash)) > 1)
        .order_by(c.id_hash)
        .limit(limit)
        .subquery()
    )
    query = (
        select(shared.c.id_hash, shared.c.spellings, c.source, c.source_key, c.ma_ho_so)
        .join(shared, c.id_hash == shared.c.id_hash)
        .order_by(shared.c.id_hash, c.source, c.source_key)
    )
    groups: dict[str, tuple[int, list[tuple[str, str, str | None]]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            groups.setdefault(row.id_hash, (row.spellings, []))[1].append(
                (row.source, row.source_key, row.ma_ho_so)
            )
    return [IdentityGroup(tuple(rows), n) for n, rows in groups.values()]
