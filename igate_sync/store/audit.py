"""The tamper-evident audit log: a hash chain with signed checkpoints, in the state database.

Every reconciliation report and every operator action is an entry. Each entry holds the
SHA-256 of the one before (``prev_hash``) and its own (``entry_hash``, over a canonical
encoding of seq, at, kind, actor, payload and prev_hash). Every ``checkpoint_every`` entries,
and whenever the caller asks (at each report), an entry of kind ``checkpoint`` signs the
seq and hash of the entry before it with the Ed25519 key kept beside the state database.
Payloads hold codes, counts and hashes only, never personal data, so erasing a dossier's
body never touches the chain. Nothing depends on a timestamping service.

What :func:`verify_chain` detects, naming the first broken entry: an edited entry (its hash
no longer matches its content), a deleted entry (a gap in ``seq``), an inserted or a
reordered entry (a hash or a link no longer matches), entries added or removed at the end
behind the head record's back, and a chain rewritten with recomputed hashes (the next
checkpoint's signature no longer verifies).

What it cannot detect from the database alone: the newest entries removed together with a
matching rewrite of the head record (a truncated tail looks like a shorter, intact log), and
a rewrite by someone who also holds the private key. ``VerifyResult.last_signed_seq`` and
``last_signed_hash`` say what the signatures cover: write them down outside this machine (the
reconciliation report carries them) and a later truncation below them shows.

Concurrency: appends take turns on one row of ``control`` (``audit.head``: the last seq, its
hash and the number of entries since the last checkpoint), created by migration 0005 and
locked with SELECT ... FOR UPDATE on PostgreSQL and MariaDB; on SQLite the state engine's
BEGIN IMMEDIATE already serialises writers. Had the row been deleted, the next append
rebuilds it from the log; two appends racing to do so make one of them fail on a key, and
that one is retried once. ``seq`` is the primary key, so two writers can never both write
the same entry, whatever happens.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import re
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, Engine, Row, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError

from igate_sync.errors import ConfigError, StateLocked
from igate_sync.store import tables as t

CHECKPOINT = "checkpoint"
HEAD_KEY = "audit.head"
GENESIS = "0" * 64  # the prev_hash of entry 1
SYSTEM_ACTOR = "igate-sync"
MAX_TEXT = 256  # codes, counts and hashes are short; a longer string is a body or a note
MAX_PAYLOAD_BYTES = 16_384
_ENTRY_TAG = "igate-sync-audit/1"
_SIGNED_TAG = b"igate-sync-audit-checkpoint/1\n"
_KIND = re.compile(r"[a-z][a-z0-9_]{0,19}")
_PAGE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class VerifyResult:
    """What a walk over the whole chain found."""

    ok: bool
    entries: int  # entries whose hash and link check out (checkpoints included)
    checkpoints: int  # checkpoints whose signature checks out
    first_broken_seq: int | None  # None when ok, or when only the head record is missing
    reason: str | None
    last_signed_seq: int | None  # the newest entry a valid signature covers
    last_signed_hash: str | None


@dataclass(frozen=True)
class _Head:
    seq: int
    hash: str
    unsigned: int  # entries since the last checkpoint


class AuditLog:
    """Append-only, hash-chained, signed log of reports and operator actions.

    ``personal_keys`` are payload keys refused at any depth (pass
    ``igate_sync.logs.PERSONAL_KEYS`` from the composition root).
    """

    def __init__(
        self,
        engine: Engine,
        key: Ed25519PrivateKey,
        *,
        checkpoint_every: int = 100,
        personal_keys: Collection[str] = frozenset(),
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self._engine = engine
        self._key = key
        self._key_id = key_fingerprint(key.public_key())
        self._every = checkpoint_every
        self._personal = frozenset(k.casefold() for k in personal_keys)

    def append(self, kind: str, actor: str, payload: Mapping[str, Any], now: datetime) -> int:
        """Append one entry (and a checkpoint when one is due) in one transaction; its seq."""
        _check_kind(kind)
        _check_actor(actor)
        text = payload_json(payload, self._personal)
        at = _whole_second(now)

        def work(conn: Connection, head: _Head) -> tuple[_Head, int]:
            head = _write(conn, head, at, kind, actor, text, unsigned=head.unsigned + 1)
            seq = head.seq
            if head.unsigned >= self._every:
                head = self._sign(conn, head, at)
            return head, seq

        return self._locked(work, now)

    def checkpoint(self, now: datetime) -> int | None:
        """Sign everything so far; the checkpoint's seq (None while the log is empty)."""
        at = _whole_second(now)

        def work(conn: Connection, head: _Head) -> tuple[_Head, int | None]:
            if head.seq == 0 or head.unsigned == 0:
                return head, head.seq or None  # empty, or the newest entry is a checkpoint
            head = self._sign(conn, head, at)
            return head, head.seq

        return self._locked(work, now)

    def verify(self) -> VerifyResult:
        """Walk the whole chain; see :func:`verify_chain`."""
        return verify_chain(self._engine, self._key.public_key())

    def _sign(self, conn: Connection, head: _Head, at: datetime) -> _Head:
        signature = self._key.sign(signed_message(head.seq, head.hash))
        body = {
            "covers_seq": head.seq,
            "covers_hash": head.hash,
            "key_id": self._key_id,
            "signature": base64.b64encode(signature).decode("ascii"),
        }
        return _write(conn, head, at, CHECKPOINT, SYSTEM_ACTOR, canonical_json(body), unsigned=0)

    def _locked(self, work: Callable[[Connection, _Head], tuple[_Head, T]], now: datetime) -> T:
        try:
            return self._once(work, now)
        except (IntegrityError, OperationalError) as exc:
            if not _conflict(exc):
                raise
        # Another writer rebuilt the head record at the same time: go again, behind it.
        try:
            return self._once(work, now)
        except (IntegrityError, OperationalError) as exc:
            if not _conflict(exc):
                raise
            raise StateLocked("the audit log head kept changing under this append") from exc

    def _once(self, work: Callable[[Connection, _Head], tuple[_Head, T]], now: datetime) -> T:
        with self._engine.begin() as conn:
            head, stored = _lock_head(conn)
            new, result = work(conn, head)
            if new != head or not stored:
                _store_head(conn, new, stored=stored, now=now)
            return result


def verify_chain(
    engine: Engine, public_key: Ed25519PublicKey, *, page_size: int = _PAGE
) -> VerifyResult:
    """Check every link, hash and signature, in pages (flat memory, no long lock).

    A truncated tail whose head record was rewritten to match is not detectable here (see
    the module docstring): compare ``last_signed_seq``/``last_signed_hash`` with a copy kept
    elsewhere.
    """
    walk = _Walk(public_key, key_fingerprint(public_key))
    while True:
        with engine.connect() as conn:
            # Head first: an append committed after it shows up in the rows read next.
            head = _read_head(conn)
            rows = conn.execute(_page(walk.seq, page_size)).all()
        if not rows:
            return walk.finish(head)
        for row in rows:
            if not walk.step(row):
                return walk.result()


def verify_command(engine: Engine, key_path: Path) -> tuple[int, str]:
    """``audit verify``: exit code (0 intact, 1 broken, 2 no usable key) and what to print."""
    if not key_path.exists():
        return 2, f"error: audit key not found: {key_path} (restore it from the backup)"
    try:
        key = load_key(key_path)
    except ConfigError as exc:
        return 2, f"error: {exc}"
    result = verify_chain(engine, key.public_key())
    return (0 if result.ok else 1), describe(result)


def describe(result: VerifyResult) -> str:
    """One operator-readable paragraph about a verification."""
    signed = (
        f"signed up to entry {result.last_signed_seq} ({result.last_signed_hash})"
        if result.last_signed_seq
        else "no entry signed yet"
    )
    if not result.ok:
        where = (
            f"at entry {result.first_broken_seq}" if result.first_broken_seq else "(head record)"
        )
        return (
            f"audit log BROKEN {where}: {result.reason}; "
            f"{result.entries} entries before it check out, {signed}"
        )
    if result.entries == 0:
        return "audit log intact: no entries yet"
    return (
        f"audit log intact: {result.entries} entries, {result.checkpoints} checkpoints, "
        f"{signed}. Entries after the last checkpoint are chained but not yet signed; "
        "a cut tail is only visible against a signed seq and hash kept elsewhere"
    )


# --- canonical encodings -------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(seq: int, at: datetime, kind: str, actor: str, payload: str, prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's canonical encoding; ``payload`` is the stored JSON text."""
    fields = [_ENTRY_TAG, seq, _wire_time(at), kind, actor, payload, prev_hash]
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def signed_message(seq: int, covered_hash: str) -> bytes:
    """The bytes a checkpoint signs: the seq and hash of the entry it covers."""
    return _SIGNED_TAG + canonical_json({"entry_hash": covered_hash, "seq": seq}).encode("utf-8")


def payload_json(payload: Mapping[str, Any], personal_keys: Collection[str] = ()) -> str:
    """Canonical JSON of a payload, or TypeError/ValueError if it could hold personal data."""
    if not isinstance(payload, Mapping):
        raise TypeError("an audit payload is a mapping of codes, counts and hashes")
    refused = frozenset(k.casefold() for k in personal_keys)
    _check_value(dict(payload), "payload", refused)
    text = canonical_json(dict(payload))
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"audit payload over {MAX_PAYLOAD_BYTES} bytes: keep counts, not lists")
    return text


def _check_value(value: Any, path: str, refused: frozenset[str]) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a number JSON can hold")
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"{path}: text over {MAX_TEXT} characters (store its hash instead)")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]", refused)
        return
    if isinstance(value, dict):
        _check_mapping(value, path, refused)
        return
    raise TypeError(f"{path}: {type(value).__name__} has no place in an audit payload")


def _check_mapping(value: dict[Any, Any], path: str, refused: frozenset[str]) -> None:
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"{path}: keys are text, not {type(key).__name__}")
        if key.casefold() in refused:
            raise ValueError(f"{path}.{key}: personal data has no place in the audit log")
        _check_value(item, f"{path}.{key}", refused)


def _check_kind(kind: str) -> None:
    if not _KIND.fullmatch(kind) or kind == CHECKPOINT:
        raise ValueError(f"audit kind {kind!r}: lower-case code of up to 20 characters")


def _check_actor(actor: str) -> None:
    if not actor or len(actor) > 100:
        raise ValueError("audit actor: 1 to 100 characters")


def _whole_second(now: datetime) -> datetime:
    # MariaDB's DATETIME keeps whole seconds: hash what every engine gives back.
    if now.tzinfo is None:
        raise ValueError("naive datetime given to the audit log")
    return now.astimezone(UTC).replace(microsecond=0)


def _wire_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the head record and the rows ------------------------------------------------------------


def _write(
    conn: Connection, head: _Head, at: datetime, kind: str, actor: str, text: str, *, unsigned: int
) -> _Head:
    seq = head.seq + 1
    digest = entry_hash(seq, at, kind, actor, text, head.hash)
    conn.execute(
        insert(t.audit_log).values(
            seq=seq,
            at=at,
            kind=kind,
            actor=actor,
            payload=text,
            prev_hash=head.hash,
            entry_hash=digest,
        )
    )
    return _Head(seq, digest, unsigned)


def _lock_head(conn: Connection) -> tuple[_Head, bool]:
    """The head record, locked until commit, and whether its row exists."""
    row = conn.execute(
        select(t.control.c.value).where(t.control.c.key == HEAD_KEY).with_for_update()
    ).first()
    head = _parse_head(row.value) if row is not None else None
    return (head or _head_from_log(conn)), row is not None


def _read_head(conn: Connection) -> _Head | None:
    value = conn.execute(select(t.control.c.value).where(t.control.c.key == HEAD_KEY)).scalar()
    return _parse_head(value)


def _parse_head(value: str | None) -> _Head | None:
    if not value:
        return None
    with contextlib.suppress(ValueError, KeyError, TypeError):
        data = json.loads(value)
        return _Head(int(data["seq"]), str(data["hash"]), int(data["unsigned"]))
    return None


def _head_from_log(conn: Connection) -> _Head:
    a = t.audit_log.c
    last = conn.execute(select(a.seq, a.entry_hash).order_by(a.seq.desc()).limit(1)).first()
    if last is None:
        return _Head(0, GENESIS, 0)
    signed = conn.execute(select(func.max(a.seq)).where(a.kind == CHECKPOINT)).scalar() or 0
    return _Head(last.seq, last.entry_hash, last.seq - signed)


def _store_head(conn: Connection, head: _Head, *, stored: bool, now: datetime) -> None:
    value = canonical_json({"hash": head.hash, "seq": head.seq, "unsigned": head.unsigned})
    if stored:
        conn.execute(
            update(t.control).where(t.control.c.key == HEAD_KEY).values(value=value, updated_at=now)
        )
    else:
        conn.execute(insert(t.control).values(key=HEAD_KEY, value=value, updated_at=now))


def _conflict(exc: IntegrityError | OperationalError) -> bool:
    # A duplicate key, or MariaDB/PostgreSQL resolving two inserts into one gap as a deadlock.
    return isinstance(exc, IntegrityError) or "deadlock" in str(exc.orig).lower()


def _page(after: int | None, size: int) -> Any:
    a = t.audit_log.c
    columns = (a.seq, a.at, a.kind, a.actor, a.payload, a.prev_hash, a.entry_hash)
    where = a.seq > after if after is not None else true()
    return select(*columns).where(where).order_by(a.seq).limit(size)


# --- the walk ------------------------------------------------------------------------------


class _Walk:
    """The state of a verification: where the chain stands after the rows seen so far."""

    def __init__(self, public_key: Ed25519PublicKey, key_id: str) -> None:
        self.public_key = public_key
        self.key_id = key_id
        self.seq: int | None = None  # None before the first row
        self.hash = GENESIS
        self.entries = 0
        self.checkpoints = 0
        self.signed: tuple[int, str] | None = None
        self.broken: tuple[int | None, str] | None = None

    def step(self, row: Row[Any]) -> bool:
        """Check one row; False (and ``broken`` set) at the first problem."""
        expected = (self.seq or 0) + 1
        if row.seq != expected:
            missing = f"entry {expected} is missing (the next entry is {row.seq})"
            before = f"entry {row.seq} comes before entry 1"
            at, why = (expected, missing) if row.seq > expected else (row.seq, before)
            self.broken = (at, why)
            return False
        problem = self._entry_problem(row)
        if problem is None and row.kind == CHECKPOINT:
            problem = self._checkpoint_problem(row)
        if problem is not None:
            self.broken = (row.seq, problem)
            return False
        self.seq, self.hash, self.entries = row.seq, row.entry_hash, self.entries + 1
        return True

    def finish(self, head: _Head | None) -> VerifyResult:
        """The chain ran out: it must end where the head record says."""
        last = self.seq or 0
        if head is None:
            if last:
                self.broken = (None, "the head record (control audit.head) is missing")
        elif head.seq > last:
            self.broken = (last + 1, f"entries {last + 1} to {head.seq} are missing (cut tail)")
        elif head.seq < last:
            self.broken = (head.seq + 1, f"entries after {head.seq} were added behind its back")
        elif head.hash != self.hash:
            self.broken = (last, "the newest entry is not the one the head record names")
        return self.result()

    def result(self) -> VerifyResult:
        """What the walk found."""
        at, reason = self.broken if self.broken else (None, None)
        return VerifyResult(
            ok=self.broken is None,
            entries=self.entries,
            checkpoints=self.checkpoints,
            first_broken_seq=at,
            reason=reason,
            last_signed_seq=self.signed[0] if self.signed else None,
            last_signed_hash=self.signed[1] if self.signed else None,
        )

    def _entry_problem(self, row: Row[Any]) -> str | None:
        digest = entry_hash(row.seq, row.at, row.kind, row.actor, row.payload, row.prev_hash)
        if digest != row.entry_hash:
            return "its hash does not match its content (edited, moved or made up)"
        if row.prev_hash != self.hash:
            return (
                f"it does not follow entry {row.seq - 1} (prev_hash differs): "
                "that entry or this one was replaced, or one was inserted"
            )
        return None

    def _checkpoint_problem(self, row: Row[Any]) -> str | None:
        try:
            body = json.loads(row.payload)
            covers_seq, covers_hash = body["covers_seq"], body["covers_hash"]
            key_id = str(body["key_id"])
            signature = base64.b64decode(body["signature"], validate=True)
        except (ValueError, KeyError, TypeError):
            return "the checkpoint is unreadable"
        if covers_seq != row.seq - 1 or covers_hash != row.prev_hash:
            return "the checkpoint does not sign the entry before it"
        if key_id != self.key_id:
            return f"the checkpoint is signed by another key ({key_id[:64]})"
        try:
            self.public_key.verify(signature, signed_message(covers_seq, covers_hash))
        except InvalidSignature:
            return "the checkpoint's signature does not verify (forged)"
        self.checkpoints += 1
        self.signed = (covers_seq, covers_hash)
        return None


# --- the key -------------------------------------------------------------------------------


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path`` (PEM), created with mode 0600 on first start."""
    if not path.exists():
        _create_key(path)
    return load_key(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path``; ConfigError if it is not an unencrypted Ed25519 key."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(str(path), "not a readable Ed25519 private key (PEM)") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(str(path), "the audit key must be an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PrivateKey) -> str:
    """The public half, as PEM: give it to whoever checks the log from elsewhere."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw public key: the ``key_id`` in checkpoints."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        # A link never replaces: two processes starting at once end up with the same key.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
