"""``igate-sync demo``: a sample commune, the built-in gateway simulator, one full sync.

Part of the composition root (only the CLI calls it). It writes into ``workdir``: the sample
register ``motcua.db``, the configuration ``igate-sync.toml`` it used (reusable with
``status`` afterwards) and the state database ``state.db``. Every run starts afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine

from igate_sync.bootstrap import utc_now, wired
from igate_sync.config import load_settings
from igate_sync.pipeline import CycleResult, run_cycle
from igate_sync.reconcile import Report, reconcile
from igate_sync.sample.mot_cua import SampleStats, create_register, generate
from igate_sync.store.status import read_status
from igate_sync.upstream.simulator.server import running_simulator
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings

AGENCY_CODE = "000.24.24.H16"
AGENCY_NAME = "UBND xã Ea Yiêng"
CLIENT_ID = "ea-yieng"
CLIENT_SECRET = "demo-only-secret"  # noqa: S105 - the throwaway simulator's credential

CONFIG = """\
# Written by `igate-sync demo`: the sample commune against the built-in simulator.
[agency]
code = "{code}"
name = "{name}"

[state]
url = "sqlite:///state.db"

[upstream]
profile = "lgsp-rest"
base_url = "{base_url}"
client_id = "{client_id}"
client_secret = "{secret}"
timeout_s = 10
batch_size = 100

[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
schedule = "*/5 * * * *"
"""


@dataclass(frozen=True)
class DemoReport:
    """What the demo did and whether the gateway holds every pushable dossier."""

    sample: SampleStats
    cycle: CycleResult
    reconciliation: Report
    simulator: dict[str, Any]

    @property
    def all_confirmed(self) -> bool:
        """Every pushable dossier is on the gateway in its latest version, once."""
        counts = self.reconciliation.counts
        return (
            counts["in_sync"] > 0
            and self.reconciliation.synced_ratio == 1.0
            and self.simulator["dossiers"] == counts["in_sync"]
            and self.simulator["results"].get("dossier", {}).get("created") == counts["in_sync"]
        )


def run_demo(workdir: Path, *, dossiers: int, seed: int, console: Console) -> DemoReport:
    """Build the sample, sync it into the simulator, reconcile, print the summary."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("motcua.db", "state.db", "state.db-wal", "state.db-shm", "igate-sync.toml"):
        (workdir / name).unlink(missing_ok=True)
    console.print(f"generating {dossiers} sample dossiers in {workdir / 'motcua.db'} ...")
    sample = _make_sample(workdir / "motcua.db", dossiers, seed)
    sim = SimulatorSettings(
        clients={CLIENT_ID: ClientSpec(secret=CLIENT_SECRET, agencies=(AGENCY_CODE,))}
    )
    with running_simulator(sim) as gateway:
        console.print(f"gateway simulator listening on {gateway.base_url}")
        config = workdir / "igate-sync.toml"
        config.write_text(_config_text(gateway.base_url), encoding="utf-8")
        settings = load_settings(config, environ={})
        with wired(settings) as w:
            cycle = run_cycle(w.sync, w.adapters)
            reconciliation = reconcile(
                w.sync.engine, w.sync.gateway, AGENCY_CODE, w.adapters, now=utc_now()
            )
            status = read_status(w.sync.engine, utc_now())
        held = gateway.store.snapshot()
    report = DemoReport(sample, cycle, reconciliation, held)
    _print(console, report, status.quarantine)
    return report


def _make_sample(path: Path, count: int, seed: int) -> SampleStats:
    engine = create_engine(f"sqlite:///{path}")
    try:
        create_register(engine)
        return generate(engine, count=count, seed=seed, agency_code=AGENCY_CODE)
    finally:
        engine.dispose()


def _config_text(base_url: str) -> str:
    return CONFIG.format(
        code=AGENCY_CODE,
        name=AGENCY_NAME,
        base_url=base_url,
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
    )


def _print(console: Console, report: DemoReport, quarantine: dict[str, int]) -> None:
    pulled = report.cycle.pulled["motcua"]
    pushed = report.cycle.pushed
    table = Table(title="igate-sync demo: sample commune → gateway simulator")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [
        ("source rows read", pulled.read),
        ("dossier versions pushed", sum(pushed.dossiers.values())),
        ("  confirmed (created/updated/unchanged)", _confirmed(pushed.dossiers)),
        ("  rejected by the gateway", pushed.dossiers.get("rejected", 0)),
        ("progress events confirmed", _confirmed(pushed.events)),
        ("drafts skipped", pulled.drafts),
        ("deleted at the source (never pushed)", pulled.deleted),
        ("quarantined", sum(quarantine.values())),
    ]
    rows += [(f"  {reason}", n) for reason, n in sorted(quarantine.items())]
    for what, n in rows:
        table.add_row(what, str(n))
    console.print(table)
    rec = report.reconciliation
    console.print(
        "reconciliation: "
        + ", ".join(f"{k} {v}" for k, v in rec.counts.items())
        + f"; synced ratio {rec.synced_ratio:.4f}"
    )
    results = report.simulator["results"]
    console.print(
        f"simulator: holds {report.simulator['dossiers']} dossiers and "
        f"{report.simulator['events']} events; results {results}"
    )
    verdict = "every pushable dossier is confirmed on the gateway in its latest version"
    console.print(verdict if report.all_confirmed else "NOT every pushable dossier is confirmed")


def _confirmed(outcomes: dict[str, int]) -> int:
    return sum(outcomes.get(k, 0) for k in ("created", "updated", "unchanged"))
