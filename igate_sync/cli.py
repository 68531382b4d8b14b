"""Command line and composition root: reads config, configures logging, wires, runs.

Exit codes: 0 done; 1 the gateway (or a source) stayed unavailable and work remains queued,
nothing lost; 2 configuration or usage error, with a message naming the key or argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table

from igate_sync.config import CONFIG_ENV, Settings, load_settings
from igate_sync.errors import IgateSyncError, StateLocked, StopError, TransientError
from igate_sync.logs import configure_logging

app = typer.Typer(
    name="igate-sync",
    help="Sync commune one-stop dossiers to the provincial iGate gateway, and prove it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class _State:
    config: Path | None = None
    log_level: str | None = None


_state = _State()


@app.callback()
def _main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", envvar=CONFIG_ENV, help="Configuration file (TOML)."),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="DEBUG, INFO, WARNING or ERROR (default: [logging] level, or WARNING)."),
    ] = None,
) -> None:
    """igate-sync: commune dossiers to the provincial gateway."""
    _state.config = config
    _state.log_level = log_level
    configure_logging(level=log_level or "WARNING")


def _settings() -> Settings:
    if _state.config is None:
        raise typer.BadParameter(f"give --config FILE or set {CONFIG_ENV}", param_hint="--config")
    settings = load_settings(_state.config)
    logs = settings.logging
    configure_logging(
        level=_state.log_level or logs.level,
        file=Path(logs.file) if logs.file else None,
        max_mb=logs.max_mb,
        backups=logs.backups,
    )
    return settings


@app.command()
def check() -> None:
    """Validate the configuration and reach every database and the gateway.

    Example: igate-sync --config /etc/igate-sync/igate-sync.toml check
    """
    from igate_sync.bootstrap import check_all

    settings = _settings()
    for line in check_all(settings):
        out.print(line)


@app.command()
def sync(
    source: Annotated[str | None, typer.Option(help="Only this source (by name).")] = None,
    scan: Annotated[bool, typer.Option(help="Also re-read every row (content scan).")] = False,
) -> None:
    """Run one full cycle: pull everything new, push until drained or the gateway stops us.

    Example: igate-sync --config igate-sync.toml sync --source motcua
    """
    from datetime import timedelta

    from igate_sync.bootstrap import wired
    from igate_sync.pipeline import run_cycle

    settings = _settings()
    with wired(settings, source) as w:
        interval = timedelta(0) if scan else w.scan_interval
        result = run_cycle(w.sync, w.adapters, scan_interval=interval)
    _print_summary(result.summary())
    if result.upstream_unavailable:
        err.print("gateway unavailable: work stays queued; run sync again later")
        raise typer.Exit(1)
    if result.outcome == "incomplete":
        err.print("the gateway failed some batches: they stay queued; run sync again later")
        raise typer.Exit(1)


@app.command()
def run() -> None:
    """Run the daemon: each source on its schedule, the push loop, until SIGTERM/SIGINT.

    Exits 0 after a clean stop; exit 2 when another daemon holds the state database.
    Example: igate-sync --config /etc/igate-sync/igate-sync.toml run
    """
    from igate_sync.daemon import run_daemon

    raise typer.Exit(run_daemon(_settings()))


@app.command()
def status(
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Show queue depth by state, the oldest unconfirmed item, last runs and quarantine.

    Example: igate-sync --config igate-sync.toml status --format json
    """
    from igate_sync.bootstrap import open_state, utc_now
    from igate_sync.store.status import read_status

    if format not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    engine = open_state(_settings())
    try:
        report = read_status(engine, utc_now()).as_dict()
    finally:
        engine.dispose()
    if format == "json":
        out.print_json(json.dumps(report))
    else:
        _print_status(report)


@app.command()
def resync(
    dossier: Annotated[
        list[str] | None, typer.Option("--dossier", help="A dossier code (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Received or changed at/after (YYYY-MM-DD[ HH:MM]).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="... and before this (local time).")] = None,
    quarantined: Annotated[bool, typer.Option(help="Every quarantined row.")] = False,
    rejected: Annotated[bool, typer.Option(help="Every dossier the gateway rejected.")] = False,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    dry_run: Annotated[
        bool, typer.Option(help="List what would be sent again; change nothing.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept with the request).")] = "",
    by: Annotated[str | None, typer.Option(help="Who asks (default: the login name).")] = None,
) -> None:
    """Send dossiers again: re-read them at the source and enqueue their current versions.

    With the daemon running, the request is stored and the daemon carries it out at once;
    without it, it runs here. Every request is recorded with who, when and why.
    Example: igate-sync --config igate-sync.toml resync --dossier 000.24.24.H16-210311-0001
             --reason "citizen says it is not on the portal"
    """
    import getpass

    from igate_sync.bootstrap import run_resync
    from igate_sync.store.resync import ResyncSpec

    spec = ResyncSpec(
        dossiers=tuple(dossier or ()),
        since=_wire_time(since, "--since"),
        until=_wire_time(until, "--until"),
        quarantined=quarantined,
        rejected=rejected,
        source=source,
    )
    if not (spec.dossiers or spec.since or spec.until or quarantined or rejected):
        raise typer.BadParameter(
            "say what to resync: --dossier, --since/--until, --quarantined or --rejected"
        )
    result = run_resync(
        _settings(), spec, dry_run=dry_run, requested_by=by or getpass.getuser(), reason=reason
    )
    out.print_json(json.dumps(result, ensure_ascii=False))


def _wire_time(value: str | None, option: str) -> str | None:
    from datetime import datetime

    if value is None:
        return None
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).strftime("%Y%m%d%H%M%S")  # noqa: DTZ007
        except ValueError:
            continue
    raise typer.BadParameter("use YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (local time)", param_hint=option)


@app.command("retry-dead")
def retry_dead() -> None:
    """Give every dead item (one the gateway kept failing alone) another chance.

    Each goes alone in its own batch at the next sync; `status` shows what is dead.
    Example: igate-sync --config igate-sync.toml retry-dead
    """
    import getpass

    from igate_sync.bootstrap import open_state, record, utc_now
    from igate_sync.store.outbox import Outbox

    settings = _settings()
    engine = open_state(settings)
    try:
        revived = Outbox(engine, settings.agency.code).retry_dead(utc_now())
        record(settings, engine, "retry_dead", getpass.getuser(), {"revived": revived})
    finally:
        engine.dispose()
    out.print(f"{revived} dead item(s) queued again; they go out at the next sync")


audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's whole hash chain and signatures; name the first broken entry.

    Exit 0 intact, 1 broken, 2 when the signing key is missing or unusable.
    Example: igate-sync --config igate-sync.toml audit verify
    """
    from igate_sync.bootstrap import audit_is_empty, audit_key_path, open_state
    from igate_sync.store.audit import verify_command

    settings = _settings()
    engine = open_state(settings)
    key_path = audit_key_path(settings, _state.config)
    try:
        if not key_path.exists() and audit_is_empty(engine):
            out.print("the audit log is empty: nothing has been recorded yet")
            raise typer.Exit(0)
        code, message = verify_command(engine, key_path)
    finally:
        engine.dispose()
    out.print(message)
    raise typer.Exit(code)


quarantine_app = typer.Typer(help="Rows kept aside: what, why, since when.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List quarantined rows: source key, reason, field, value shape, first and last seen.

    A row leaves quarantine by itself once it is corrected at the source.
    Example: igate-sync --config igate-sync.toml quarantine list --reason unknown_status
    """
    from igate_sync.bootstrap import open_state
    from igate_sync.store.listings import quarantine_rows

    _check_format(format)
    engine = open_state(_settings())
    try:
        _emit(list(quarantine_rows(engine, reason=reason, source=source)), format, "quarantine")
    finally:
        engine.dispose()


@app.command()
def findings(
    code: Annotated[str | None, typer.Option(help="Only this finding code.")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List data-quality findings (never blocking): unusable IDs and phones, unreadable
    events, and one ID number under differently spelled names (names read from the source).

    Example: igate-sync --config igate-sync.toml findings --format json
    """
    from igate_sync.bootstrap import open_state, same_id_findings
    from igate_sync.store.listings import finding_rows

    _check_format(format)
    settings = _settings()
    engine = open_state(settings)
    try:
        rows = list(finding_rows(engine, code=code))
        if code in (None, "same_id_different_names"):
            rows += same_id_findings(settings, engine)
    finally:
        engine.dispose()
    _emit(rows, format, "findings")


def _check_format(format: str) -> None:
    if format not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")


def _emit(rows: list[dict[str, Any]], format: str, title: str) -> None:
    if format == "json":
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{title}: {len(rows)}")
    columns = list(rows[0]) if rows else ["(none)"]
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) if row[c] is not None else "" for c in columns))
    out.print(table)


REPORT_FORMATS = ("table", "json", "csv", "html")


@app.command()
def reconcile(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Indicators: received at/after (YYYY-MM-DD[ HH:MM], local time)."),
    ] = None,
    until: Annotated[str | None, typer.Option(help="... and before this.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json, csv or html")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
    repair: Annotated[
        bool,
        typer.Option(help="Send missing_upstream and stale_upstream dossiers again, then push."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="With --repair: count what would be sent again; change nothing.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept with the repair's record).")] = "",
    by: Annotated[str | None, typer.Option(help="Who asks (default: the login name).")] = None,
) -> None:
    """Compare every dossier of the sources, the state store and the gateway's own listing;
    store the report (counts per class, synced ratio, indicators, what is not in sync).

    With --repair the report's missing and stale dossiers are enqueued again, recorded like
    an operator resync, and pushed; the report printed is the reconciliation after that.
    Example: igate-sync --config igate-sync.toml reconcile --since 2026-01-01 --format html
             --output report.html
    """
    import getpass

    from igate_sync.bootstrap import ReconcileRequest, run_reconcile, stored_report

    _check_report_format(format)
    if dry_run and not repair:
        raise typer.BadParameter("--dry-run goes with --repair", param_hint="--dry-run")
    request = ReconcileRequest(
        source=source,
        since=_wire_time(since, "--since"),
        until=_wire_time(until, "--until"),
        repair=repair,
        dry_run=dry_run,
        requested_by=by or getpass.getuser(),
        reason=reason,
    )
    settings = _settings()
    body = run_reconcile(settings, request)
    daily = stored_report(settings, body["id"])[1] if format == "html" else []
    _write_report(body, format, output, daily)


@app.command()
def report(
    last: Annotated[bool, typer.Option("--last", help="Show the latest report.")] = False,
    report_id: Annotated[int | None, typer.Option("--id", help="Show this report.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json, csv or html")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write it to this file.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many reports to list.")] = 30,
) -> None:
    """List the stored reconciliation reports, or show one (--last, --id N).

    The html page is self-contained (no external asset), with the daily synced ratio chart:
    open it or e-mail it.
    Example: igate-sync --config igate-sync.toml report --last --format html --output r.html
    """
    from igate_sync.bootstrap import stored_report, stored_reports

    _check_report_format(format)
    if last and report_id is not None:
        raise typer.BadParameter("give --last or --id, not both", param_hint="--id")
    settings = _settings()
    if not last and report_id is None:
        if format == "html":
            raise typer.BadParameter("a listing is table, json or csv", param_hint="--format")
        _write_listing(stored_reports(settings, limit), format, output)
        return
    body, daily = stored_report(settings, report_id)
    _write_report(body, format, output, daily)


def _check_report_format(format: str) -> None:
    if format not in REPORT_FORMATS:
        raise typer.BadParameter("use table, json, csv or html", param_hint="--format")


def _write_report(
    body: dict[str, Any], format: str, output: Path | None, daily: list[tuple[str, float]]
) -> None:
    from igate_sync import report_render as render

    if format == "table":
        _write_renderables(render.render_table(body), output)
        return
    text = {
        "json": lambda: render.render_json(body) + "\n",
        "csv": lambda: render.render_csv(body),
        "html": lambda: render.render_html(body, daily),
    }[format]()
    _write_text(text, output)


def _write_listing(rows: list[dict[str, Any]], format: str, output: Path | None) -> None:
    import csv
    import io

    if format == "table":
        table = Table(title=f"reports: {len(rows)}")
        for column in ("id", "generated_at", "period (NgayTiepNhan)", "source"):
            table.add_column(column)
        table.add_column("synced_ratio", justify="right")
        for r in rows:
            period = f"{_day(r['period_since'])} → {_day(r['period_until'])}"
            table.add_row(
                str(r["id"]),
                r["generated_at"],
                "all" if period == "… → …" else period,
                r["source_filter"] or "all",
                f"{r['synced_ratio']:.4f}",
            )
        _write_renderables([table], output)
    elif format == "json":
        _write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", output)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
        _write_text(buffer.getvalue(), output)


def _day(wire: str | None) -> str:
    if wire is None:
        return "…"
    day = f"{wire[:4]}-{wire[4:6]}-{wire[6:8]}"
    return day if wire.endswith("000000") else f"{day} {wire[8:10]}:{wire[10:12]}"


def _write_renderables(renderables: list[Any], output: Path | None) -> None:
    if output is None:
        for renderable in renderables:
            out.print(renderable)
        return
    with output.open("w", encoding="utf-8") as handle:
        console = Console(file=handle, width=120, highlight=False)
        for renderable in renderables:
            console.print(renderable)
    err.print(f"written to {output}")


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"written to {output}")


@app.command("simulate-upstream")
def simulate_upstream(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8080,
    client_id: Annotated[str, typer.Option(help="Accepted client id.")] = "demo",
    client_secret: Annotated[
        str, typer.Option(envvar="IGATE_SIM_CLIENT_SECRET", help="Accepted client secret.")
    ] = "demo-secret",  # noqa: S107 - the simulator's own demo credential
    agency: Annotated[
        list[str], typer.Option(help="Agency code the client may push for (repeatable).")
    ] = ["000.24.24.H16"],  # noqa: B006 - typer reads the default, never mutates it
    store: Annotated[
        Path | None, typer.Option(help="Keep the gateway's store in this SQLite file.")
    ] = None,
    token_ttl: Annotated[int, typer.Option(help="Token lifetime, seconds.")] = 3600,
    faults: Annotated[
        Path | None,
        typer.Option(help="Fault plan (JSON): 429/5xx, slow, reset, lost_reply, token expiry."),
    ] = None,
) -> None:
    """Serve the gateway simulator (lgsp-rest profile) on 127.0.0.1.

    A fault plan is a JSON object {"seed": 1, "token_expiry_s": null, "rules": [{"kind":
    "429", "probability": 0.1, "retry_after_s": 2}, {"kind": "lost_reply", "at": [3, 7]}]};
    the same JSON can be POSTed to /_sim/faults while it runs.
    Example: igate-sync simulate-upstream --port 8080 --client-id ea-yieng --store gw.db
    """
    from igate_sync.upstream.simulator.faults import FaultPlan, FaultPlanError
    from igate_sync.upstream.simulator.server import serve
    from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings
    from igate_sync.upstream.simulator.store import SimulatorStore

    plan = FaultPlan()
    if faults is not None:
        try:
            plan = FaultPlan.from_json(json.loads(faults.read_text(encoding="utf-8")))
        except (OSError, ValueError, FaultPlanError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--faults") from None
    settings = SimulatorSettings(
        clients={client_id: ClientSpec(secret=client_secret, agencies=tuple(agency))},
        token_ttl_s=token_ttl,
        faults=plan,
    )
    err.print(f"gateway simulator on http://127.0.0.1:{port} (Ctrl-C to stop)")
    serve(settings, SimulatorStore(str(store) if store else None), "127.0.0.1", port)


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its files.")] = Path(
        "igate-demo"
    ),
    dossiers: Annotated[int, typer.Option(min=1, help="Sample dossiers to generate.")] = 3000,
    seed: Annotated[int, typer.Option(help="Seed of the sample data.")] = 2021,
) -> None:
    """Sample commune + built-in gateway simulator + one full sync, no configuration.

    Example: igate-sync demo --dossiers 5000
    """
    from igate_sync.demo import run_demo

    report = run_demo(workdir, dossiers=dossiers, seed=seed, console=out)
    if not report.all_confirmed:
        raise typer.Exit(1)


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"sync run {summary['run_id']}")
    for column in ("source", "read", "enqueued", "unchanged", "drafts", "deleted", "quarantined"):
        table.add_column(column, justify="right" if column != "source" else "left")
    for name, c in summary["sources"].items():
        quarantined = sum(c["quarantined"].values())
        table.add_row(
            name,
            *(str(c[k]) for k in ("read", "enqueued", "unchanged", "drafts", "deleted")),
            str(quarantined),
        )
    out.print(table)
    pushed = summary["pushed"]
    out.print(f"pushed in {pushed['batches']} batches: dossiers {pushed['dossiers']}")
    out.print(f"events {pushed['events']}")


def _print_status(report: dict[str, Any]) -> None:
    table = Table(title="queue")
    table.add_column("kind")
    table.add_column("state")
    table.add_column("count", justify="right")
    for kind, states in report["queue"].items():
        for state, n in sorted(states.items()):
            table.add_row(kind, state, str(n))
    out.print(table)
    age = report["oldest_unconfirmed_age_s"]
    out.print(f"oldest unconfirmed: {'none' if age is None else f'{age:.0f} s'}")
    out.print(f"confirmed upstream: {report['confirmed_upstream']}")
    out.print(f"gateway circuit: {report['circuit']}")
    out.print(f"quarantine: {report['quarantine_total']} {report['quarantine']}")
    if report["upstream_hold_until"]:
        out.print(f"gateway asked us to wait until {report['upstream_hold_until']}")
    for run in report["last_runs"]:
        out.print(f"last run of {run['source']}: {run['outcome']} at {run['finished_at']}")


# typer bundles its own copy of click; its usage errors do not derive from click's.
_USAGE_ERRORS: tuple[type[Any], ...] = tuple(
    {
        click.ClickException,
        *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
    }
)


def main() -> None:
    """Console entry point: map our errors to exit codes and one clear line."""
    try:
        code = app(standalone_mode=False)  # returns the code of typer.Exit in this mode
        if isinstance(code, int) and code:
            raise SystemExit(code)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except (StopError, StateLocked) as exc:
        err.print(f"error: {exc}")
        raise SystemExit(2) from None
    except TransientError as exc:
        err.print(f"unavailable: {exc}")
        raise SystemExit(1) from None
    except IgateSyncError as exc:
        err.print(f"error: {exc}")
        raise SystemExit(2) from None
    except _USAGE_ERRORS as exc:
        exc.show()
        raise SystemExit(2) from None
    except typer.Abort:
        raise SystemExit(130) from None


__all__ = ["app", "main"]
