"""The SourceAdapter contract, one suite over every adapter kind × every database engine.

Each test gets a fresh database seeded by the sample generators (tests/contract/kits.py):
every draft, soft delete and quarantine reason is planted, and many rows share one change
time. Orders are checked against the order the engine itself gives the register's keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from igate_sync.adapters.base import ChangeBatch, SourceAdapter, SourceRecord
from igate_sync.errors import SourceUnavailable
from igate_sync.schemas import DossierContent, phien_ban
from tests.contract.kits import AGENCY, KITS, Kit, Planted
from tests.engines import ENGINES, fresh_database

CHUNKS = (1, 7, 500)
RESUME_CHUNK = 7
# Later than every change time the samples hold; whole seconds, as every engine keeps them.
MUTATED_AT = datetime(2027, 1, 15, 3, 20, 0, tzinfo=UTC)
UNREACHABLE = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/postgres?connect_timeout=2",
    "mariadb": "mysql+pymysql://root@127.0.0.1:1/?charset=utf8mb4&connect_timeout=2",
}
UNKNOWN_KEYS = ["999999", "0", "-1", "abc", "", "00000000-0000-4000-8000-000000000000"]


@dataclass
class Register:
    """A seeded register and the adapter under test."""

    kit: Kit
    engine: Engine
    adapter: SourceAdapter
    planted: Planted

    def keys_in_order(self) -> list[str]:
        """Every key, in the order the engine sorts the key column."""
        query = select(self.kit.key).order_by(self.kit.key)
        with self.engine.connect() as conn:
            return [str(k) for k in conn.execute(query).scalars()]

    def null_change_times(self) -> int:
        query = select(func.count()).where(self.kit.change_time.is_(None))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


@pytest.fixture(params=[pytest.param(kit, id=kit.name) for kit in KITS])
def kit(request: pytest.FixtureRequest) -> Kit:
    param: Kit = request.param
    return param


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, kit: Kit, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database holding the kit's empty register."""
    with fresh_database(request.param, tmp_path) as engine:
        kit.create(engine)
        yield engine


@pytest.fixture
def register(kit: Kit, database: Engine) -> Iterator[Register]:
    planted = kit.seed(database)
    adapter = kit.adapter(database)
    yield Register(kit, database, adapter, planted)
    adapter.close()


def scanned(adapter: SourceAdapter, chunk: int) -> tuple[list[SourceRecord], list[int]]:
    """Every scanned record, and the size of each chunk."""
    chunks = list(adapter.scan(chunk))
    return [r for c in chunks for r in c], [len(c) for c in chunks]


def changes(
    adapter: SourceAdapter, cursor: str | None, chunk: int
) -> tuple[list[SourceRecord], list[ChangeBatch]]:
    """Every record read after ``cursor``, and the batches they came in."""
    batches = list(adapter.read_changes(cursor, chunk))
    return [r for b in batches for r in b.records], batches


def keys_of(records: list[SourceRecord]) -> list[str]:
    return [r.source_key for r in records]


def full_chunks(chunk: int, total: int) -> list[int]:
    """The chunk sizes a stream of ``total`` rows must come in."""
    whole, rest = divmod(total, chunk)
    return [chunk] * whole + ([rest] if rest else [])


def change_order(register: Register, records: list[SourceRecord]) -> list[str]:
    """The keys in (change time, key) order, the engine's key order breaking ties and a
    missing change time sorting first."""
    rank = {key: n for n, key in enumerate(register.keys_in_order())}
    never = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(records, key=lambda r: (r.changed_at or never, rank[r.source_key]))
    return keys_of(ordered)


def tied_positions(records: list[SourceRecord]) -> list[int]:
    """Positions n where record n has the change time of record n - 1 (a known one)."""
    return [
        n
        for n in range(1, len(records))
        if records[n].changed_at is not None and records[n].changed_at == records[n - 1].changed_at
    ]


# --- 1. scan ---------------------------------------------------------------------------------


def test_scan_yields_every_row_once_in_key_order(register: Register) -> None:
    expected = register.keys_in_order()
    assert len(expected) == register.planted.total
    for chunk in CHUNKS:
        records, sizes = scanned(register.adapter, chunk)
        assert keys_of(records) == expected, chunk
        assert len(set(keys_of(records))) == len(records), chunk
        assert sizes == full_chunks(chunk, len(expected)), chunk


# --- 2. read_changes from no cursor ------------------------------------------------------------


def test_read_changes_yields_every_row_once_in_change_order(register: Register) -> None:
    everything, _ = scanned(register.adapter, 500)
    expected = change_order(register, everything)
    by_key = {r.source_key: r for r in everything}
    assert len(tied_positions([by_key[k] for k in expected])) >= 20
    for chunk in CHUNKS:
        records, batches = changes(register.adapter, None, chunk)
        assert keys_of(records) == expected, chunk
        assert records == [by_key[k] for k in expected], chunk
        assert [len(b.records) for b in batches] == full_chunks(chunk, len(expected)), chunk
        assert all(b.cursor is not None for b in batches), chunk


# --- 3. resuming from a cursor -----------------------------------------------------------------


def test_resuming_from_every_cursor_yields_exactly_the_rest(register: Register) -> None:
    records, batches = changes(register.adapter, None, RESUME_CHUNK)
    keys = keys_of(records)
    ends = range(RESUME_CHUNK, len(keys), RESUME_CHUNK)  # rows read before each cursor
    # The fixture set puts cursors between rows that share one change time.
    tied = set(tied_positions(records))
    assert sum(n in tied for n in ends) >= 3
    for batch, n in zip(batches[:-1], ends, strict=True):
        rest, _ = changes(register.adapter, batch.cursor, 500)
        assert keys_of(rest) == keys[n:], n
    assert changes(register.adapter, batches[-1].cursor, 500)[0] == []


# --- 4. changes after a cursor -----------------------------------------------------------------


def test_read_changes_after_the_last_cursor_yields_exactly_the_mutated_rows(
    register: Register,
) -> None:
    _, batches = changes(register.adapter, None, 500)
    last = batches[-1].cursor
    keys = register.keys_in_order()
    mutated = keys[3::13]
    register.kit.mutate(register.engine, mutated, MUTATED_AT)
    records, after = changes(register.adapter, last, 7)
    assert keys_of(records) == mutated  # one shared change time: in key order
    assert {r.changed_at for r in records} == {MUTATED_AT}
    assert changes(register.adapter, after[-1].cursor, 7)[0] == []


# --- 5. what the generator planted, the adapter reports ------------------------------------


def test_kinds_and_quarantine_reasons_match_what_was_planted(register: Register) -> None:
    records, _ = scanned(register.adapter, 500)
    planted = register.planted
    kinds = Counter(r.kind for r in records)
    reasons = Counter(r.problem.reason for r in records if r.problem is not None)
    # The fixture set plants each of them.
    assert planted.drafts > 0
    assert (planted.deleted > 0) == register.kit.soft_deletes
    assert set(planted.reasons) == register.kit.reasons
    assert kinds["draft"] == planted.drafts
    assert kinds["deleted"] == planted.deleted
    assert kinds["quarantined"] == planted.reasons.total()
    assert kinds["dossier"] == planted.dossiers
    assert reasons == planted.reasons
    assert all((r.problem is not None) == (r.kind == "quarantined") for r in records)


# --- 6. dossier records --------------------------------------------------------------------------


def test_every_dossier_is_a_valid_wire_dossier_with_its_version(register: Register) -> None:
    records, _ = scanned(register.adapter, 500)
    dossiers = [r for r in records if r.kind == "dossier"]
    assert len(dossiers) == register.planted.dossiers
    for record in dossiers:
        assert record.content is not None, record.source_key
        DossierContent.model_validate(record.content)
        assert record.phien_ban == phien_ban(record.content), record.source_key
        assert record.content["MaHoSo"] == record.ma_ho_so, record.source_key
        assert record.ma_ho_so is not None
        assert record.ma_ho_so.startswith(AGENCY.code), record.source_key
    for record in records:
        assert record.changed_at is None or record.changed_at.utcoffset() is not None
    missing = sum(r.changed_at is None for r in records)
    assert missing == register.null_change_times()


# --- 7. read_keys ------------------------------------------------------------------------------


def test_read_keys_returns_the_requested_rows_and_ignores_unknown_keys(
    register: Register,
) -> None:
    everything, _ = scanned(register.adapter, 500)
    wanted = keys_of(everything)[::3]
    records = register.adapter.read_keys([*UNKNOWN_KEYS, *reversed(wanted)])
    assert sorted(keys_of(records)) == sorted(wanted)
    by_key = {r.source_key: r for r in everything}
    assert all(r == by_key[r.source_key] for r in records)
    assert register.adapter.read_keys(UNKNOWN_KEYS) == []
    assert register.adapter.read_keys([]) == []


# A bug, kept failing until the adapters are fixed: with an integer key (mot_cua_v1, and a
# mapping with key_type = "integer") read_keys picks keys with str.isdigit(), which also
# accepts non-ASCII digits that int() refuses (ValueError), and passes numbers beyond the
# INTEGER column to the database (OverflowError from sqlite3, DataError from PostgreSQL).
# A key no row can have must be ignored, like any other unknown key.
@pytest.mark.parametrize(
    "key",
    [
        pytest.param("²", id="superscript-digit"),
        pytest.param("2147483648", id="beyond-int32"),
        pytest.param("99999999999999999999", id="beyond-int64"),
    ],
)
def test_read_keys_ignores_a_key_no_row_can_have(kit: Kit, database: Engine, key: str) -> None:
    adapter = kit.adapter(database)
    assert adapter.read_keys([key]) == []
    adapter.close()


# --- 8. reaching the register ------------------------------------------------------------------


def test_ping_succeeds_and_an_empty_register_yields_nothing(kit: Kit, database: Engine) -> None:
    adapter = kit.adapter(database)
    adapter.ping()
    assert list(adapter.scan(7)) == []
    assert list(adapter.read_changes(None, 7)) == []
    adapter.close()
    adapter.ping()  # a closed adapter reconnects on demand
    adapter.close()


@pytest.mark.parametrize("engine_kind", ENGINES)
def test_an_unreachable_register_is_source_unavailable(
    kit: Kit, engine_kind: str, tmp_path: Path
) -> None:
    url = UNREACHABLE.get(engine_kind, f"sqlite:///{tmp_path / 'no' / 'such' / 'source.db'}")
    adapter = kit.adapter(create_engine(url))
    calls: list[Callable[[], object]] = [
        adapter.ping,
        lambda: list(adapter.scan(7)),
        lambda: list(adapter.read_changes(None, 7)),
        lambda: adapter.read_keys(["1", "00000000-0000-4000-8000-000000000000"]),
    ]
    for call in calls:
        with pytest.raises(SourceUnavailable):
            call()
    adapter.close()
