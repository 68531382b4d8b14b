"""What an officer reads: quarantine with reasons and shapes, and data-quality findings,
including one ID number under differently spelled names."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.upstream.simulator.server import running_simulator
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings

AGENCY = "000.24.24.H16"
CONFIG = """
[agency]
code = "{agency}"
name = "UBND xã Ea Yiêng"
[upstream]
base_url = "{base_url}"
client_id = "ops"
client_secret = "ops-secret"
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
"""


def row(n: int, name: str | None, id_number: str | None, **extra: Any) -> dict[str, Any]:
    values = {
        "id": n,
        "so_ho_so": f"{AGENCY}-210311-{n:04d}",
        "thu_tu_id": 1,
        "nguoi_nop": name,
        "so_giay_to": id_number,
        "dien_thoai": "0905 123 456",
        "ngay_nhan": "11/03/2021 08:00",
        "trang_thai": "đang xử lý",
        "ngay_cap_nhat": datetime(2021, 3, 11, 9, n),  # noqa: DTZ001 - naive local, as the source
    }
    values.update(extra)
    return values


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    engine = create_engine(f"sqlite:///{tmp_path / 'motcua.db'}")
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t.linh_vuc).values(ma_linh_vuc="HT", ten_linh_vuc="Hộ tịch"))
        conn.execute(
            insert(t.thu_tuc).values(id=1, ma_tthc="1.001193", ten_tthc="Đăng ký khai sinh")
        )
        conn.execute(
            insert(t.ho_so),
            [
                row(1, "Y Niê Kdăm", "066 201 123 456"),
                row(2, "Y NIE KDAM", "066.201.123.456"),  # same person, other case/accents
                row(3, "Y Niê Ksor", "066201123456"),  # same ID, another name: a finding
                row(4, "Blưn", "B1234567"),  # a passport number: unusable ID
                row(5, "Hơ", None, dien_thoai="12345"),  # unusable phone
                row(6, "H'Hen Niê", None, ngay_nhan="31/02/2021"),  # quarantined
                row(7, "Lê Hoà", None, trang_thai="chờ ký"),  # quarantined
            ],
        )
    engine.dispose()
    settings = SimulatorSettings(clients={"ops": ClientSpec("ops-secret", (AGENCY,))})
    with running_simulator(settings) as sim:
        path = tmp_path / "igate-sync.toml"
        path.write_text(CONFIG.format(agency=AGENCY, base_url=sim.base_url), encoding="utf-8")
        yield path


def cli(config: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "igate_sync", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--format" in args else done.stdout


def test_quarantine_list_gives_reason_field_and_shape_never_the_value(config: Path) -> None:
    cli(config, "sync")
    rows = cli(config, "quarantine", "list", "--format", "json")
    assert {(r["source_key"], r["reason"], r["field"], r["value_shape"]) for r in rows} == {
        ("6", "invalid_received_time", "ngay_nhan", "99/99/9999"),
        ("7", "unknown_status", "trang_thai", "aaa aa"),
    }
    only = cli(config, "quarantine", "list", "--reason", "unknown_status", "--format", "json")
    assert [r["source_key"] for r in only] == ["7"]
    assert "Hoà" not in json.dumps(rows, ensure_ascii=False)


def test_findings_list_unusable_ids_phones_and_one_id_under_two_names(config: Path) -> None:
    cli(config, "sync")
    rows = cli(config, "findings", "--format", "json")
    simple = {(r["code"], r["source_key"]) for r in rows if "group" not in r}
    assert simple == {("unusable_id", "4"), ("unusable_phone", "5")}
    same = [r for r in rows if r["code"] == "same_id_different_names"]
    assert {r["source_key"]: r["name"] for r in same} == {
        "1": "Y Niê Kdăm",
        "2": "Y NIE KDAM",
        "3": "Y Niê Ksor",
    }
    assert {r["group"] for r in same} == {1}


def test_a_corrected_row_leaves_quarantine_and_is_pushed(config: Path) -> None:
    cli(config, "sync")
    engine = create_engine(f"sqlite:///{config.parent / 'motcua.db'}")
    with engine.begin() as conn:
        conn.execute(
            t.ho_so.update()
            .where(t.ho_so.c.id == 7)
            .values(trang_thai="đã giải quyết", ngay_cap_nhat=datetime(2021, 3, 12, 8, 0))  # noqa: DTZ001
        )
    engine.dispose()
    cli(config, "sync")
    rows = cli(config, "quarantine", "list", "--format", "json")
    assert [r["source_key"] for r in rows] == ["6"]
