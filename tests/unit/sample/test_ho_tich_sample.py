"""The ho_tich_v1 sample generator: realistic, deterministic, streaming, honest about its quirks."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select

from igate_sync.adapters.base import Agency, SourceRecord
from igate_sync.adapters.ho_tich import HoTichAdapter
from igate_sync.adapters.ho_tich_schema import hotich_yeu_cau as yc
from igate_sync.normalize import (
    HO_TICH_CHANNEL,
    HO_TICH_STATUS,
    clean_text,
    normalize_phone,
    parse_citizen_id,
)
from igate_sync.sample.ho_tich import (
    DEFAULT_PROCEDURES,
    QUARANTINE_REASONS,
    QUIRK_SHARES,
    UPGRADE,
    HoTichStats,
    create_register,
    generate,
    mutate,
)
from igate_sync.schemas import MA_HO_SO_PATTERN, MA_TTHC_PATTERN, DossierContent
from tests.engines import ENGINES, fresh_database

AGENCY = "000.24.24.H16"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
NOW_LOCAL = datetime(2026, 11, 27, 10, 0)  # noqa: DTZ001 - sua_luc is naive local time


def register(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    create_register(engine)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = register(tmp_path / "hotich.db")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, HoTichStats]]:
    """1,500 requests with many planted quirks, shared by the read-only tests."""
    eng = register(tmp_path_factory.mktemp("sample") / "hotich.db")
    stats = generate(eng, count=1500, seed=11, quirk_rate=0.3, chunk=128)
    yield eng, stats
    eng.dispose()


def adapter(engine: Engine) -> HoTichAdapter:
    return HoTichAdapter("hotich", engine, Agency(AGENCY, "UBND xã Ea Yiêng"), DEFAULT_PROCEDURES)


def rows_of(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(yc).order_by(yc.c.ma_yc)).mappings()]


def dump(engine: Engine) -> list[tuple[Any, ...]]:
    """Every row, in an order that is the same on every engine."""
    return sorted(tuple(r.values()) for r in rows_of(engine))


def scan(engine: Engine) -> dict[str, SourceRecord]:
    return {r.source_key: r for rows in adapter(engine).scan(250) for r in rows}


# --- The procedure table ------------------------------------------------------------------------


def test_default_procedures_are_the_national_civil_status_procedures() -> None:
    assert set(DEFAULT_PROCEDURES) == {"KS", "KT", "KH", "XNHN", "CMC"}
    codes = {loai: p.ma_tthc for loai, p in DEFAULT_PROCEDURES.items()}
    assert codes == {
        "KS": "1.001193",
        "KT": "1.000656",
        "KH": "1.000894",
        "XNHN": "1.004873",
        "CMC": "1.001022",
    }
    for p in DEFAULT_PROCEDURES.values():
        assert re.fullmatch(r"[0-9]\.[0-9]{6}", p.ma_tthc)
        assert re.fullmatch(MA_TTHC_PATTERN, p.ma_tthc)
        assert (p.ma_linh_vuc, p.ten_linh_vuc) == ("HT", "Hộ tịch")
        assert p.muc_do in (2, 3, 4)
        assert unicodedata.is_normalized("NFC", p.ten_tthc)


# --- Determinism and streaming ------------------------------------------------------------------


def test_same_seed_gives_identical_rows_and_another_seed_does_not(tmp_path: Path) -> None:
    engines = [register(tmp_path / f"{name}.db") for name in ("a", "b", "c")]
    stats = [generate(e, count=300, seed=s) for e, s in zip(engines, (5, 5, 6), strict=True)]
    dumps = [dump(e) for e in engines]
    assert dumps[0] == dumps[1]
    assert stats[0] == stats[1]
    assert dumps[0] != dumps[2]
    for e in engines:
        e.dispose()


def test_chunk_size_does_not_change_the_rows(tmp_path: Path) -> None:
    one, many = register(tmp_path / "one.db"), register(tmp_path / "many.db")
    whole = generate(one, count=3000, seed=3, chunk=3000)
    chunked = generate(many, count=3000, seed=3, chunk=333)
    assert whole == chunked
    assert dump(one) == dump(many)
    assert whole.total == 3000
    one.dispose()
    many.dispose()


def test_arguments_are_checked(engine: Engine) -> None:
    with pytest.raises(ValueError, match="count"):
        generate(engine, count=-1)
    with pytest.raises(ValueError, match="chunk"):
        generate(engine, count=10, chunk=0)
    with pytest.raises(ValueError, match="quirk_rate"):
        generate(engine, count=10, quirk_rate=1.5)
    assert generate(engine, count=0) == HoTichStats()


def test_create_register_is_idempotent(engine: Engine) -> None:
    generate(engine, count=5)
    create_register(engine)
    assert len(rows_of(engine)) == 5


# --- Stats add up -------------------------------------------------------------------------------


def test_every_planted_quirk_is_counted_in_the_database(
    sample: tuple[Engine, HoTichStats],
) -> None:
    engine, stats = sample
    rows = rows_of(engine)

    def count(predicate: Any) -> int:
        return sum(1 for r in rows if predicate(r))

    def received(r: dict[str, Any]) -> datetime:
        value: datetime = r["tg_tiep_nhan"]
        return value

    assert stats.total == len(rows) == 1500
    assert stats.drafts == count(lambda r: r["so_bien_nhan"] is None)
    assert stats.unknown_procedure == count(lambda r: r["loai"] not in DEFAULT_PROCEDURES)
    assert stats.unknown_channel == count(lambda r: r["nop_qua"] not in HO_TICH_CHANNEL)
    assert stats.missing_applicant == count(lambda r: clean_text(r["ten_nguoi_yc"]) is None)
    assert stats.due_before_received == count(
        lambda r: r["han_tra"] is not None and r["han_tra"] < received(r).date()
    )
    assert stats.returned_before_received == count(
        lambda r: r["tg_tra"] is not None and r["tg_tra"] < received(r)
    )
    assert stats.unknown_status == count(lambda r: r["tinh_trang"] not in HO_TICH_STATUS)
    assert stats.bad_code == count(
        lambda r: (
            r["so_bien_nhan"] is not None
            and not (
                re.fullmatch(MA_HO_SO_PATTERN, r["so_bien_nhan"])
                and r["so_bien_nhan"].startswith(AGENCY + "-")
            )
        )
    )
    assert stats.bad_id == count(
        lambda r: parse_citizen_id(r["giay_to_so"]) is None and (r["giay_to_so"] or "").strip()
    )
    assert stats.bad_phone == count(
        lambda r: normalize_phone(r["sdt"]) is None and (r["sdt"] or "").strip()
    )
    assert stats.upper_case_keys == count(lambda r: r["ma_yc"] == r["ma_yc"].upper())
    assert stats.nfd_names == count(
        lambda r: not unicodedata.is_normalized("NFC", r["ten_nguoi_yc"])
    )
    assert stats.id_type_mismatch == count(
        lambda r: (
            (parsed := parse_citizen_id(r["giay_to_so"])) is not None
            and r["giay_to_loai"] is not None
            and int(parsed[0]) != r["giay_to_loai"]
        )
    )
    assert stats.batch_stamped == count(
        lambda r: r["sua_luc"] == UPGRADE or r["sua_luc"].time() == time(19, 0)
    )


def test_the_adapter_finds_exactly_the_planted_quarantine_reasons(
    sample: tuple[Engine, HoTichStats],
) -> None:
    engine, stats = sample
    records = scan(engine).values()
    kinds = Counter(r.kind for r in records)
    reasons = Counter(r.problem.reason for r in records if r.problem is not None)
    assert kinds == Counter(
        dossier=stats.pushable, draft=stats.drafts, quarantined=stats.quarantined
    )
    assert reasons == Counter(stats.quarantine_reasons())
    assert all(v > 0 for v in stats.quarantine_reasons().values())  # every kind is planted


def test_findings_are_the_unusable_ids_and_phones_of_pushed_rows(
    sample: tuple[Engine, HoTichStats],
) -> None:
    engine, stats = sample
    records = scan(engine)
    pushed = [r for r in rows_of(engine) if records[r["ma_yc"]].kind == "dossier"]
    findings = Counter(f.code for r in records.values() for f in r.findings)
    assert findings["unusable_id"] == sum(
        1 for r in pushed if parse_citizen_id(r["giay_to_so"]) is None and r["giay_to_so"]
    )
    assert findings["unusable_phone"] == sum(
        1 for r in pushed if normalize_phone(r["sdt"]) is None and (r["sdt"] or "").strip()
    )
    assert 0 < findings["unusable_id"] <= stats.bad_id
    assert 0 < findings["unusable_phone"] <= stats.bad_phone


def test_a_cursor_read_in_small_chunks_sees_what_the_scan_sees(
    sample: tuple[Engine, HoTichStats],
) -> None:
    engine, stats = sample
    source = adapter(engine)
    read = [r for batch in source.read_changes(None, 97) for r in batch.records]
    assert len(read) == len({r.source_key for r in read}) == stats.total
    assert {r.source_key: r for r in read} == scan(engine)
    times = [r.changed_at for r in read]
    assert times == sorted(t for t in times if t is not None)


def test_every_pushable_dossier_is_valid_wire_content(sample: tuple[Engine, HoTichStats]) -> None:
    engine, _ = sample
    dossiers = [r for r in scan(engine).values() if r.kind == "dossier"]
    for record in dossiers:
        assert record.content is not None
        DossierContent.model_validate(record.content)
    statuses = Counter(r.content["TrangThaiHoSo"] for r in dossiers if r.content)
    channels = Counter(r.content["KenhThucHien"] for r in dossiers if r.content)
    assert set(statuses) == {"2", "4", "9", "10", "3", "7"}
    assert statuses["10"] > len(dossiers) / 2
    assert set(channels) == {"1", "2", "3"}


def test_quirk_rate_zero_gives_only_pushable_dossiers(engine: Engine) -> None:
    stats = generate(engine, count=300, seed=2, quirk_rate=0.0)
    assert stats.pushable == 300
    assert Counter(r.kind for r in scan(engine).values()) == Counter(dossier=300)


def test_quirk_shares_cover_every_reason_and_sum_to_one() -> None:
    assert set(QUIRK_SHARES) - set(QUARANTINE_REASONS) == {"drafts"}
    assert set(QUARANTINE_REASONS) <= set(QUIRK_SHARES)
    assert sum(QUIRK_SHARES.values()) == pytest.approx(1.0)


# --- Realistic, consistent rows -----------------------------------------------------------------


def test_many_rows_share_one_sua_luc(sample: tuple[Engine, HoTichStats]) -> None:
    engine, stats = sample
    shared = Counter(r["sua_luc"] for r in rows_of(engine))
    (stamp, most), *_ = shared.most_common()
    assert stamp == UPGRADE and most > 100
    assert sum(1 for n in shared.values() if 1 < n < most) > 5  # evening batches too
    assert stats.batch_stamped >= most


def test_guids_are_unique_and_in_both_cases(sample: tuple[Engine, HoTichStats]) -> None:
    engine, stats = sample
    keys = [r["ma_yc"] for r in rows_of(engine)]
    assert len({k.lower() for k in keys}) == len(keys)
    assert all(GUID.fullmatch(k.lower()) for k in keys)
    assert 0.25 < stats.upper_case_keys / stats.total < 0.45
    assert any(k == k.lower() for k in keys)


def test_dossier_codes_are_unique_and_follow_the_received_day(
    sample: tuple[Engine, HoTichStats],
) -> None:
    engine, _ = sample
    rows = rows_of(engine)
    codes = [r["so_bien_nhan"] for r in rows if r["so_bien_nhan"] is not None]
    assert len(codes) == len(set(codes))
    national = [r for r in rows if r["so_bien_nhan"] and r["so_bien_nhan"].startswith(AGENCY + "-")]
    assert len(national) > 1000
    for r in national:
        if re.fullmatch(MA_HO_SO_PATTERN, r["so_bien_nhan"]):
            day, counter = r["so_bien_nhan"].split("-")[1:]
            assert day == r["tg_tiep_nhan"].strftime("%y%m%d")
            assert int(counter) > 5000


def test_appending_continues_the_daily_counters(engine: Engine) -> None:
    generate(engine, count=200, seed=1)
    generate(engine, count=200, seed=2)
    codes = [r["so_bien_nhan"] for r in rows_of(engine) if r["so_bien_nhan"] is not None]
    assert len(codes) == len(set(codes)) > 300


def test_times_are_consistent_for_every_unplanted_row(sample: tuple[Engine, HoTichStats]) -> None:
    engine, _ = sample
    records = scan(engine)
    for r in rows_of(engine):
        if records[r["ma_yc"]].kind != "dossier":
            continue
        received = r["tg_tiep_nhan"]
        assert r["sua_luc"] >= received or r["sua_luc"] == UPGRADE
        assert r["han_tra"] is not None and r["han_tra"] >= received.date()
        assert r["tg_tra"] is None or r["tg_tra"] >= received
        assert r["tg_tra"] is None or r["tinh_trang"] in (2, 3, 4)
        if r["tinh_trang"] == 3:
            assert r["tg_tra"] is not None
        assert received.tzinfo is None and received.microsecond == 0


def test_rows_carry_the_realities_of_commune_data(tmp_path: Path) -> None:
    engine = register(tmp_path / "big.db")
    stats = generate(engine, count=3000, seed=21)
    rows = rows_of(engine)
    names = [r["ten_nguoi_yc"] for r in rows]
    ids = [r["giay_to_so"] or "" for r in rows]
    assert any("\u2019" in n for n in names)  # H’Bia Mlô
    assert any(n.startswith("Y ") for n in names)
    assert any(len(n.split()) == 1 and n.strip() for n in names)  # Xê Đăng single-token names
    assert any("  " in n for n in names)
    assert any(ch in n for n in names for ch in "\u200b\ufeff\u200c\u2060")
    assert 0.02 < stats.nfd_names / stats.total < 0.08
    assert any(re.fullmatch(r"066[0-3][0-9]{8}", i) for i in ids)  # CCCD from Đắk Lắk
    assert any(re.fullmatch(r"[0-9]{9}", i) for i in ids)  # CMND
    assert any(re.fullmatch(r"[A-Z][0-9]{7}", i) for i in ids)  # passports
    assert stats.id_type_mismatch > 0
    assert {r["giay_to_loai"] for r in rows} == {1, 2, 3, 4, None}
    assert Counter(r["loai"] for r in rows).most_common(1)[0][0] == "KS"
    assert {r["tg_tiep_nhan"].year for r in rows} == {2021, 2022, 2023, 2024, 2025, 2026}
    assert any(r["ly_do_tu_choi"] for r in rows if r["tinh_trang"] == 4)
    assert max(r["sua_luc"] for r in rows) < NOW_LOCAL
    engine.dispose()


def test_text_fits_the_columns_on_strict_engines(sample: tuple[Engine, HoTichStats]) -> None:
    engine, _ = sample
    with engine.connect() as conn:
        for column in yc.c:
            length = getattr(column.type, "length", None)
            if length:
                longest = conn.execute(select(func.max(func.length(column)))).scalar()
                assert (longest or 0) <= length, column.name


# --- Changing rows afterwards -------------------------------------------------------------------


def test_mutate_is_picked_up_by_a_cursor_read_with_one_shared_sua_luc(engine: Engine) -> None:
    generate(engine, count=200, seed=4, quirk_rate=0.2)
    source = adapter(engine)
    cursor = None
    for batch in source.read_changes(None, 64):
        cursor = batch.cursor
    before = scan(engine)
    rows = rows_of(engine)
    pushed = [r for r in rows if before[r["ma_yc"]].kind == "dossier"]
    draft = next(r["ma_yc"] for r in rows if r["so_bien_nhan"] is None)
    waiting = next(r["ma_yc"] for r in pushed if r["tinh_trang"] == 1)
    closed = next(r["ma_yc"] for r in pushed if r["tinh_trang"] == 3)
    keys = [draft, waiting, closed]

    mutate(engine, keys=keys, seed=1, now=NOW)

    changed = [r.source_key for b in source.read_changes(cursor, 2) for r in b.records]
    assert changed == sorted(keys, key=str)  # one sua_luc: the key breaks the tie
    after = scan(engine)
    assert {k for k in after if after[k].phien_ban != before[k].phien_ban} == {waiting, closed}
    assert {k for k in after if after[k] != before[k]} == set(keys)
    stamped = {r["ma_yc"]: r for r in rows_of(engine) if r["sua_luc"] == NOW_LOCAL}
    assert set(stamped) == set(keys)
    assert stamped[waiting]["tinh_trang"] == 2
    assert after[waiting].changed_at == NOW
    assert stamped[draft]["so_bien_nhan"] is None


def test_mutate_closes_a_registered_request_with_a_return_time(engine: Engine) -> None:
    generate(engine, count=300, seed=4)
    registered = next(
        r["ma_yc"] for r in rows_of(engine) if r["tinh_trang"] == 2 and r["tg_tra"] is None
    )
    mutate(engine, keys=[registered], seed=1, now=NOW)
    (record,) = adapter(engine).read_keys([registered])
    assert record.content is not None
    assert record.content["TrangThaiHoSo"] == "10"
    assert record.content["NgayTra"] == record.content["NgayKetThucXuLy"] == "20261127100000"


def test_mutate_is_deterministic_and_refuses_unknown_keys(tmp_path: Path) -> None:
    a, b = register(tmp_path / "a.db"), register(tmp_path / "b.db")
    for e in (a, b):
        generate(e, count=50, seed=4)
        mutate(e, keys=[r["ma_yc"] for r in rows_of(e)[:5]], seed=2, now=NOW)
    assert dump(a) == dump(b)
    with pytest.raises(LookupError):
        mutate(a, keys=["00000000-0000-4000-8000-000000000000"], seed=2, now=NOW)
    a.dispose()
    b.dispose()


# --- Every engine a commune runs ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ENGINES)
def test_the_same_sample_on_every_engine(kind: str, tmp_path: Path) -> None:
    reference = register(tmp_path / "reference.db")
    expected = generate(reference, count=400, seed=9, chunk=70, quirk_rate=0.3)
    with fresh_database(kind, tmp_path) as target:
        create_register(target)
        assert generate(target, count=400, seed=9, chunk=70, quirk_rate=0.3) == expected
        keys = [r["ma_yc"] for r in rows_of(reference)[:4]]
        mutate(target, keys=keys, seed=1, now=NOW)
        mutate(reference, keys=keys, seed=1, now=NOW)
        assert dump(target) == dump(reference)
        found = scan(target)
        assert found == scan(reference)
        kinds = Counter(r.kind for r in found.values())
        assert kinds["dossier"] == expected.pushable
        assert kinds["draft"] == expected.drafts
        reasons = Counter(r.problem.reason for r in found.values() if r.problem is not None)
        assert reasons == Counter(expected.quarantine_reasons())
        read = [r for b in adapter(target).read_changes(None, 33) for r in b.records]
        assert sorted(r.source_key for r in read) == sorted(found)
    reference.dispose()


def test_due_dates_are_dates(sample: tuple[Engine, HoTichStats]) -> None:
    engine, _ = sample
    dues = [r["han_tra"] for r in rows_of(engine) if r["han_tra"] is not None]
    assert dues and all(type(d) is date for d in dues)
