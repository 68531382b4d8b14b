"""The mot_cua_v1 sample generator: realistic, deterministic, streaming, honest about its quirks."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.adapters.base import Agency
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.normalize import (
    channel_from_label,
    clean_text,
    decode_legacy,
    normalize_phone,
    parse_citizen_id,
    parse_legacy_time,
    status_from_label,
)
from igate_sync.normalize.times import InvalidTime
from igate_sync.sample import mot_cua, vocab
from igate_sync.sample.legacy_encode import encode_legacy, vietnamese_alphabet
from igate_sync.sample.mot_cua import (
    QUARANTINE_REASONS,
    QUIRK_SHARES,
    SampleStats,
    create_register,
    generate,
    mutate,
    touch_children_only,
)
from igate_sync.schemas import MA_HO_SO_PATTERN, MA_TTHC_PATTERN
from tests.engines import ENGINES, fresh_database

AGENCY = "000.24.24.H16"
TABLES = (t.linh_vuc, t.thu_tuc, t.ho_so, t.giay_to_nop, t.le_phi, t.qua_trinh_xu_ly)
CHILDREN = (t.giay_to_nop, t.le_phi, t.qua_trinh_xu_ly)
TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}


def register(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    create_register(engine)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = register(tmp_path / "motcua.db")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, SampleStats]]:
    """600 dossiers with many planted quirks, shared by the read-only tests."""
    eng = register(tmp_path_factory.mktemp("sample") / "motcua.db")
    stats = generate(eng, count=600, seed=11, quirk_rate=0.3, chunk=128)
    yield eng, stats
    eng.dispose()


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for table in TABLES
        }


def ho_so_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.ho_so).order_by(t.ho_so.c.id)).mappings()]


def scan(engine: Engine) -> dict[str, Any]:
    adapter = MotCuaAdapter("motcua", engine, Agency(AGENCY, "UBND xã Ea Yiêng"))
    return {r.source_key: r for rows in adapter.scan(250) for r in rows}


def parses(raw: str | None) -> bool:
    try:
        return parse_legacy_time(raw) is not None
    except InvalidTime:
        return False


# --- The procedure catalogue --------------------------------------------------------------------


def test_register_holds_realistic_procedures_with_their_quirks(engine: Engine) -> None:
    create_register(engine)  # a second call changes nothing
    with engine.connect() as conn:
        procedures = conn.execute(select(t.thu_tuc)).mappings().all()
        fields = {r.ma_linh_vuc: r.ten_linh_vuc for r in conn.execute(select(t.linh_vuc))}
    codes = [p["ma_tthc"] for p in procedures]
    assert 14 <= len(procedures) <= 18
    assert {"HT", "CT", "DD", "BTXH"} <= set(fields)
    assert fields["HT"] == "Hộ tịch"
    assert "1.001193" in codes
    assert any(c.endswith(".000.00.00.H16") for c in codes)
    assert any(" " in c and re.fullmatch(MA_TTHC_PATTERN, "".join(c.split())) for c in codes)
    invalid = [c for c in codes if not re.fullmatch(MA_TTHC_PATTERN, "".join(c.split()))]
    assert invalid == [vocab.INVALID_PROCEDURE.ma_tthc]
    assert {p["muc_do"] for p in procedures} == {2, 3, 4, None}


def test_vocabularies_are_nfc_and_inside_the_legacy_alphabet() -> None:
    alphabet = vietnamese_alphabet()
    texts = [
        *(name for name, _ in vocab.KINH_FAMILY),
        *vocab.KINH_GIVEN_FEMALE,
        *vocab.KINH_GIVEN_MALE,
        *vocab.EDE_CLAN,
        *vocab.SINGLE_TOKEN,
        *vocab.VILLAGES,
        *vocab.NOTES,
        *vocab.LONG_TEXT_SENTENCES,
        *(p.ten_tthc for p in vocab.PROCEDURES),
        *(d for p in vocab.PROCEDURES for d in p.documents),
        *(label for labels in vocab.STATUS_LABELS.values() for label in labels),
    ]
    for text in texts:
        assert unicodedata.is_normalized("NFC", text), text
        assert set(text) <= alphabet, text
    assert "Thủy" in vocab.KINH_GIVEN_FEMALE and "Thuỷ" in vocab.KINH_GIVEN_FEMALE


# --- Determinism and streaming ------------------------------------------------------------------


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    engines = [register(tmp_path / f"{name}.db") for name in ("a", "b", "c")]
    stats = [generate(e, count=300, seed=s) for e, s in zip(engines, (5, 5, 6), strict=True)]
    dumps = [dump(e) for e in engines]
    assert dumps[0] == dumps[1]
    assert stats[0] == stats[1]
    assert dumps[0]["ho_so"] != dumps[2]["ho_so"]
    for e in engines:
        e.dispose()


def test_chunk_size_does_not_change_the_rows(tmp_path: Path) -> None:
    one, many = register(tmp_path / "one.db"), register(tmp_path / "many.db")
    whole = generate(one, count=5000, seed=3, chunk=5000)
    chunked = generate(many, count=5000, seed=3, chunk=333)
    assert whole == chunked
    assert dump(one) == dump(many)
    assert whole.total == 5000
    one.dispose()
    many.dispose()


def test_arguments_are_checked(engine: Engine) -> None:
    with pytest.raises(ValueError, match="count"):
        generate(engine, count=-1)
    with pytest.raises(ValueError, match="chunk"):
        generate(engine, count=10, chunk=0)
    with pytest.raises(ValueError, match="quirk_rate"):
        generate(engine, count=10, quirk_rate=1.5)
    assert generate(engine, count=0) == SampleStats()


# --- Stats add up -------------------------------------------------------------------------------


def test_every_planted_quirk_is_counted_in_the_database(
    sample: tuple[Engine, SampleStats],
) -> None:
    engine, stats = sample
    rows = ho_so_rows(engine)
    with engine.connect() as conn:
        children = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar()
            for table in CHILDREN
        }

    def text(row: dict[str, Any], column: str) -> str | None:
        value = row[column]
        return decode_legacy(value, row["ma_hoa"]) if value is not None else None

    def count(predicate: Any) -> int:
        return sum(1 for r in rows if predicate(r))

    assert stats.total == len(rows) == 600
    assert stats.drafts == count(lambda r: r["so_ho_so"] is None)
    assert stats.deleted == count(lambda r: r["da_xoa"] == 1)
    assert stats.legacy_tcvn3 == count(lambda r: r["ma_hoa"] == "TCVN3")
    assert stats.legacy_vni == count(lambda r: r["ma_hoa"] == "VNI")
    assert {r["ma_hoa"] for r in rows} <= {"UNICODE", "TCVN3", "VNI"}
    assert stats.bad_procedure == count(lambda r: r["thu_tu_id"] == vocab.INVALID_PROCEDURE.id)
    assert stats.unknown_channel == count(lambda r: channel_from_label(text(r, "kenh_nop")) is None)
    assert stats.missing_applicant == count(lambda r: clean_text(text(r, "nguoi_nop")) is None)
    assert stats.invalid_received_time == count(
        lambda r: r["so_ho_so"] is not None and not parses(r["ngay_nhan"])
    )
    assert stats.unknown_status == count(lambda r: status_from_label(text(r, "trang_thai")) is None)
    assert stats.nfd_names == count(
        lambda r: (
            r["nguoi_nop"] is not None and not unicodedata.is_normalized("NFC", r["nguoi_nop"])
        )
    )
    assert stats.null_ngay_cap_nhat == count(lambda r: r["ngay_cap_nhat"] is None)
    assert stats.bad_id == count(
        lambda r: parse_citizen_id(r["so_giay_to"]) is None and (r["so_giay_to"] or "").strip()
    )
    assert stats.bad_phone == count(
        lambda r: normalize_phone(text(r, "dien_thoai")) is None and (r["dien_thoai"] or "").strip()
    )
    assert stats.events == children["qua_trinh_xu_ly"]
    assert stats.documents == children["giay_to_nop"]
    assert stats.fees == children["le_phi"]
    assert stats.long_summaries == count(lambda r: len(r["trich_yeu"] or "") > 1000)


def test_the_adapter_finds_exactly_the_planted_quarantine_reasons(
    sample: tuple[Engine, SampleStats],
) -> None:
    engine, stats = sample
    records = scan(engine).values()
    kinds = Counter(r.kind for r in records)
    reasons = Counter(r.problem.reason for r in records if r.problem is not None)
    assert kinds["draft"] == stats.drafts
    assert kinds["deleted"] == stats.deleted
    assert kinds["dossier"] == stats.pushable
    assert reasons == Counter({k: v for k, v in stats.quarantine_reasons().items() if v})
    assert all(v > 0 for v in stats.quarantine_reasons().values())  # every kind is planted


def test_quirk_rate_zero_gives_only_pushable_dossiers(engine: Engine) -> None:
    stats = generate(engine, count=300, seed=2, quirk_rate=0.0)
    assert stats.pushable == 300
    assert Counter(r.kind for r in scan(engine).values()) == Counter(dossier=300)


def test_quirk_shares_cover_every_reason_and_sum_to_one() -> None:
    assert set(QUARANTINE_REASONS) <= set(QUIRK_SHARES)
    assert set(QUIRK_SHARES) - set(QUARANTINE_REASONS) == {"drafts", "deleted"}
    assert sum(QUIRK_SHARES.values()) == pytest.approx(1.0)


# --- Realistic, consistent rows -----------------------------------------------------------------


def test_dossier_codes_are_unique_and_follow_the_received_day(
    sample: tuple[Engine, SampleStats],
) -> None:
    engine, _ = sample
    rows = ho_so_rows(engine)
    codes = [r["so_ho_so"].strip() for r in rows if r["so_ho_so"] is not None]
    assert len(codes) == len(set(codes))
    national = [r for r in rows if r["so_ho_so"] and r["so_ho_so"].startswith(AGENCY + "-")]
    assert len(national) > 400
    for r in national:
        code = r["so_ho_so"].strip()
        if re.fullmatch(MA_HO_SO_PATTERN, code) and parses(r["ngay_nhan"]):
            day, month, year = r["ngay_nhan"][:10].split()[0].split("/")
            assert code.split("-")[1] == f"{int(year) % 100:02d}{int(month):02d}{int(day):02d}"
    assert all(r["ma_don_vi"] == AGENCY for r in rows)
    assert {r["ma_xa"] for r in rows} == {vocab.MA_XA_OLD, vocab.MA_XA_NEW}


def test_appending_continues_the_daily_counters(engine: Engine) -> None:
    generate(engine, count=200, seed=1)
    generate(engine, count=200, seed=2, first_id=201)
    codes = [r["so_ho_so"].strip() for r in ho_so_rows(engine) if r["so_ho_so"] is not None]
    assert len(codes) == len(set(codes))
    with engine.connect() as conn:
        for table in CHILDREN:
            ids = list(conn.execute(select(table.c.id).order_by(table.c.id)).scalars())
            assert ids == list(range(1, len(ids) + 1))


def test_child_rows_belong_to_dossiers_and_events_run_in_order(
    sample: tuple[Engine, SampleStats],
) -> None:
    engine, _ = sample
    rows = {r["id"]: r for r in ho_so_rows(engine)}
    with engine.connect() as conn:
        for table in CHILDREN:
            parents = set(conn.execute(select(table.c.ho_so_id)).scalars())
            assert parents <= set(rows)
        events = conn.execute(
            select(t.qua_trinh_xu_ly).order_by(
                t.qua_trinh_xu_ly.c.ho_so_id, t.qua_trinh_xu_ly.c.thu_tu
            )
        ).mappings()
        by_dossier: dict[int, list[Any]] = {}
        for e in events:
            by_dossier.setdefault(e["ho_so_id"], []).append(e)
    assert set(by_dossier) == set(rows)  # every dossier has 1 to 5 steps
    for ho_so_id, steps in by_dossier.items():
        assert 1 <= len(steps) <= 5
        assert [s["thu_tu"] for s in steps] == list(range(1, len(steps) + 1))
        times = [parse_legacy_time(s["thoi_diem"]) for s in steps]
        assert None not in times
        assert times == sorted(x for x in times if x is not None)
        encoding = rows[ho_so_id]["ma_hoa"]
        labels = [status_from_label(decode_legacy(s["trang_thai"], encoding)) for s in steps]
        assert None not in labels
        if parses(rows[ho_so_id]["ngay_nhan"]):
            received = parse_legacy_time(rows[ho_so_id]["ngay_nhan"])
            assert received is not None and times[0] is not None and times[0] >= received


def test_rows_carry_the_realities_of_commune_data(tmp_path: Path) -> None:
    engine = register(tmp_path / "big.db")
    stats = generate(engine, count=3000, seed=21)
    rows = ho_so_rows(engine)
    unicode_rows = [r for r in rows if r["ma_hoa"] == "UNICODE"]
    names = [r["nguoi_nop"] or "" for r in unicode_rows]
    phones = {r["dien_thoai"] for r in rows}
    ids = [r["so_giay_to"] or "" for r in rows]
    assert any("\u2019" in n for n in names)  # H’Bia Mlô
    assert any(n.startswith("Y ") for n in names)
    assert any(len(n.split()) == 1 and n.strip() for n in names)  # Xê Đăng single-token names
    assert any("  " in n for n in names)
    assert any(ch in n for n in names for ch in "\u200b\ufeff\u200c\u2060")
    assert 0.02 < stats.nfd_names / stats.total < 0.07
    assert 0.01 < (stats.legacy_tcvn3 + stats.legacy_vni) / stats.total < 0.035
    assert 0.06 < stats.null_ngay_cap_nhat / stats.total < 0.14
    assert {None, ""} <= phones
    assert any(p and p.startswith("+84 ") for p in phones)
    assert any(p and re.fullmatch(r"01[0-9]{9}", p) for p in phones)
    assert any(re.fullmatch(r"066[0-3][0-9]{8}", i) for i in ids)  # CCCD from Đắk Lắk
    assert any(re.fullmatch(r"[0-9]{9}", i) for i in ids)  # CMND
    assert any(re.fullmatch(r"[A-Z][0-9]{7}", i) for i in ids)  # passports
    assert any(r["trich_yeu"] and len(r["trich_yeu"]) > 2000 for r in rows)
    assert {r["kenh_nop"] for r in rows} >= {"TRUC_TIEP", "truc tiep", "TRUC_TUYEN", None}
    received = [parse_legacy_time(r["ngay_nhan"]) for r in rows if parses(r["ngay_nhan"])]
    years = {d.year for d in received if d is not None}
    assert years == {2021, 2022, 2023, 2024, 2025, 2026}
    changed = [r["ngay_cap_nhat"] for r in rows if r["ngay_cap_nhat"] is not None]
    assert all(c.tzinfo is None for c in changed)
    assert max(changed) < datetime(2026, 11, 27)  # noqa: DTZ001 - source columns are naive local time
    engine.dispose()


def test_text_fits_the_columns_on_strict_engines(sample: tuple[Engine, SampleStats]) -> None:
    engine, _ = sample
    with engine.connect() as conn:
        for table in TABLES:
            for column in table.c:
                length = getattr(column.type, "length", None)
                if length:
                    longest = conn.execute(select(func.max(func.length(column)))).scalar()
                    assert (longest or 0) <= length, f"{table.name}.{column.name}"


# --- Legacy encodings ---------------------------------------------------------------------------


def tcvn3_visible(text: str) -> str:
    """What TCVN3 can keep of ``text``: it has no toned capitals, they come back lower case."""
    nfc = unicodedata.normalize("NFC", text)
    return "".join(
        c.lower() if c.isupper() and TONES & set(unicodedata.normalize("NFD", c)) else c
        for c in nfc
    )


def expected_after_decoding(text: str, encoding: str) -> str:
    nfc = unicodedata.normalize("NFC", text)
    return tcvn3_visible(nfc) if encoding == "TCVN3" else nfc


def legacy_dump(engine: Engine) -> dict[str, dict[int, dict[str, Any]]]:
    with engine.connect() as conn:
        legacy = {
            r.id: r.ma_hoa
            for r in conn.execute(select(t.ho_so.c.id, t.ho_so.c.ma_hoa)).all()
            if r.ma_hoa != "UNICODE"
        }
        out: dict[str, dict[int, dict[str, Any]]] = {"ho_so": {}}
        for r in conn.execute(select(t.ho_so).where(t.ho_so.c.id.in_(legacy))).mappings():
            out["ho_so"][r["id"]] = {**r, "_encoding": legacy[r["id"]]}
        for table in CHILDREN:
            query = select(table).where(table.c.ho_so_id.in_(legacy))
            out[table.name] = {
                r["id"]: {**r, "_encoding": legacy[r["ho_so_id"]]}
                for r in conn.execute(query).mappings()
            }
    return out


def test_legacy_rows_decode_back_to_the_vietnamese_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded_db = register(tmp_path / "encoded.db")
    stats = generate(encoded_db, count=2500, seed=8)
    monkeypatch.setattr(mot_cua, "_encoded", lambda row, encoding: row)
    plain_db = register(tmp_path / "plain.db")
    assert generate(plain_db, count=2500, seed=8) == stats
    assert stats.legacy_tcvn3 > 5 and stats.legacy_vni > 5
    encoded, plain = legacy_dump(encoded_db), legacy_dump(plain_db)
    differing = 0
    for table, rows in encoded.items():
        assert rows.keys() == plain[table].keys()
        for key, row in rows.items():
            encoding = row["_encoding"]
            for column, value in row.items():
                original = plain[table][key][column]
                if not isinstance(value, str) or column in ("ma_hoa", "_encoding"):
                    assert value == original
                    continue
                decoded = decode_legacy(value, encoding)
                assert decoded == expected_after_decoding(original, encoding), (table, column)
                differing += value != decoded
    assert differing > 100  # the bytes really are TCVN3/VNI, not Unicode
    names = [decode_legacy(r["nguoi_nop"] or "", r["ma_hoa"]) for r in encoded["ho_so"].values()]
    assert any(
        set(n) - set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '") for n in names
    )
    encoded_db.dispose()
    plain_db.dispose()


VIETNAMESE = st.text(alphabet=sorted(vietnamese_alphabet()), max_size=40)


@given(VIETNAMESE)
def test_vni_encoding_round_trips(text: str) -> None:
    assert decode_legacy(encode_legacy(text, "VNI"), "VNI") == unicodedata.normalize("NFC", text)


@given(VIETNAMESE)
def test_tcvn3_encoding_round_trips_but_for_toned_capitals(text: str) -> None:
    assert decode_legacy(encode_legacy(text, "TCVN3"), "TCVN3") == tcvn3_visible(text)


def test_encoder_writes_the_known_legacy_spellings() -> None:
    assert encode_legacy("Nguyễn Thị Thuỷ", "VNI") == "Nguyeãn Thò Thuyû"
    assert encode_legacy("Nguyễn Thị Thuỷ", "TCVN3") == "NguyÔn ThÞ Thuû"
    assert encode_legacy("Đắk Lắk", "TCVN3") == "§¾k L¾k"
    assert encode_legacy("Plain ASCII", "TCVN3") == "Plain ASCII"


# --- Changing rows afterwards -------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def test_mutate_is_picked_up_by_a_cursor_read(engine: Engine) -> None:
    generate(engine, count=200, seed=4)
    adapter = MotCuaAdapter("motcua", engine, Agency(AGENCY, "UBND xã Ea Yiêng"))
    cursor = None
    for batch in adapter.read_changes(None, 64):
        cursor = batch.cursor
    before = scan(engine)
    legacy = next(r["id"] for r in ho_so_rows(engine) if r["ma_hoa"] != "UNICODE")
    ids = [7, 120, legacy]
    with engine.connect() as conn:
        steps_before = conn.execute(select(func.count()).select_from(t.qua_trinh_xu_ly)).scalar()
        steps_of_7 = conn.execute(
            select(func.count()).where(t.qua_trinh_xu_ly.c.ho_so_id == 7)
        ).scalar()

    mutate(engine, ids=ids, seed=1, now=NOW)

    changed = [r.source_key for b in adapter.read_changes(cursor, 64) for r in b.records]
    assert sorted(changed) == sorted(str(i) for i in ids)
    after = scan(engine)
    assert {k for k in after if after[k] != before[k]} == {str(i) for i in ids}
    rows = {r["id"]: r for r in ho_so_rows(engine)}
    for i in ids:
        assert rows[i]["ngay_cap_nhat"] == datetime(2026, 11, 27, 10, 0)  # noqa: DTZ001 - naive local
        label = decode_legacy(rows[i]["trang_thai"], rows[i]["ma_hoa"])
        assert status_from_label(label) is not None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.qua_trinh_xu_ly)).scalar() == (
            (steps_before or 0) + len(ids)
        )
        last = (
            conn.execute(
                select(t.qua_trinh_xu_ly)
                .where(t.qua_trinh_xu_ly.c.ho_so_id == 7)
                .order_by(t.qua_trinh_xu_ly.c.thu_tu.desc())
            )
            .mappings()
            .first()
        )
    assert last is not None and last["thoi_diem"] == "27/11/2026 10:00"
    assert last["thu_tu"] == (steps_of_7 or 0) + 1


def test_mutate_is_deterministic_and_refuses_unknown_ids(tmp_path: Path) -> None:
    a, b = register(tmp_path / "a.db"), register(tmp_path / "b.db")
    for e in (a, b):
        generate(e, count=50, seed=4)
        mutate(e, ids=[3, 9], seed=2, now=NOW)
    assert dump(a) == dump(b)
    with pytest.raises(LookupError):
        mutate(a, ids=[999], seed=2, now=NOW)
    a.dispose()
    b.dispose()


def test_touch_children_only_adds_a_document_and_leaves_the_dossier_row(engine: Engine) -> None:
    generate(engine, count=30, seed=4)
    before = dump(engine)
    touch_children_only(engine, ho_so_id=12, seed=1)
    after = dump(engine)
    assert after["ho_so"] == before["ho_so"]
    assert after["qua_trinh_xu_ly"] == before["qua_trinh_xu_ly"]
    added = [r for r in after["giay_to_nop"] if r not in before["giay_to_nop"]]
    assert len(added) == 1 and added[0][1] == 12
    assert "bổ sung" in decode_legacy(added[0][2], ho_so_rows(engine)[11]["ma_hoa"])


# --- Every engine a commune runs ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ENGINES)
def test_the_same_sample_on_every_engine(kind: str, tmp_path: Path) -> None:
    reference = register(tmp_path / "reference.db")
    expected = generate(reference, count=150, seed=9, chunk=40)
    with fresh_database(kind, tmp_path) as target:
        create_register(target)
        assert generate(target, count=150, seed=9, chunk=40) == expected
        mutate(target, ids=[5], seed=1, now=NOW)
        mutate(reference, ids=[5], seed=1, now=NOW)
        assert dump(target) == dump(reference)
    reference.dispose()
