"""The mot_cua_v1 adapter's reads on every engine: cursor order, ties, NULL change times,
child rows, scans, and a legacy SQLite file's own datetime spelling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text, update

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.adapters.base import Agency, ChangeBatch
from igate_sync.adapters.mot_cua import MotCuaAdapter
from tests.engines import ENGINES, fresh_database

AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        t.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(t.linh_vuc).values(ma_linh_vuc="HT", ten_linh_vuc="Hộ tịch"))
            conn.execute(
                insert(t.thu_tuc).values(
                    id=1, ma_tthc="1.001193", ten_tthc="Đăng ký khai sinh", ma_linh_vuc="HT"
                )
            )
        yield engine


def at(minute: int) -> datetime:
    return datetime(2021, 3, 11, 9, minute)  # noqa: DTZ001 - the source column is naive local


def dossier(n: int, changed: datetime | None, **extra: Any) -> dict[str, Any]:
    row = {
        "id": n,
        "so_ho_so": f"000.24.24.H16-210311-{n:04d}",
        "thu_tu_id": 1,
        "nguoi_nop": "Nguyễn Văn An",
        "ngay_nhan": "11/03/2021 08:00",
        "trang_thai": "đang xử lý",
        "ngay_cap_nhat": changed,
    }
    row.update(extra)
    return row


def put(engine: Engine, *rows: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.ho_so), list(rows))


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


def test_reads_in_change_time_then_key_order_with_nulls_first(engine: Engine) -> None:
    put(engine, dossier(1, at(5)), dossier(2, None), dossier(3, at(1)), dossier(4, at(5)))
    seen, _ = keys(MotCuaAdapter("m", engine, AGENCY).read_changes(None, 2))
    assert seen == ["2", "3", "1", "4"]


def test_rows_sharing_a_change_time_are_neither_lost_nor_reread(engine: Engine) -> None:
    put(engine, *(dossier(n, at(5)) for n in range(1, 6)))
    adapter = MotCuaAdapter("m", engine, AGENCY)
    head = first(adapter.read_changes(None, 2))
    assert [r.source_key for r in head.records] == ["1", "2"]
    put(engine, dossier(6, at(5)))
    rest, _ = keys(adapter.read_changes(head.cursor, 2))
    assert rest == ["3", "4", "5", "6"]


def test_nothing_new_after_the_last_cursor(engine: Engine) -> None:
    put(engine, dossier(1, at(1)), dossier(2, at(2)))
    adapter = MotCuaAdapter("m", engine, AGENCY)
    _, cursor = keys(adapter.read_changes(None, 10))
    assert keys(adapter.read_changes(cursor, 10))[0] == []
    with engine.begin() as conn:
        conn.execute(update(t.ho_so).where(t.ho_so.c.id == 1).values(ngay_cap_nhat=at(9)))
    assert keys(adapter.read_changes(cursor, 10))[0] == ["1"]


def test_child_rows_come_with_their_dossier_in_order(engine: Engine) -> None:
    put(engine, dossier(1, at(1)), dossier(2, at(2)))
    with engine.begin() as conn:
        conn.execute(
            insert(t.qua_trinh_xu_ly),
            [
                {"id": 10, "ho_so_id": 1, "thu_tu": 2, "thoi_diem": "11/03/2021 10:00"},
                {"id": 11, "ho_so_id": 1, "thu_tu": 1, "thoi_diem": "11/03/2021 09:00"},
            ],
        )
        conn.execute(
            insert(t.le_phi),
            [{"id": 1, "ho_so_id": 2, "ten_phi": "Lệ phí", "so_tien": 8000, "da_thu": 1}],
        )
    records = first(MotCuaAdapter("m", engine, AGENCY).read_changes(None, 10)).records
    assert [e["STT"] for e in records[0].events] == ["1", "2"]
    assert records[1].content is not None
    assert records[1].content["DanhSachLePhi"] == [
        {"TenPhiLePhi": "Lệ phí", "Gia": "8000", "DaThu": "1"}
    ]


def test_scan_sees_every_row_in_key_order(engine: Engine) -> None:
    put(engine, dossier(3, None), dossier(1, at(9)), dossier(2, at(1)))
    chunks = list(MotCuaAdapter("m", engine, AGENCY).scan(2))
    assert [[r.source_key for r in chunk] for chunk in chunks] == [["1", "2"], ["3"]]


def test_read_keys(engine: Engine) -> None:
    put(engine, dossier(1, at(1)), dossier(2, at(2)))
    records = MotCuaAdapter("m", engine, AGENCY).read_keys(["2", "x"])
    assert [r.source_key for r in records] == ["2"]


def test_vietnamese_text_round_trips_through_the_engine(engine: Engine) -> None:
    put(engine, dossier(1, at(1), nguoi_nop="H’Hen  Niê", dia_chi="Buôn Ea Yiêng, Krông Pắc"))
    (record,) = first(MotCuaAdapter("m", engine, AGENCY).read_changes(None, 10)).records
    assert record.content is not None
    assert record.content["ChuHoSo"] == "H'Hen Niê"
    assert record.content["DiaChi"] == "Buôn Ea Yiêng, Krông Pắc"


def test_sqlite_file_with_its_own_datetime_spelling(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as engine:
        t.metadata.create_all(engine)
        put(engine, dossier(1, None), dossier(2, None), dossier(3, None))
        with engine.begin() as conn:  # as a legacy desk application wrote them
            conn.execute(text("UPDATE ho_so SET ngay_cap_nhat = '2021-03-11 09:05:00'"))
            conn.execute(text("UPDATE ho_so SET ngay_cap_nhat = '2021-03-11T09:01' WHERE id = 3"))
        adapter = MotCuaAdapter("m", engine, AGENCY)
        head = first(adapter.read_changes(None, 2))
        assert [r.source_key for r in head.records] == ["3", "1"]
        rest, _ = keys(adapter.read_changes(head.cursor, 2))
        assert rest == ["2"]
