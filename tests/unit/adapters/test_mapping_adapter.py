"""The declarative `mapping` source: config/mot_cua_v1.mapping.toml gives exactly the records
of the mot_cua_v1 code adapter on every engine; each named transform; every spec error names
its key; and a register of another shape is read without new code."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    create_engine,
    insert,
)

from igate_sync.adapters.base import Agency, ChangeBatch, Finding, SourceRecord
from igate_sync.adapters.mapping import MappingAdapter, RowMapper
from igate_sync.adapters.mapping_spec import MappingSpec
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.adapters.mot_cua_mapping import map_row
from igate_sync.adapters.transforms import TRANSFORMS, Context, Quarantine, folded_table
from igate_sync.config import SECRET_ENV, Settings, load_settings
from igate_sync.errors import ConfigError
from igate_sync.sample.legacy_encode import encode_legacy
from igate_sync.sample.mot_cua import (
    QUARANTINE_REASONS,
    SampleStats,
    create_register,
    generate,
    mutate,
    touch_children_only,
)
from igate_sync.sample.vocab import PROCEDURES
from tests.engines import ENGINES, fresh_database

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "mot_cua_v1.mapping.toml"
EXAMPLE_URL = 'url = "sqlite:///motcua.db"'
AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")


def example_settings(tmp_path: Path, url: str, edits: tuple[tuple[str, str], ...] = ()) -> Settings:
    """The shipped example, pointed at ``url``, with text edits, loaded as the daemon does."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in ((EXAMPLE_URL, f'url = "{url}"'), *edits):
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "igate-sync.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={SECRET_ENV: "s3cret"})


def example_mapping() -> dict[str, Any]:
    with EXAMPLE.open("rb") as handle:
        mapping: dict[str, Any] = tomllib.load(handle)["sources"][0]["mapping"]
    return mapping


def spec_of(mapping: dict[str, Any]) -> MappingSpec:
    return MappingSpec.model_validate(mapping)


# --- 1. The equivalence: the example mapping reads mot_cua_v1 as the code adapter does ------


@dataclass
class Pair:
    code: MotCuaAdapter
    mapping: MappingAdapter
    engine: Engine
    stats: SampleStats


@pytest.fixture(params=ENGINES)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    with fresh_database(request.param, tmp_path) as engine:
        create_register(engine)
        stats = generate(engine, count=600, seed=20261127, quirk_rate=0.3)
        settings = example_settings(tmp_path, engine.url.render_as_string(hide_password=False))
        source = settings.sources[0]
        assert source.kind == "mapping"
        assert source.mapping is not None
        agency = Agency(settings.agency.code, settings.agency.name)
        mapping = MappingAdapter(source.name, create_engine(source.url), agency, source.mapping)
        try:
            yield Pair(MotCuaAdapter(source.name, engine, agency), mapping, engine, stats)
        finally:
            mapping.close()


def assert_same(expected: list[SourceRecord], actual: list[SourceRecord]) -> None:
    """Record by record: kind, code, content, version, events, problem, findings, time."""
    assert [r.source_key for r in actual] == [r.source_key for r in expected]
    for want, got in zip(expected, actual, strict=True):
        key = want.source_key
        assert (got.kind, got.ma_ho_so) == (want.kind, want.ma_ho_so), key
        assert got.content == want.content, key
        assert got.phien_ban == want.phien_ban, key
        assert got.events == want.events, key
        assert got.problem == want.problem, key
        assert got.findings == want.findings, key
        assert got.changed_at == want.changed_at, key
        assert got == want, key


def changes(batches: Iterator[ChangeBatch]) -> tuple[list[SourceRecord], list[str | None]]:
    records: list[SourceRecord] = []
    cursors: list[str | None] = []
    for batch in batches:
        records += batch.records
        cursors.append(batch.cursor)
    return records, cursors


def test_read_changes_gives_the_code_adapters_records_and_cursors(pair: Pair) -> None:
    expected, expected_cursors = changes(pair.code.read_changes(None, 64))
    actual, actual_cursors = changes(pair.mapping.read_changes(None, 64))
    assert len(expected) == 600
    assert_same(expected, actual)
    assert actual_cursors == expected_cursors
    # The sample exercises every rule: each quarantine reason, drafts, deletes, findings.
    kinds = {r.kind for r in actual}
    reasons = {r.problem.reason for r in actual if r.problem is not None}
    assert kinds == {"dossier", "quarantined", "draft", "deleted"}
    assert reasons >= set(QUARANTINE_REASONS.values())
    assert any(r.findings for r in actual)
    assert sum(len(r.events) for r in actual) > 600
    assert pair.stats.legacy_tcvn3 + pair.stats.legacy_vni > 0


def test_scan_gives_the_code_adapters_records(pair: Pair) -> None:
    expected = [r for chunk in pair.code.scan(100) for r in chunk]
    actual_chunks = list(pair.mapping.scan(100))
    assert [len(c) for c in actual_chunks] == [100] * 6
    assert_same(expected, [r for chunk in actual_chunks for r in chunk])


def test_read_keys_gives_the_code_adapters_records(pair: Pair) -> None:
    keys = [str(k) for k in range(1, 601, 37)] + ["9999", "x"]
    assert_same(pair.code.read_keys(keys), pair.mapping.read_keys(keys))


def test_after_desk_edits_both_resume_from_their_cursor_alike(pair: Pair) -> None:
    _, cursors = changes(pair.mapping.read_changes(None, 200))
    mutate(pair.engine, ids=[5, 77, 300], seed=3, now=datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
    touch_children_only(pair.engine, ho_so_id=12, seed=3)  # found by the scan, not the cursor
    expected, _ = changes(pair.code.read_changes(cursors[-1], 2))
    actual, _ = changes(pair.mapping.read_changes(cursors[-1], 2))
    assert [r.source_key for r in actual] == ["5", "77", "300"]
    assert_same(expected, actual)
    assert_same(pair.code.read_keys(["12"]), pair.mapping.read_keys(["12"]))


# --- The same rules, row by row, without a database ----------------------------------------


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "so_ho_so": "000.24.24.H16-210311-0001",
        "nguoi_nop": "Nguyễn Văn An",
        "ma_hoa": "UNICODE",
        "loai_doi_tuong": 1,
        "so_giay_to": "066 2 01 123456",
        "dien_thoai": "0905 123 456",
        "email": None,
        "dia_chi": "Thôn 3, xã Ea Yiêng",
        "trich_yeu": "Đăng ký khai sinh",
        "kenh_nop": "TRUC_TIEP",
        "ngay_nhan": "11/03/2021 08:30",
        "ngay_hen_tra": "15/03/2021",
        "ngay_ket_thuc_xu_ly": None,
        "ngay_tra": None,
        "trang_thai": "Đang xử lý",
        "ghi_chu": None,
        "da_xoa": 0,
        "ngay_cap_nhat": datetime(2021, 3, 11, 9, 0),  # noqa: DTZ001 - naive local, as the source
        "ma_tthc": "1.001193",
        "ten_tthc": "Đăng ký khai sinh",
        "muc_do": 3,
        "ma_linh_vuc": "HT",
        "ten_linh_vuc": "Hộ tịch",
    }
    base.update(changes)
    return base


def step(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "ho_so_id": 7,
        "thu_tu": 1,
        "nguoi_xu_ly": "Y Niê Kdăm",
        "chuc_danh": "Công chức Tư pháp - Hộ tịch",
        "phong_ban": "Bộ phận một cửa",
        "thoi_diem": "11/03/2021 09:00",
        "noi_dung": "Tiếp nhận hồ sơ",
        "trang_thai": "đã tiếp nhận",
        "han_xu_ly": None,
    }
    base.update(changes)
    return base


DOCS = [
    {"id": 1, "ho_so_id": 7, "ten_giay_to": " Tờ khai ", "so_ban": None, "da_so_hoa": 1},
    {"id": 2, "ho_so_id": 7, "ten_giay_to": "Giấy chứng sinh", "so_ban": 2, "da_so_hoa": 0},
]
FEES = [{"id": 1, "ho_so_id": 7, "ten_phi": "Lệ phí", "so_tien": Decimal("8000"), "da_thu": 1}]


def legacy(encoding: str) -> dict[str, Any]:
    texts = {"nguoi_nop": "Trần Thị Thuỷ", "dia_chi": "Buôn Ea Yiêng", "trang_thai": "Đã tiếp nhận"}
    return {"ma_hoa": encoding} | {k: encode_legacy(v, encoding) for k, v in texts.items()}


VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "deleted_draft": {"da_xoa": 1, "so_ho_so": None},
    "blank_code": {"so_ho_so": "   "},
    "local_number": {"so_ho_so": "HS-2019-00012"},
    "procedure_spaces": {"ma_tthc": " 1.00 1193 "},
    "no_procedure": {"ma_tthc": None, "ten_tthc": None},
    "no_field": {"ma_linh_vuc": None, "ten_linh_vuc": None},
    "channel_spelled": {"kenh_nop": "Bưu chính"},
    "unknown_channel_first": {"kenh_nop": "qua zalo", "nguoi_nop": None, "trang_thai": "chờ ký"},
    "nfd_name": {"nguoi_nop": unicodedata.normalize("NFD", "Trần Thị Thuỷ")},
    "blank_name": {"nguoi_nop": "  \u200b "},
    "null_levels": {"muc_do": None, "loai_doi_tuong": None},
    "passport": {"so_giay_to": "B1234567", "dien_thoai": "12345"},
    "email": {"email": " an@example.vn "},
    "bad_email": {"email": "an at example"},
    "long_summary": {"trich_yeu": "x" * 1001},
    "blank_received": {"ngay_nhan": ""},
    "impossible_received": {"ngay_nhan": "31/02/2021"},
    "invalid_due": {"ngay_hen_tra": "99/99/2021"},
    "due_before": {"ngay_hen_tra": "10/03/2021"},
    "bad_finish": {"ngay_ket_thuc_xu_ly": "32/01/2021"},
    "returned_before": {"ngay_tra": "01/03/2021"},
    "status_nfd": {"trang_thai": unicodedata.normalize("NFD", "Đã trả kết quả")},
    "null_status": {"trang_thai": None},
    "tcvn3": legacy("TCVN3"),
    "vni": legacy("VNI"),
    "unknown_encoding": {"ma_hoa": "VISCII"},
    "null_change_time": {"ngay_cap_nhat": None},
}
STEPS = [
    step(han_xu_ly="12/03/2021 17:00"),
    step(id=2, thu_tu=2, thoi_diem="31/02/2021 09:00"),
    step(id=3, thu_tu=3, trang_thai="chờ ký", nguoi_xu_ly="A" * 49 + " " + "B" * 10),
    step(id=4, thu_tu=4, han_xu_ly="99/99/9999", trang_thai=None),
]


@pytest.mark.parametrize("changes", VARIANTS.values(), ids=VARIANTS.keys())
def test_row_mapper_maps_each_rule_as_the_code_mapping(changes: dict[str, Any]) -> None:
    source = row(**changes)
    children = {"TaiLieuNop": DOCS, "DanhSachLePhi": FEES, "events": STEPS}
    expected = map_row(source, AGENCY, documents=DOCS, fees=FEES, steps=STEPS)
    assert RowMapper(spec_of(example_mapping()), AGENCY).map(source, children) == expected


def mapped(mapping: dict[str, Any], **changes: Any) -> SourceRecord:
    children = {"TaiLieuNop": DOCS, "DanhSachLePhi": FEES, "events": STEPS}
    return RowMapper(spec_of(mapping), AGENCY).map(row(**changes), children)


def test_the_first_broken_rule_in_the_specs_field_order_gives_the_reason() -> None:
    broken = {"kenh_nop": "qua zalo", "nguoi_nop": None}
    example = example_mapping()
    assert mapped(example, **broken).problem == map_row(row(**broken), AGENCY).problem
    fields = example["fields"]
    reordered = {"ChuHoSo": fields.pop("ChuHoSo"), **fields}
    problem = mapped({**example, "fields": reordered}, **broken).problem
    assert problem is not None
    assert (problem.reason, problem.field) == ("missing_applicant", "nguoi_nop")


def test_a_broken_child_rule_quarantines_the_dossier_naming_the_list() -> None:
    children = {"TaiLieuNop": [{**DOCS[0], "so_ban": "hai"}]}
    record = RowMapper(spec_of(example_mapping()), AGENCY).map(row(), children)
    assert record.kind == "quarantined"
    assert record.problem is not None
    assert (record.problem.reason, record.problem.field) == ("invalid_number", "giay_to_nop.so_ban")


def test_event_rules_drop_or_default_and_report_findings() -> None:
    record = mapped(example_mapping())
    assert [e["STT"] for e in record.events] == ["1", "3", "4"]
    assert [e["TrangThai"] for e in record.events] == ["2", "4", "4"]
    assert record.events[1]["NguoiXuLy"] == "A" * 49
    assert record.events[2]["HanXuLy"] == ""
    assert Finding("unreadable_event", "qua_trinh_xu_ly.thoi_diem") in record.findings
    assert Finding("unreadable_step_deadline", "qua_trinh_xu_ly.han_xu_ly") in record.findings


def test_lists_and_events_left_out_are_empty() -> None:
    mapping = example_mapping()
    del mapping["lists"], mapping["events"]
    record = mapped(mapping)
    assert record.content is not None
    assert (record.content["TaiLieuNop"], record.content["DanhSachLePhi"]) == ([], [])
    assert record.events == ()


def test_optional_wire_fields_left_out_are_sent_empty() -> None:
    mapping = example_mapping()
    del mapping["fields"]["MaLinhVuc"], mapping["fields"]["TenLinhVuc"]
    content = mapped(mapping).content
    assert content is not None
    assert (content["MaLinhVuc"], content["TenLinhVuc"]) == ("", "")


# --- 2a. Named transforms ------------------------------------------------------------------


def apply(name: str, value: object, **options: Any) -> tuple[Any, list[Finding]]:
    findings: list[Finding] = []
    context = Context(column="c", agency=AGENCY, **options)
    return TRANSFORMS[name](value, context, findings), findings


def value_of(name: str, value: object, **options: Any) -> Any:
    result, _ = apply(name, value, **options)
    return result


def refused(name: str, value: object, **options: Any) -> tuple[str, str, str]:
    with pytest.raises(Quarantine) as caught:
        apply(name, value, **options)
    problem = caught.value.problem
    return problem.reason, problem.field, problem.value_shape


def test_clean_text() -> None:
    assert value_of("clean_text", " H’Hen\u00a0 Niê\u200b ") == "H'Hen Niê"
    assert value_of("clean_text", " \u200b ") is None


def test_raw_text() -> None:
    assert value_of("raw_text", " HT ") == " HT "
    assert value_of("raw_text", None) is None


def test_digits() -> None:
    assert value_of("digits", 3) == "3"
    assert value_of("digits", Decimal("8000")) == "8000"
    assert value_of("digits", " 12 ") == "12"
    assert value_of("digits", None) is None
    assert refused("digits", "1.000") == ("invalid_number", "c", "9.999")
    assert refused("digits", "hai", reason="bad_count")[0] == "bad_count"


def test_flag() -> None:
    assert [value_of("flag", v) for v in (1, "1", 0, None, 2)] == ["1", "1", "0", "0", "0"]


def test_dossier_code() -> None:
    assert value_of("dossier_code", " 000.24.24.H16-210311-0001 ") == "000.24.24.H16-210311-0001"
    assert value_of("dossier_code", "  ") is None
    assert refused("dossier_code", "000.24.25.H16-210311-0001")[:2] == ("invalid_dossier_code", "c")
    assert refused("dossier_code", "HS-2019-00012")[0] == "invalid_dossier_code"


def test_procedure_code() -> None:
    assert value_of("procedure_code", " 1.00 1193 ") == "1.001193"
    assert refused("procedure_code", "KS-01") == ("invalid_procedure_code", "c", "AA-99")
    assert refused("procedure_code", None)[0] == "invalid_procedure_code"


def test_channel_label() -> None:
    assert [value_of("channel_label", v) for v in ("Truc tuyen", None, "BUU_CHINH")] == [
        "2",
        "1",
        "3",
    ]
    assert refused("channel_label", " qua  zalo ") == ("unknown_channel", "c", "aaa aaaa")


def test_status_label() -> None:
    assert value_of("status_label", "ĐANG GIẢI QUYẾT") == "4"
    assert value_of("status_label", "da giai quyet") == "9"
    assert refused("status_label", None) == ("unknown_status", "c", "NULL")


def test_value_table() -> None:
    table = folded_table({"TRUC_TIEP": "1", "Bưu chính": "3", "0": "9"})
    assert value_of("value_table", "truc tiep", table=table) == "1"
    assert value_of("value_table", "BUU_CHINH", table=table) == "3"
    assert value_of("value_table", 0, table=table) == "9"
    assert value_of("value_table", None, table=table) is None
    assert refused("value_table", "zalo", table=table) == ("unknown_value", "c", "aaaa")
    assert refused("value_table", "zalo", table=table, reason="unknown_channel")[0] == (
        "unknown_channel"
    )


def test_citizen_id() -> None:
    assert apply("citizen_id", "066.201.123.456") == (
        [{"LoaiDinhDanh": "1", "SoDinhDanh": "066201123456"}],
        [],
    )
    assert value_of("citizen_id", "024-123-456") == [
        {"LoaiDinhDanh": "2", "SoDinhDanh": "024123456"}
    ]
    assert apply("citizen_id", "B1234567") == ([], [Finding("unusable_id", "c")])
    assert apply("citizen_id", "") == ([], [])


def test_phone() -> None:
    assert value_of("phone", "+84 905123456") == "0905123456"
    assert value_of("phone", "01689123456") == "0389123456"
    assert apply("phone", "12345") == ("", [Finding("unusable_phone", "c")])
    assert apply("phone", None) == ("", [])


def test_email() -> None:
    assert value_of("email", " an@example.vn ") == "an@example.vn"
    assert value_of("email", "an at example") == ""


def test_legacy_time() -> None:
    assert value_of("legacy_time", "11/03/2021 08:30") == "20210311083000"
    assert value_of("legacy_time", "11/03/2021") == "20210311000000"
    assert value_of("legacy_time", None) == ""
    assert refused("legacy_time", "31/02/2021") == ("invalid_time", "c", "99/99/9999")
    assert refused("legacy_time", " ", required=True, reason="invalid_received_time") == (
        "invalid_received_time",
        "c",
        "NULL",
    )


def test_legacy_due_time_means_the_end_of_a_bare_date() -> None:
    assert value_of("legacy_due_time", "15/03/2021") == "20210315235959"
    assert value_of("legacy_due_time", "15/03/2021 16:00") == "20210315160000"
    assert refused("legacy_due_time", "99/99/2021")[0] == "invalid_time"


def test_date_end_of_day() -> None:
    for value in (date(2021, 3, 15), datetime(2021, 3, 15, 8, 0), "2021-03-15"):  # noqa: DTZ001
        assert value_of("date_end_of_day", value) == "20210315235959"
    assert value_of("date_end_of_day", None) == ""
    assert refused("date_end_of_day", "15/03/2021")[0] == "invalid_time"


def test_timestamp() -> None:
    naive_local = datetime(2021, 3, 11, 9, 0)  # noqa: DTZ001 - a DB TIMESTAMP, local time
    assert value_of("timestamp", naive_local) == "20210311090000"
    assert value_of("timestamp", datetime(2021, 3, 11, 2, 0, tzinfo=UTC)) == "20210311090000"
    assert value_of("timestamp", "2021-03-11 09:00:00.000000") == "20210311090000"
    assert refused("timestamp", "hôm qua")[0] == "invalid_time"


def test_truncate_1000() -> None:
    summary = value_of("truncate_1000", "x" * 1001)
    assert (len(summary), summary[-3:], summary[:997]) == (1000, "...", "x" * 997)
    assert value_of("truncate_1000", "y" * 1000) == "y" * 1000


def test_cut_50() -> None:
    assert value_of("cut_50", "A" * 49 + " " + "B" * 10) == "A" * 49


def test_constant() -> None:
    assert value_of("constant", None, constant="1.001193") == "1.001193"


def test_agency_name() -> None:
    assert value_of("agency_name", None) == "UBND xã Ea Yiêng"


def test_every_registered_transform_has_its_named_test() -> None:
    tests = [name for name in globals() if name.startswith("test_")]
    assert [t for t in TRANSFORMS if not any(n.startswith(f"test_{t}") for n in tests)] == []


# --- 2b. Spec errors name their key ---------------------------------------------------------

KENH = 'KenhThucHien = { column = "kenh_nop", transform = "channel_label", decode = true }'
DON_VI = 'DonViXuLy = { transform = "agency_name" }'
SPEC_ERRORS = {
    "unknown_transform": (
        [('transform = "dossier_code"', 'transform = "dossier_cod"')],
        "sources[0].mapping.fields.MaHoSo.transform",
        "unknown transform 'dossier_cod'",
    ),
    "missing_wire_field": (
        [('MaTTHC = { column = "ma_tthc", transform = "procedure_code" }\n', "")],
        "sources[0].mapping.fields.MaTTHC",
        "is required",
    ),
    "value_table_without_table": (
        [(KENH, 'KenhThucHien = { column = "kenh_nop", transform = "value_table" }')],
        "sources[0].mapping.fields.KenhThucHien.table",
        "is required by the value_table transform",
    ),
    "table_without_value_table": (
        [(DON_VI, 'DonViXuLy = { transform = "agency_name", table = { a = "1" } }')],
        "sources[0].mapping.fields.DonViXuLy.table",
        "is only for value_table",
    ),
    "unknown_wire_field": (
        [("MaHoSo = {", "MaHoso = {")],
        "sources[0].mapping.fields.MaHoso",
        "is not a field of the wire DossierContent",
    ),
    "list_among_fields": (
        [(DON_VI, DON_VI + '\nTaiLieuNop = { column = "x", transform = "raw_text" }')],
        "sources[0].mapping.fields.TaiLieuNop",
        "is a list",
    ),
    "unknown_option": (
        [('transform = "dossier_code"', 'transform = "dossier_code", requird = true')],
        "sources[0].mapping.fields.MaHoSo.requird",
        "is not a known key",
    ),
    "constant_without_value": (
        [(DON_VI, 'DonViXuLy = { transform = "constant" }')],
        "sources[0].mapping.fields.DonViXuLy.constant",
        "is required by the constant transform",
    ),
    "column_for_agency_name": (
        [(DON_VI, 'DonViXuLy = { column = "x", transform = "agency_name" }')],
        "sources[0].mapping.fields.DonViXuLy.column",
        "reads no column",
    ),
    "no_column": (
        [('column = "ten_tthc", ', "")],
        "sources[0].mapping.fields.TenTTHC.column",
        "is required by the clean_text transform",
    ),
    "decode_without_encoding": (
        [('encoding = "ma_hoa"\n', "")],
        "sources[0].mapping.fields.KenhThucHien.decode",
        "needs [sources.mapping] encoding",
    ),
    "not_before_a_later_field": (
        [
            (
                'field = "NgayTiepNhan", reason = "due_before_received"',
                'field = "NgayTra", reason = "x"',
            )
        ],
        "sources[0].mapping.fields.NgayHenTra.not_before.field",
        "'NgayTra' is not a wire field written before NgayHenTra",
    ),
    "bad_reason_code": (
        [('reason = "missing_applicant"', 'reason = "Missing applicant"')],
        "sources[0].mapping.fields.ChuHoSo.reason",
        "should match pattern",
    ),
    "bad_column_name": (
        [('column = "so_ho_so"', 'column = "so_ho_so; DROP TABLE ho_so"')],
        "sources[0].mapping.fields.MaHoSo.column",
        "should match pattern",
    ),
    "table_and_query": (
        [("[sources.mapping]\n", '[sources.mapping]\ntable = "ho_so"\n')],
        "sources[0].mapping.query",
        "give either `table` or `query`",
    ),
    "child_item_field_missing": (
        [('fields.SoBan = { column = "so_ban", transform = "digits", default = "1" }\n', "")],
        "sources[0].mapping.lists.TaiLieuNop.fields.SoBan",
        "is required (a wire field of TaiLieu)",
    ),
    "child_transform_unknown": (
        [('transform = "flag" }', 'transform = "flags" }')],
        "sources[0].mapping.lists.TaiLieuNop.fields.DuocSoHoa.transform",
        "unknown transform 'flags'",
    ),
    "event_field_missing": (
        [("fields.HanXuLy = {", "fields.HanXuLyy = {")],
        "sources[0].mapping.events.fields.HanXuLyy",
        "is not a field of the wire ProgressEvent",
    ),
    "event_order_empty": (
        [('order = ["thu_tu", "id"]', "order = []")],
        "sources[0].mapping.events.order",
        "at least 1 item",
    ),
}


@pytest.mark.parametrize(("edits", "key", "message"), SPEC_ERRORS.values(), ids=SPEC_ERRORS.keys())
def test_a_spec_error_names_its_key(
    tmp_path: Path, edits: list[tuple[str, str]], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        example_settings(tmp_path, "sqlite:///motcua.db", tuple(edits))
    assert caught.value.key == key
    assert message in str(caught.value)


def test_the_shipped_example_loads(tmp_path: Path) -> None:
    source = example_settings(tmp_path, "sqlite:///motcua.db").sources[0]
    assert source.mapping is not None
    assert list(source.mapping.fields)[:3] == ["MaHoSo", "MaTTHC", "TenTTHC"]
    assert source.mapping.query is not None
    assert source.mapping.query.startswith("SELECT h.id")


def test_ping_names_the_spec_query_the_database_refuses(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as engine:
        create_register(engine)
        mapping = example_mapping()
        mapping["fields"]["GhiChu"]["column"] = "ghi_chuu"
        adapter = MappingAdapter("m", engine, AGENCY, spec_of(mapping))
        with pytest.raises(ConfigError) as caught:
            adapter.ping()
        assert caught.value.key == "mapping"
        mapping = example_mapping()
        mapping["lists"]["DanhSachLePhi"]["table"] = "le_phi_cu"
        with pytest.raises(ConfigError) as caught:
            MappingAdapter("m", engine, AGENCY, spec_of(mapping)).ping()
        assert caught.value.key == "mapping.lists.DanhSachLePhi"
        MappingAdapter("m", engine, AGENCY, spec_of(example_mapping())).ping()


# --- 3. Another register, without new code --------------------------------------------------

metadata = MetaData()
so_tiep_nhan = Table(
    "so_tiep_nhan",
    metadata,
    Column("ma", String(20), primary_key=True),
    Column("so_bien_nhan", String(50)),
    Column("ten", String(200)),
    Column("cmnd", String(20)),
    Column("nhan_luc", DateTime),
    Column("han", Date),
    Column("tinh_trang", Integer),
    Column("kenh", Integer),
    Column("huy", SmallInteger, nullable=False, server_default="0"),
)
EMPTY = ("SoDienThoai", "Email", "DiaChi", "TrichYeuHoSo", "NgayKetThucXuLy", "NgayTra", "GhiChu")
OTHER_SPEC: dict[str, Any] = {
    "table": "so_tiep_nhan",
    "key": "ma",
    "key_type": "text",
    "deleted": {"column": "huy", "value": 1},
    "fields": {
        "MaHoSo": {"column": "so_bien_nhan", "transform": "dossier_code"},
        "MaTTHC": {"transform": "constant", "constant": PROCEDURES[0].ma_tthc},
        "TenTTHC": {"transform": "constant", "constant": PROCEDURES[0].ten_tthc},
        "KenhThucHien": {
            "column": "kenh",
            "transform": "value_table",
            "table": {"0": "1", "1": "2", "2": "3"},
            "required": True,
            "reason": "unknown_channel",
        },
        "MucDo": {"transform": "constant", "constant": "2"},
        "ChuHoSo": {
            "column": "ten",
            "transform": "clean_text",
            "required": True,
            "reason": "missing_applicant",
        },
        "LoaiDoiTuong": {"transform": "constant", "constant": "1"},
        "DinhDanhCHS": {"column": "cmnd", "transform": "citizen_id"},
        "NgayTiepNhan": {
            "column": "nhan_luc",
            "transform": "timestamp",
            "required": True,
            "reason": "invalid_received_time",
        },
        "NgayHenTra": {
            "column": "han",
            "transform": "date_end_of_day",
            "not_before": {"field": "NgayTiepNhan", "reason": "due_before_received"},
        },
        "TrangThaiHoSo": {
            "column": "tinh_trang",
            "transform": "value_table",
            "table": {"0": "2", "1": "4", "2": "9", "3": "10"},
            "required": True,
            "reason": "unknown_status",
        },
        "DonViXuLy": {"transform": "agency_name"},
        **{name: {"transform": "constant", "constant": ""} for name in EMPTY},
    },
}


def receipt(ma: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ma": ma,
        "so_bien_nhan": f"000.24.24.H16-210311-{int(ma[2:]):04d}",
        "ten": " Lê  Hoà ",
        "cmnd": "024 123 456",
        "nhan_luc": datetime(2021, 3, 11, 8, 30),  # noqa: DTZ001 - naive local, as the source
        "han": date(2021, 3, 15),
        "tinh_trang": 1,
        "kenh": 1,
        "huy": 0,
    }
    return base | changes


@pytest.fixture(params=ENGINES)
def other(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(so_tiep_nhan),
                [
                    receipt("A-01"),
                    receipt("A-02", tinh_trang=7),
                    receipt("A-03", so_bien_nhan=None),
                    receipt("A-04", huy=1),
                    receipt("A-05", han=date(2021, 3, 10)),
                    receipt("A-06", kenh=None),
                ],
            )
        yield engine


def test_another_register_is_read_from_configuration_only(other: Engine) -> None:
    adapter = MappingAdapter("so", other, AGENCY, spec_of(OTHER_SPEC))
    adapter.ping()
    batches = list(adapter.read_changes(None, 4))
    records = [r for b in batches for r in b.records]
    assert [r.source_key for r in records] == ["A-01", "A-02", "A-03", "A-04", "A-05", "A-06"]
    assert [r.kind for r in records] == [
        "dossier",
        "quarantined",
        "draft",
        "deleted",
        "quarantined",
        "quarantined",
    ]
    assert [(r.problem.reason, r.problem.field) for r in records if r.problem] == [
        ("unknown_status", "tinh_trang"),
        ("due_before_received", "han"),
        ("unknown_channel", "kenh"),
    ]
    content = records[0].content
    assert content is not None
    assert content["ChuHoSo"] == "Lê Hoà"
    assert content["NgayTiepNhan"] == "20210311083000"
    assert content["NgayHenTra"] == "20210315235959"
    assert (content["KenhThucHien"], content["TrangThaiHoSo"]) == ("2", "4")
    assert content["DinhDanhCHS"] == [{"LoaiDinhDanh": "2", "SoDinhDanh": "024123456"}]
    assert records[0].changed_at is None


def test_without_a_change_time_new_rows_are_found_by_key(other: Engine) -> None:
    adapter = MappingAdapter("so", other, AGENCY, spec_of(OTHER_SPEC))
    cursor = [b.cursor for b in adapter.read_changes(None, 4)][-1]
    assert cursor is not None
    assert list(adapter.read_changes(cursor, 4)) == []
    with other.begin() as conn:
        conn.execute(insert(so_tiep_nhan), [receipt("A-07")])
    assert [r.source_key for b in adapter.read_changes(cursor, 4) for r in b.records] == ["A-07"]
    assert [r.source_key for r in adapter.read_keys(["A-05", "nope"])] == ["A-05"]
    assert [len(c) for c in adapter.scan(5)] == [5, 2]
