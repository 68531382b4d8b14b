"""The ho_tich_v1 adapter's reads on every engine: cursor order, ties on sua_luc, scans,
lookups by key, mixed-case GUIDs and Vietnamese text."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text, update

from igate_sync.adapters.base import Agency, ChangeBatch
from igate_sync.adapters.ho_tich import HoTichAdapter
from igate_sync.adapters.ho_tich_schema import hotich_yeu_cau as yc
from igate_sync.adapters.ho_tich_schema import metadata
from igate_sync.errors import SourceUnavailable
from igate_sync.sample.ho_tich import DEFAULT_PROCEDURES
from tests.engines import ENGINES, fresh_database

AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        metadata.create_all(engine)
        yield engine


def adapter(engine: Engine) -> HoTichAdapter:
    return HoTichAdapter("hotich", engine, AGENCY, DEFAULT_PROCEDURES)


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2021, 3, 11, 9, minute, second)  # noqa: DTZ001 - the source column is naive local


def guid(n: int, *, upper: bool = False) -> str:
    """A GUID whose first digit orders it the same in every collation (binary or not)."""
    key = f"{n}a3f{n:04x}-5b2c-4d1e-8f90-{n:012x}"[:36].rjust(36, "0")
    return key.upper() if upper else key


def request(key: str, changed: datetime, n: int = 1, **extra: Any) -> dict[str, Any]:
    row = {
        "ma_yc": key,
        "loai": "KS",
        "so_bien_nhan": f"000.24.24.H16-210311-{5000 + n:04d}",
        "ten_nguoi_yc": "Nguyễn Văn An",
        "nop_qua": 0,
        "tg_tiep_nhan": at(0),
        "han_tra": date(2021, 3, 11),
        "tinh_trang": 1,
        "sua_luc": changed,
    }
    row.update(extra)
    return row


def put(engine: Engine, *rows: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(yc), list(rows))


def first(batches: Iterator[ChangeBatch]) -> ChangeBatch:
    """The first batch, closing the stream behind it."""
    with closing(batches) as stream:  # type: ignore[type-var]
        return next(stream)


def keys(batches: Iterator[ChangeBatch]) -> tuple[list[str], str | None]:
    seen: list[str] = []
    cursor = None
    for batch in batches:
        seen += [r.source_key for r in batch.records]
        cursor = batch.cursor
    return seen, cursor


def database_key_order(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(yc.c.ma_yc).order_by(yc.c.ma_yc)).scalars())


# --- change detection ------------------------------------------------------------------


def test_reads_in_change_time_then_key_order(engine: Engine) -> None:
    put(
        engine,
        request(guid(4), at(5), 1),
        request(guid(3), at(1), 2),
        request(guid(1), at(5), 3),
        request(guid(2), at(1, 30), 4),
    )
    seen, _ = keys(adapter(engine).read_changes(None, 2))
    assert seen == [guid(3), guid(2), guid(1), guid(4)]


def test_every_batch_carries_the_cursor_of_its_last_row(engine: Engine) -> None:
    put(engine, *(request(guid(n), at(n), n) for n in range(1, 6)))
    source = adapter(engine)
    batches = list(source.read_changes(None, 2))
    assert [len(b.records) for b in batches] == [2, 2, 1]
    for batch, expected in zip(batches[:-1], ([3, 4, 5], [5]), strict=True):
        rest, _ = keys(source.read_changes(batch.cursor, 10))
        assert rest == [guid(n) for n in expected]


def test_rows_sharing_sua_luc_are_neither_lost_nor_reread_across_chunks(engine: Engine) -> None:
    put(engine, *(request(guid(n), at(5), n) for n in range(1, 6)))
    source = adapter(engine)
    head = first(source.read_changes(None, 2))
    assert [r.source_key for r in head.records] == [guid(1), guid(2)]
    middle = first(source.read_changes(head.cursor, 2))
    assert [r.source_key for r in middle.records] == [guid(3), guid(4)]
    put(engine, request(guid(6), at(5), 6), request(guid(7), at(4), 7))
    rest, cursor = keys(source.read_changes(middle.cursor, 2))
    assert rest == [guid(5), guid(6)]
    assert keys(source.read_changes(cursor, 2))[0] == []


def test_a_late_row_sorting_before_the_cursor_is_left_to_the_scan(engine: Engine) -> None:
    put(engine, request(guid(2), at(5), 2))
    source = adapter(engine)
    _, cursor = keys(source.read_changes(None, 10))
    put(engine, request(guid(1), at(5), 1))  # same sua_luc, smaller key: behind the cursor
    assert keys(source.read_changes(cursor, 10))[0] == []
    assert [r.source_key for chunk in source.scan(10) for r in chunk] == [guid(1), guid(2)]


def test_nothing_new_after_the_last_cursor_until_a_row_changes(engine: Engine) -> None:
    put(engine, request(guid(1), at(1), 1), request(guid(2), at(2), 2))
    source = adapter(engine)
    _, cursor = keys(source.read_changes(None, 10))
    assert keys(source.read_changes(cursor, 10))[0] == []
    with engine.begin() as conn:
        conn.execute(update(yc).where(yc.c.ma_yc == guid(1)).values(sua_luc=at(9), tinh_trang=2))
    (record,) = first(source.read_changes(cursor, 10)).records
    assert record.source_key == guid(1)
    assert record.content is not None
    assert record.content["TrangThaiHoSo"] == "9"
    assert record.changed_at == datetime.fromisoformat("2021-03-11T09:09:00+07:00")


def test_mixed_case_guids_sharing_sua_luc_follow_the_databases_own_key_order(
    engine: Engine,
) -> None:
    spelled = [
        "b7e1c2d0-0000-4000-8000-000000000001",
        "A9C2E4F0-0000-4000-8000-000000000002",
        "c4d0abcd-ABCD-4000-8000-000000000003",
        "D1F0ABCD-abcd-4000-8000-000000000004",
    ]
    put(engine, *(request(k, at(5), n) for n, k in enumerate(spelled, 1)))
    expected = database_key_order(engine)
    source = adapter(engine)
    seen: list[str] = []
    cursor = None
    for _ in range(len(spelled)):  # one row per read: a chunk boundary after every row
        batch = first(source.read_changes(cursor, 1))
        seen += [r.source_key for r in batch.records]
        cursor = batch.cursor
    assert seen == expected
    assert sorted(seen) == sorted(spelled)  # kept exactly as stored
    assert keys(source.read_changes(cursor, 1))[0] == []


@pytest.mark.mariadb
def test_a_case_insensitive_collation_keeps_the_cursor_consistent(tmp_path: Path) -> None:
    with fresh_database("mariadb", tmp_path) as engine:
        metadata.create_all(engine)
        with engine.begin() as conn:  # MariaDB's default, as most commune servers run it
            conn.execute(
                text(
                    "ALTER TABLE hotich_yeu_cau "
                    "CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                )
            )
        upper_b = guid(1).replace("a", "B", 1)
        spelled = [guid(1), upper_b, guid(2, upper=True)]
        put(engine, *(request(k, at(5), n) for n, k in enumerate(spelled, 1)))
        assert database_key_order(engine) == spelled  # not binary order: "1B" < "1a" there
        source = adapter(engine)
        head = first(source.read_changes(None, 1))
        rest, _ = keys(source.read_changes(head.cursor, 1))
        assert [r.source_key for r in head.records] + rest == spelled
        assert [r.source_key for r in source.read_keys([upper_b.lower()])] == [upper_b]


def test_a_sqlite_file_with_its_own_datetime_spelling(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as engine:
        metadata.create_all(engine)
        put(engine, *(request(guid(n), at(0), n) for n in (1, 2, 3)))
        with engine.begin() as conn:  # as the vendor's own application wrote them
            conn.execute(text("UPDATE hotich_yeu_cau SET sua_luc = '2021-03-11 09:05:00'"))
            conn.execute(
                text("UPDATE hotich_yeu_cau SET sua_luc = '2021-03-11T09:01:00' WHERE ma_yc = :k"),
                {"k": guid(3)},
            )
        source = adapter(engine)
        head = first(source.read_changes(None, 2))
        assert [r.source_key for r in head.records] == [guid(3), guid(1)]
        assert keys(source.read_changes(head.cursor, 2))[0] == [guid(2)]


def test_a_sqlite_file_with_unreadable_times_is_read_to_the_end(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as engine:
        metadata.create_all(engine)
        put(engine, *(request(guid(n), at(n), n) for n in (1, 2, 3, 4)))
        with engine.begin() as conn:  # what another program can leave in a SQLite file
            for n, column, value in (
                (1, "sua_luc", "hôm qua"),
                (2, "tg_tiep_nhan", "00/00/0000"),
                (3, "han_tra", "2021-02-30"),
            ):
                conn.execute(
                    text(f"UPDATE hotich_yeu_cau SET {column} = :v WHERE ma_yc = :k"),
                    {"v": value, "k": guid(n)},
                )
        source = adapter(engine)
        head = first(source.read_changes(None, 1))
        assert [(r.source_key, r.changed_at) for r in head.records] == [(guid(1), None)]
        rest = [r for batch in source.read_changes(head.cursor, 1) for r in batch.records]
        assert [r.source_key for r in rest] == [guid(2), guid(3), guid(4)]
        reasons = [r.problem.reason if r.problem else r.kind for r in rest]
        assert reasons == ["invalid_received_time", "invalid_due_time", "dossier"]


# --- scan and lookups ------------------------------------------------------------------


def test_scan_sees_every_row_in_key_order(engine: Engine) -> None:
    put(
        engine,
        request(guid(3), at(1), 1),
        request(guid(1, upper=True), at(9), 2),
        request(guid(2), at(1), 3, so_bien_nhan=None),
    )
    chunks = list(adapter(engine).scan(2))
    assert [[r.source_key for r in chunk] for chunk in chunks] == [
        [guid(1, upper=True), guid(2)],
        [guid(3)],
    ]
    assert [r.kind for chunk in chunks for r in chunk] == ["dossier", "draft", "dossier"]


def test_read_keys_as_stored_or_typed_in_one_case(engine: Engine) -> None:
    put(
        engine,
        request(guid(1, upper=True), at(1), 1),
        request(guid(2), at(2), 2),
        request(guid(3), at(3), 3),
    )
    source = adapter(engine)
    found = source.read_keys([guid(1).lower(), f" {guid(2).upper()} ", "no-such-key", ""])
    assert sorted(r.source_key for r in found) == [guid(1, upper=True), guid(2)]
    assert [r.source_key for r in source.read_keys([guid(3)])] == [guid(3)]
    assert source.read_keys([]) == []


def test_read_keys_in_more_than_one_query(engine: Engine) -> None:
    put(engine, *(request(guid(n), at(1), n) for n in range(1, 4)))
    wanted = [guid(n) for n in range(1, 4)] + [f"x{n:035d}" for n in range(600)]
    assert sorted(r.source_key for r in adapter(engine).read_keys(wanted)) == [
        guid(1),
        guid(2),
        guid(3),
    ]


# --- values through the engine ------------------------------------------------------------


def test_vietnamese_text_round_trips_through_the_engine(engine: Engine) -> None:
    nfd_name = unicodedata.normalize("NFD", "H’Hen  Niê")
    put(
        engine,
        request(
            guid(1),
            at(1),
            1,
            ten_nguoi_yc=nfd_name,
            dia_chi="Buôn Ea Yiêng, Krông Pắc, Đắk Lắk",
            tinh_trang=4,
            ly_do_tu_choi="Trẻ đã được đăng ký khai sinh tại xã Hòa An",
        ),
    )
    with engine.connect() as conn:
        assert conn.execute(select(yc.c.ten_nguoi_yc)).scalar() == nfd_name
    (record,) = first(adapter(engine).read_changes(None, 10)).records
    assert record.content is not None
    assert record.content["ChuHoSo"] == "H'Hen Niê"
    assert record.content["DiaChi"] == "Buôn Ea Yiêng, Krông Pắc, Đắk Lắk"
    assert record.content["GhiChu"] == "Trẻ đã được đăng ký khai sinh tại xã Hòa An"
    assert record.content["TrichYeuHoSo"] == "Đăng ký khai sinh - H'Hen Niê"


def test_times_and_dates_round_trip_through_the_engine(engine: Engine) -> None:
    put(
        engine,
        request(
            guid(1),
            datetime(2021, 3, 12, 17, 30, 0),  # noqa: DTZ001 - naive local, as the source
            1,
            tg_tiep_nhan=at(0, 42),
            han_tra=date(2021, 3, 12),
            tg_tra=datetime(2021, 3, 12, 14, 5, 9),  # noqa: DTZ001 - naive local, as the source
            tinh_trang=3,
        ),
    )
    (record,) = adapter(engine).read_keys([guid(1)])
    assert record.content is not None
    times = {k: record.content[k] for k in ("NgayTiepNhan", "NgayHenTra", "NgayTra")}
    assert times == {
        "NgayTiepNhan": "20210311090042",
        "NgayHenTra": "20210312235959",
        "NgayTra": "20210312140509",
    }
    assert record.content["NgayKetThucXuLy"] == "20210312140509"
    assert record.changed_at == datetime.fromisoformat("2021-03-12T17:30:00+07:00")


def test_quarantined_and_draft_rows_come_through_with_their_reason(engine: Engine) -> None:
    put(
        engine,
        request(guid(1), at(1), 1, loai="NCN"),
        request(guid(2), at(2), 2, nop_qua=7),
        request(guid(3), at(3), 3, so_bien_nhan=None),
    )
    records = adapter(engine).read_keys([guid(1), guid(2), guid(3)])
    by_key = {r.source_key: r for r in records}
    assert by_key[guid(1)].problem is not None
    assert by_key[guid(1)].problem.reason == "unknown_procedure"
    assert by_key[guid(2)].problem is not None
    assert by_key[guid(2)].problem.reason == "unknown_channel"
    assert by_key[guid(3)].kind == "draft"


# --- reaching the register ------------------------------------------------------------------


def test_ping_and_close(engine: Engine) -> None:
    source = adapter(engine)
    source.ping()
    source.close()
    source.ping()  # a closed adapter's engine reconnects on demand


def test_an_unreachable_register_is_source_unavailable(tmp_path: Path) -> None:
    missing = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    source = HoTichAdapter("hotich", missing, AGENCY, DEFAULT_PROCEDURES)
    with pytest.raises(SourceUnavailable):
        source.ping()
    with pytest.raises(SourceUnavailable):
        list(source.read_changes(None, 10))
    source.close()
