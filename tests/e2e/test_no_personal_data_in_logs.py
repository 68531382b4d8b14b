"""Decree 13/2023: sync a register full of personal data at DEBUG level, with faults, and
scan every log line the process wrote (stderr and the rotating log file) for any name, ID
number, phone or address of the source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.normalize import clean_text
from igate_sync.sample.mot_cua import create_register, generate
from igate_sync.upstream.simulator.faults import FaultPlan, FaultRule
from igate_sync.upstream.simulator.server import running_simulator
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings

AGENCY = "000.24.24.H16"
CONFIG = """
[agency]
code = "{agency}"
name = "UBND xã Ea Yiêng"
[upstream]
base_url = "{base_url}"
client_id = "logs"
client_secret = "logs-secret"
timeout_s = 2
max_attempts = 3
[logging]
level = "DEBUG"
file = "igate-sync.log"
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
"""


def personal_values(db: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{db}")
    values: set[str] = set()
    with engine.connect() as conn:
        for row in conn.execute(
            select(
                t.ho_so.c.nguoi_nop, t.ho_so.c.so_giay_to, t.ho_so.c.dien_thoai, t.ho_so.c.dia_chi
            )
        ):
            name, id_number, phone, address = (clean_text(v) if v else None for v in row)
            if name and len(name) >= 4:
                values.add(name)
            for number in (id_number, phone):
                digits = re.sub(r"\D", "", number or "")
                if len(digits) >= 9:
                    values.add(digits[-9:])  # any 9-digit tail of an ID or a phone
            if address:
                values.add(address)
    engine.dispose()
    return values


def test_no_name_id_phone_or_address_reaches_any_log_line(tmp_path: Path) -> None:
    db = tmp_path / "motcua.db"
    engine = create_engine(f"sqlite:///{db}")
    create_register(engine)
    generate(engine, count=300, seed=13, agency_code=AGENCY)
    engine.dispose()
    faults = FaultPlan(rules=(FaultRule(kind="500", at=(2,)), FaultRule(kind="reset", at=(4,))))
    settings = SimulatorSettings(
        clients={"logs": ClientSpec("logs-secret", (AGENCY,))}, faults=faults
    )
    with running_simulator(settings) as sim:
        config = tmp_path / "igate-sync.toml"
        config.write_text(CONFIG.format(agency=AGENCY, base_url=sim.base_url), encoding="utf-8")
        outputs = []
        for args in (["sync"], ["sync", "--scan"], ["status"], ["quarantine", "list"]):
            done = subprocess.run(
                [sys.executable, "-m", "igate_sync", "--config", str(config), *args],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stderr)
    log_file = (tmp_path / "igate-sync.log").read_text(encoding="utf-8")
    assert '"sync cycle"' in log_file  # the file really holds the run's log lines
    text = "\n".join(outputs) + log_file
    # Numbers as they may be written: digit runs with spaces, dots or dashes inside.
    runs = {re.sub(r"\D", "", r) for r in re.findall(r"\d[\d .\-]{7,}\d", text)}
    leaks = [
        v
        for v in personal_values(db)
        if (any(v in run for run in runs) if v.isdigit() else v in text)
    ]
    assert not leaks, (
        f"{len(leaks)} personal values in the logs, e.g. shapes {[len(v) for v in leaks[:3]]}"
    )
