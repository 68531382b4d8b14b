"""The audit log on every state engine: the chain verifies, and every kind of tampering done
behind its back (raw SQL on the table) is found and named by its first broken entry."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import Engine, Row, delete, insert, select, text, update

from igate_sync.errors import ConfigError
from igate_sync.logs import PERSONAL_KEYS
from igate_sync.store import audit
from igate_sync.store import tables as t
from igate_sync.store.audit import AuditLog, load_or_create_key, verify_chain, verify_command
from igate_sync.store.migrate import upgrade
from tests.conftest import FakeClock
from tests.engines import ENGINES, fresh_database

DOSSIER = "000.24.24.H16-210311-0001"


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield request.getfixturevalue("state_engine")  # the real state engine: BEGIN IMMEDIATE
        return
    with fresh_database(request.param, tmp_path) as engine:
        upgrade(engine)
        yield engine


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def log(engine: Engine, key: Ed25519PrivateKey) -> AuditLog:
    return AuditLog(engine, key, checkpoint_every=3, personal_keys=PERSONAL_KEYS)


def fill(log: AuditLog, clock: FakeClock, count: int) -> list[int]:
    seqs = []
    for n in range(count):
        payload = {"resync_id": n, "enqueued": 2 * n, "dossiers": [DOSSIER], "reason_sha256": "ab"}
        seqs.append(log.append("resync", "operator", payload, clock.now))
        clock.advance(1.5)
    return seqs


def entries(engine: Engine) -> list[Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)))


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def shift(engine: Engine, start: int, by: int) -> None:
    """Renumber entries from ``start`` on, in two steps so that no engine trips on the key."""
    sql(engine, "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= :s", s=start)
    sql(engine, "UPDATE audit_log SET seq = seq - :d WHERE seq >= 1000", d=1000 - by)


def rewrite_from(
    engine: Engine, start: int, signer: Ed25519PrivateKey, *, key_id: str | None = None
) -> None:
    """What a forger who knows the algorithm does: rehash (and re-sign) from ``start`` on."""
    rows = entries(engine)
    prev = rows[start - 2].entry_hash if start > 1 else audit.GENESIS
    for row in rows[start - 1 :]:
        payload = row.payload
        if row.kind == audit.CHECKPOINT:
            payload = audit.canonical_json(
                {
                    "covers_seq": row.seq - 1,
                    "covers_hash": prev,
                    "key_id": key_id or audit.key_fingerprint(signer.public_key()),
                    "signature": _b64(signer.sign(audit.signed_message(row.seq - 1, prev))),
                }
            )
        digest = audit.entry_hash(row.seq, row.at, row.kind, row.actor, payload, prev)
        with engine.begin() as conn:
            conn.execute(
                update(t.audit_log)
                .where(t.audit_log.c.seq == row.seq)
                .values(payload=payload, prev_hash=prev, entry_hash=digest)
            )
        prev = digest
    head = audit.canonical_json({"hash": prev, "seq": rows[-1].seq, "unsigned": 0})
    with engine.begin() as conn:  # `key` is a reserved word on MariaDB: no raw SQL here
        conn.execute(update(t.control).where(t.control.c.key == audit.HEAD_KEY).values(value=head))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- the chain -----------------------------------------------------------------------------


def test_appends_chain_and_verify(log: AuditLog, engine: Engine, clock: FakeClock) -> None:
    seqs = fill(log, clock, 2)
    result = log.verify()
    assert seqs == [1, 2]
    assert result == audit.VerifyResult(True, 2, 0, None, None, None, None)
    first, second = entries(engine)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.entry_hash
    assert second.at == datetime(2026, 11, 27, 3, 0, 1, tzinfo=UTC)  # whole seconds


def test_an_empty_log_verifies(log: AuditLog) -> None:
    assert log.verify().ok
    assert log.checkpoint(datetime(2026, 11, 27, tzinfo=UTC)) is None
    assert log.verify() == audit.VerifyResult(True, 0, 0, None, None, None, None)


def test_payload_is_stored_as_canonical_json(log: AuditLog, engine: Engine) -> None:
    log.append("report", "igate-sync", {"b": 1, "a": "Ê", "c": [None, True, 1.5]}, _now())
    assert entries(engine)[0].payload == '{"a":"Ê","b":1,"c":[null,true,1.5]}'


def test_the_entry_encoding_is_pinned() -> None:
    # External verifiers rely on it: changing it needs a new tag, not a silent edit.
    at = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    digest = audit.entry_hash(1, at, "pause", "operator", '{"x":1}', audit.GENESIS)
    assert digest == "dc3ae2bf8a1865ddc4592a260d5ccd35001e862b2e44b46cb75a341602f5fc52"


def test_a_checkpoint_every_n_entries(log: AuditLog, engine: Engine, clock: FakeClock) -> None:
    assert fill(log, clock, 7) == [1, 2, 3, 5, 6, 7, 9]
    kinds = [row.kind for row in entries(engine)]
    assert kinds == ["resync"] * 3 + ["checkpoint"] + ["resync"] * 3 + ["checkpoint", "resync"]
    result = log.verify()
    assert (result.ok, result.entries, result.checkpoints) == (True, 9, 2)
    assert result.last_signed_seq == 7
    assert result.last_signed_hash == entries(engine)[6].entry_hash


def test_an_explicit_checkpoint_signs_the_tail_once(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 4)  # 1 2 3 cp4 5
    assert log.checkpoint(clock.now) == 6
    assert log.checkpoint(clock.now) == 6  # nothing new to sign
    body = json.loads(entries(engine)[5].payload)
    assert (body["covers_seq"], body["covers_hash"]) == (5, entries(engine)[4].entry_hash)
    assert log.verify().last_signed_seq == 5
    # The count restarts at an explicit checkpoint too.
    fill(log, clock, 3)
    assert [row.kind for row in entries(engine)][-1] == "checkpoint"


def test_anyone_with_the_public_key_can_verify(
    log: AuditLog, engine: Engine, key: Ed25519PrivateKey, clock: FakeClock
) -> None:
    fill(log, clock, 7)
    assert verify_chain(engine, key.public_key(), page_size=2).ok
    other = Ed25519PrivateKey.generate().public_key()
    result = verify_chain(engine, other)
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.reason is not None
    assert "another key" in result.reason


def test_concurrent_appends_keep_one_chain(log: AuditLog, engine: Engine) -> None:
    start = threading.Barrier(4)

    def work(worker: int) -> list[int]:
        start.wait(timeout=30)
        return [log.append("retry_dead", f"w{worker}", {"n": n}, _now()) for n in range(10)]

    with ThreadPoolExecutor(4) as pool:
        seqs = [seq for batch in pool.map(work, range(4)) for seq in batch]
    result = log.verify()
    assert result.ok, result.reason
    assert len(set(seqs)) == 40
    assert [row.seq for row in entries(engine)] == list(range(1, result.entries + 1))
    assert result.checkpoints == result.entries - 40


# --- tampering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("payload", '{"enqueued":999}'),
        ("actor", "someone-else"),
        ("kind", "repair"),
        ("prev_hash", "f" * 64),
        ("entry_hash", "0" * 64),
    ],
)
def test_an_edited_entry_is_named(
    log: AuditLog, engine: Engine, clock: FakeClock, column: str, value: str
) -> None:
    fill(log, clock, 5)
    sql(engine, f"UPDATE audit_log SET {column} = :v WHERE seq = 3", v=value)
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.entries) == (False, 3, 2)


def test_an_edited_time_is_named(log: AuditLog, engine: Engine, clock: FakeClock) -> None:
    fill(log, clock, 5)
    with engine.begin() as conn:
        conn.execute(
            update(t.audit_log).where(t.audit_log.c.seq == 2).values(at=_now().replace(year=2025))
        )
    assert log.verify().first_broken_seq == 2


def test_an_edited_entry_with_its_own_hash_redone_breaks_the_next_link(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 5)
    row = entries(engine)[1]
    payload = '{"enqueued":0}'
    digest = audit.entry_hash(2, row.at, row.kind, row.actor, payload, row.prev_hash)
    sql(
        engine,
        "UPDATE audit_log SET payload = :p, entry_hash = :h WHERE seq = 2",
        p=payload,
        h=digest,
    )
    result = log.verify()
    assert result.first_broken_seq == 3
    assert result.reason is not None
    assert "does not follow entry 2" in result.reason


def test_a_deleted_entry_is_named(log: AuditLog, engine: Engine, clock: FakeClock) -> None:
    fill(log, clock, 5)
    sql(engine, "DELETE FROM audit_log WHERE seq = 3")
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert result.reason == "entry 3 is missing (the next entry is 4)"


def test_a_deleted_entry_with_the_rest_renumbered_is_named(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 5)
    sql(engine, "DELETE FROM audit_log WHERE seq = 2")
    shift(engine, 3, -1)
    assert log.verify().first_broken_seq == 2


def test_an_inserted_entry_is_named(log: AuditLog, engine: Engine, clock: FakeClock) -> None:
    fill(log, clock, 5)
    before = entries(engine)[1]
    shift(engine, 3, 1)
    payload = '{"enqueued":1}'
    digest = audit.entry_hash(3, before.at, "repair", "operator", payload, before.entry_hash)
    with engine.begin() as conn:  # a well-formed entry: its own hash and link are right
        conn.execute(
            insert(t.audit_log).values(
                seq=3,
                at=before.at,
                kind="repair",
                actor="operator",
                payload=payload,
                prev_hash=before.entry_hash,
                entry_hash=digest,
            )
        )
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.entries) == (False, 4, 3)


def test_an_entry_added_at_the_end_is_named(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 2)
    last = entries(engine)[-1]
    digest = audit.entry_hash(3, last.at, "resume", "operator", "{}", last.entry_hash)
    sql(
        engine,
        "INSERT INTO audit_log (seq, at, kind, actor, payload, prev_hash, entry_hash)"
        " VALUES (3, :at, 'resume', 'operator', '{}', :p, :h)",
        at=last.at.replace(tzinfo=None),
        p=last.entry_hash,
        h=digest,
    )
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_swapped_entries_are_named(log: AuditLog, engine: Engine, clock: FakeClock) -> None:
    fill(log, clock, 5)
    sql(engine, "UPDATE audit_log SET seq = 1003 WHERE seq = 3")
    sql(engine, "UPDATE audit_log SET seq = 3 WHERE seq = 5")
    sql(engine, "UPDATE audit_log SET seq = 5 WHERE seq = 1003")
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_a_cut_tail_is_named_against_the_head(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 5)  # 1 2 3 cp4 5 6
    sql(engine, "DELETE FROM audit_log WHERE seq > 4")
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert result.reason == "entries 5 to 6 are missing (cut tail)"


def test_a_cut_tail_with_its_head_redone_is_only_visible_against_a_kept_signed_seq(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    # The limit stated in the module docstring: keep last_signed_seq/hash outside the machine.
    fill(log, clock, 7)
    kept = log.verify()
    sql(engine, "DELETE FROM audit_log WHERE seq > 4")
    rewrite_from(engine, 5, Ed25519PrivateKey.generate())  # only the head record changes
    result = log.verify()
    assert result.ok
    assert (kept.last_signed_seq, result.last_signed_seq) == (7, 3)


def test_a_rewritten_chain_fails_at_the_next_checkpoint(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 7)  # 1 2 3 cp4 5 6 7 cp8 9
    sql(engine, "UPDATE audit_log SET payload = :p WHERE seq = 2", p='{"enqueued":0}')
    rewrite_from(engine, 2, Ed25519PrivateKey.generate())
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.entries) == (False, 4, 3)
    assert result.reason is not None
    assert "another key" in result.reason


def test_a_forged_signature_under_our_key_id_is_named(
    log: AuditLog, engine: Engine, key: Ed25519PrivateKey, clock: FakeClock
) -> None:
    fill(log, clock, 7)
    ours = audit.key_fingerprint(key.public_key())
    rewrite_from(engine, 8, Ed25519PrivateKey.generate(), key_id=ours)
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.checkpoints) == (False, 8, 1)
    assert result.reason == "the checkpoint's signature does not verify (forged)"
    assert result.last_signed_seq == 3


def test_a_lost_head_record_is_reported_and_rebuilt_by_the_next_append(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 2)
    with engine.begin() as conn:
        conn.execute(delete(t.control).where(t.control.c.key == audit.HEAD_KEY))
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, None)
    assert fill(log, clock, 1) == [3]
    assert entries(engine)[-1].kind == "checkpoint"  # the count since the last one: from the log
    assert log.verify().ok


def test_appends_racing_to_rebuild_a_lost_head_both_land(
    log: AuditLog, engine: Engine, clock: FakeClock
) -> None:
    fill(log, clock, 1)
    with engine.begin() as conn:
        conn.execute(delete(t.control).where(t.control.c.key == audit.HEAD_KEY))
    start = threading.Barrier(2)

    def work(worker: int) -> int:
        start.wait(timeout=30)
        return log.append("resume", f"w{worker}", {}, _now())

    with ThreadPoolExecutor(2) as pool:
        seqs = sorted(pool.map(work, range(2)))
    assert seqs == [2, 3]
    assert log.verify().ok


# --- what a payload may hold ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"ChuHoSo": "Nguyễn Văn An"}, ValueError),
        ({"counts": [{"so_dien_thoai": 1, "sdt": "0912345678"}]}, ValueError),
        ({"EMAIL": "x"}, ValueError),
        ({"at": datetime(2026, 1, 1, tzinfo=UTC)}, TypeError),
        ({"raw": b"bytes"}, TypeError),
        ({"codes": ("a", "b")}, TypeError),
        ({"nested": {1: "x"}}, TypeError),
        ({"ratio": float("nan")}, ValueError),
        ({"note": "x" * 257}, ValueError),
        ({"codes": [DOSSIER] * 800}, ValueError),
    ],
)
def test_payloads_that_could_hold_personal_data_are_refused(
    log: AuditLog, engine: Engine, payload: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        log.append("repair", "operator", payload, _now())
    assert entries(engine) == []


@pytest.mark.parametrize("kind", ["checkpoint", "Report", "", "x" * 21, "re sync"])
def test_bad_kinds_are_refused(log: AuditLog, kind: str) -> None:
    with pytest.raises(ValueError, match="audit kind"):
        log.append(kind, "operator", {}, _now())


def test_naive_times_and_empty_actors_are_refused(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="naive"):
        log.append("pause", "operator", {}, datetime(2026, 11, 27))  # noqa: DTZ001
    with pytest.raises(ValueError, match="actor"):
        log.append("pause", "", {}, _now())


# --- the key -------------------------------------------------------------------------------


def test_the_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / "audit-key.pem"
    old = os.umask(0)
    try:
        first = load_or_create_key(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes(), path.stat().st_ino
    again = load_or_create_key(path)
    assert (path.read_bytes(), path.stat().st_ino) == before
    assert _raw(again) == _raw(first)
    assert sorted(p.name for p in path.parent.iterdir()) == ["audit-key.pem"]
    assert audit.public_key_pem(first).startswith("-----BEGIN PUBLIC KEY-----\n")


@pytest.mark.parametrize("content", [b"not a key", "ed448"])
def test_a_key_file_that_is_not_ed25519_stops(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "audit-key.pem"
    if content == "ed448":
        content = Ed448PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    assert isinstance(content, bytes)
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="Ed25519"):
        load_or_create_key(path)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- the command ---------------------------------------------------------------------------


def test_verify_command(engine: Engine, tmp_path: Path, clock: FakeClock) -> None:
    key_path = tmp_path / "audit-key.pem"
    assert verify_command(engine, key_path)[0] == 2  # no key yet
    log = AuditLog(engine, load_or_create_key(key_path), checkpoint_every=3)
    code, message = verify_command(engine, key_path)
    assert (code, message) == (0, "audit log intact: no entries yet")
    fill(log, clock, 4)
    code, message = verify_command(engine, key_path)
    assert code == 0
    assert message.startswith("audit log intact: 5 entries, 1 checkpoints, signed up to entry 3")
    sql(engine, "DELETE FROM audit_log WHERE seq = 2")
    code, message = verify_command(engine, key_path)
    assert code == 1
    assert message.startswith("audit log BROKEN at entry 2: entry 2 is missing")
    key_path.write_bytes(b"garbage")
    assert verify_command(engine, key_path)[0] == 2


# --- the schema ----------------------------------------------------------------------------


def test_the_migration_matches_the_table(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert [d for d in diff if "audit_log" in repr(d)] == []
    with engine.connect() as conn:
        head = conn.execute(select(t.control).where(t.control.c.key == audit.HEAD_KEY)).one()
    assert head.value is None


def _now() -> datetime:
    return datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
