"""The composition root's wiring: engines, adapters and clients built from settings.

Only ``cli`` calls this module; nothing here runs at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, exc

from igate_sync.adapters.base import Agency, SourceAdapter
from igate_sync.adapters.ho_tich import HoTichAdapter
from igate_sync.adapters.ho_tich_mapping import Procedure
from igate_sync.adapters.mapping import MappingAdapter
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.config import Settings, SourceSettings
from igate_sync.errors import ConfigError, TransientError, UpstreamAuthError, UpstreamForbidden
from igate_sync.pipeline import OutboxCap, Sync
from igate_sync.store.control import extend_hold
from igate_sync.store.engine import create_state_engine
from igate_sync.store.migrate import upgrade
from igate_sync.store.outbox import Outbox
from igate_sync.store.resync import ResyncSpec
from igate_sync.upstream.base import Gateway
from igate_sync.upstream.dvcqg import DvcqgAdapterClient
from igate_sync.upstream.lgsp_rest import LgspRestClient
from igate_sync.upstream.retry import RetryPolicy

if TYPE_CHECKING:
    from igate_sync.reconcile import Repair, Report
    from igate_sync.store.audit import AuditLog


def utc_now() -> datetime:
    """The wall clock, aware."""
    return datetime.now(UTC)


def open_state(settings: Settings) -> Engine:
    """The state database, migrated to the newest schema."""
    try:
        engine = create_state_engine(settings.state.url)
        upgrade(engine)
    except (exc.ArgumentError, exc.NoSuchModuleError) as err:
        raise ConfigError("state.url", f"not a usable database URL ({err})") from None
    except exc.OperationalError as err:
        raise ConfigError("state.url", f"cannot open the state database ({err.orig})") from None
    return engine


def build_adapter(settings: Settings, index: int) -> SourceAdapter:
    """The adapter for one configured source."""
    source: SourceSettings = settings.sources[index]
    agency = Agency(settings.agency.code, settings.agency.name)
    try:
        engine = create_engine(source.url, pool_pre_ping=True)
    except (exc.ArgumentError, exc.NoSuchModuleError) as err:
        raise ConfigError(f"sources[{index}].url", f"not a usable database URL ({err})") from None
    if source.kind == "mot_cua_v1":
        return MotCuaAdapter(source.name, engine, agency)
    if source.kind == "ho_tich_v1":
        procedures = {
            loai: Procedure(p.ma_tthc, p.ten_tthc, p.ma_linh_vuc, p.ten_linh_vuc, p.muc_do)
            for loai, p in source.procedures.items()
        }
        return HoTichAdapter(source.name, engine, agency, procedures)
    if source.kind == "mapping" and source.mapping is not None:
        return MappingAdapter(source.name, engine, agency, source.mapping)
    raise ConfigError(f"sources[{index}].kind", f"{source.kind!r} is not implemented yet")


def build_gateway(
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
    on_deadline: Callable[[datetime], None] | None = None,
) -> Gateway:
    """The upstream client for the configured profile."""
    up = settings.upstream
    policy = RetryPolicy(max_attempts=up.max_attempts, retries_per_minute=up.retries_per_minute)
    secret = up.client_secret.get_secret_value()
    if up.profile == "dvcqg-adapter":
        return DvcqgAdapterClient(
            up.base_url,
            up.client_id,
            secret,
            up.dstcode or "",
            timeout_s=up.timeout_s,
            policy=policy,
            clock=clock,
            on_deadline=on_deadline,
        )
    return LgspRestClient(
        up.base_url,
        up.client_id,
        secret,
        timeout_s=up.timeout_s,
        policy=policy,
        clock=clock,
        on_deadline=on_deadline,
    )


@dataclass(frozen=True)
class Wired:
    """A ready-to-run sync: the state, the gateway and the selected sources."""

    sync: Sync
    adapters: list[SourceAdapter]
    scan_interval: timedelta


@contextmanager
def wired(settings: Settings, source: str | None = None) -> Iterator[Wired]:
    """Build everything a cycle needs, and release it afterwards."""
    names = [s.name for s in settings.sources]
    if source is not None and source not in names:
        raise ConfigError("--source", f"no source named {source!r} (have: {', '.join(names)})")
    engine = open_state(settings)
    adapters = [
        build_adapter(settings, i)
        for i, s in enumerate(settings.sources)
        if source in (None, s.name)
    ]
    gateway = build_gateway(
        settings, on_deadline=lambda until: extend_hold(engine, until, utc_now())
    )
    sync = Sync(
        engine=engine,
        outbox=Outbox(engine, settings.agency.code),
        gateway=gateway,
        clock=utc_now,
        batch_size=settings.upstream.batch_size,
        event_batch_size=settings.upstream.event_batch_size,
        chunk_rows=min(s.chunk_rows for s in settings.sources),
        hold=timedelta(seconds=settings.upstream.hold_s),
        max_hold=timedelta(seconds=settings.upstream.max_hold_s),
        cap=OutboxCap(settings.outbox.max_rows, int(settings.outbox.max_mb * 1_000_000)),
        overlap=engine.dialect.name == "sqlite",
    )
    interval = timedelta(seconds=min(s.scan_interval_s for s in settings.sources))
    try:
        yield Wired(sync, adapters, interval)
    finally:
        gateway.close()
        for adapter in adapters:
            adapter.close()
        engine.dispose()


def check_all(settings: Settings) -> Iterator[str]:
    """Reach the state database, every source and the gateway; say what a sync would do.

    Raises the first error met (ConfigError, SourceUnavailable, an upstream error), which the
    CLI turns into one line and exit code 2.
    """
    engine = open_state(settings)
    engine.dispose()
    yield f"state database: ok ({_safe_url(settings.state.url)})"
    for index, source in enumerate(settings.sources):
        adapter = build_adapter(settings, index)
        try:
            adapter.ping()
        except TransientError as err:
            raise ConfigError(
                f"sources[{index}].url", f"cannot reach the database: {err}"
            ) from None
        except ConfigError as err:  # a mapping query the database refuses
            message = str(err).split(": ", 1)[-1]
            raise ConfigError(f"sources[{index}].{err.key}", message) from None
        finally:
            adapter.close()
        yield f"source {source.name} ({source.kind}): ok, schedule {source.schedule!r}"
    gateway = build_gateway(settings)
    try:
        gateway.get_dossier(f"{settings.agency.code}-000000-0000")
    except TransientError as err:
        raise ConfigError("upstream.base_url", f"cannot reach the gateway: {err}") from None
    except UpstreamAuthError:
        raise ConfigError(
            "upstream.client_secret", "the gateway refused client_id/client_secret"
        ) from None
    except UpstreamForbidden:
        raise ConfigError("agency.code", "the gateway does not allow this agency code") from None
    finally:
        gateway.close()
    up = settings.upstream
    yield f"gateway {up.base_url} ({up.profile}): ok, credentials accepted"
    yield (
        f"a sync pushes dossiers of agency {settings.agency.code} in batches of "
        f"{settings.upstream.batch_size} from {len(settings.sources)} source(s)"
    )


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def same_id_findings(settings: Settings, engine: Engine) -> list[dict[str, Any]]:
    """One finding row per dossier sharing an ID number under another spelling of the name.

    The names are read from the sources now (the state database keeps only digests), so
    that the officer sees both spellings on their own screen; they never reach a log.
    """
    from igate_sync.store.identities import same_id_groups

    groups = same_id_groups(engine)
    wanted: dict[str, list[str]] = {}
    for group in groups:
        for source, key, _ in group.rows:
            wanted.setdefault(source, []).append(key)
    names = {source: _names_at_source(settings, source, keys) for source, keys in wanted.items()}
    return [
        {
            "code": "same_id_different_names",
            "group": n,
            "source": source,
            "source_key": key,
            "ma_ho_so": ma_ho_so,
            "name": names[source].get(key, "(row changed since)"),
        }
        for n, group in enumerate(groups, start=1)
        for source, key, ma_ho_so in group.rows
    ]


def _names_at_source(settings: Settings, source: str, keys: list[str]) -> dict[str, str]:
    index = next((i for i, s in enumerate(settings.sources) if s.name == source), None)
    if index is None:
        return {}
    adapter = build_adapter(settings, index)
    try:
        records = adapter.read_keys(keys)
    finally:
        adapter.close()
    return {r.source_key: str(r.content["ChuHoSo"]) for r in records if r.content is not None}


RESYNC_WAIT = timedelta(minutes=10)


def run_resync(
    settings: Settings, spec: ResyncSpec, *, dry_run: bool, requested_by: str, reason: str
) -> dict[str, Any]:
    """Hand a resync to the running daemon and wait for it, or carry it out here."""
    import time

    from igate_sync.pipeline import resync
    from igate_sync.store.lease import live_holder
    from igate_sync.store.resync import StoredResync, finish, outcome, submit

    engine = open_state(settings)
    try:
        now = utc_now()
        if live_holder(engine, now) is not None:
            request_id = submit(
                engine, spec, dry_run=dry_run, requested_by=requested_by, reason=reason, now=now
            )
            record(
                settings,
                engine,
                "resync",
                requested_by,
                resync_entry(request_id, spec, dry_run, reason),
            )
            deadline = time.monotonic() + RESYNC_WAIT.total_seconds()
            while time.monotonic() < deadline:
                state, result = outcome(engine, request_id)
                if state in ("done", "failed") and result is not None:
                    return {"carried_out_by": "daemon", **result}
                time.sleep(0.5)  # the daemon polls its request table every second
            return {"id": request_id, "state": "still running in the daemon"}
    finally:
        engine.dispose()
    with wired(settings, spec.source) as w:
        request_id = submit(
            w.sync.engine,
            spec,
            dry_run=dry_run,
            requested_by=requested_by,
            reason=reason,
            now=utc_now(),
            running=True,
        )
        request = StoredResync(request_id, spec, dry_run, requested_by, reason)
        result = resync(w.sync, w.adapters, request)
        finish(w.sync.engine, request_id, result, utc_now())
        entry = resync_entry(request_id, spec, dry_run, reason)
        record(settings, w.sync.engine, "resync", requested_by, entry)
    return {"carried_out_by": "this process", **result}


def resync_entry(request_id: int, spec: ResyncSpec, dry_run: bool, reason: str) -> dict[str, Any]:
    """What the audit log keeps of a resync: codes and counts, the reason only as a digest."""
    import hashlib

    return {
        "request": request_id,
        "dry_run": dry_run,
        "dossiers": len(spec.dossiers),
        "window": bool(spec.since or spec.until),
        "quarantined": spec.quarantined,
        "rejected": spec.rejected,
        "source": spec.source or "",
        "reason_sha256": hashlib.sha256(reason.encode("utf-8")).hexdigest(),
    }


# --- reconciliation and reports ----------------------------------------------------------------


@dataclass(frozen=True)
class ReconcileRequest:
    """What `igate-sync reconcile` asks for; ``since``/``until`` are wire times (local)."""

    source: str | None = None
    since: str | None = None
    until: str | None = None
    repair: bool = False
    dry_run: bool = False
    requested_by: str = ""
    reason: str = ""


def run_reconcile(settings: Settings, request: ReconcileRequest) -> dict[str, Any]:
    """Reconcile and store the report; its JSON with its ``id``.

    With ``repair``, the missing_upstream and stale_upstream dossiers are enqueued again under
    a recorded resync request and pushed, and a second reconciliation (stored too) shows the
    result: that is the report returned. A dry run only counts them.
    """
    from igate_sync.store.resync import finish, submit

    with wired(settings, request.source) as w:
        engine = w.sync.engine
        if not request.repair:
            report = _reconcile_now(settings, w.sync, w.adapters, request)
            return _store_report(engine, report, settings, request.requested_by)
        request_id = submit(
            engine,
            ResyncSpec(source=request.source),
            dry_run=request.dry_run,
            requested_by=request.requested_by,
            reason=request.reason or "reconcile --repair",
            now=utc_now(),
            running=True,
        )
        from igate_sync.reconcile import Repair

        repair = Repair(request_id, dry_run=request.dry_run)
        before = _reconcile_now(settings, w.sync, w.adapters, request, repair)
        before.repair = repair.as_dict()
        stored = _store_report(engine, before, settings, request.requested_by)
        if request.dry_run:
            finish(engine, request_id, before.repair, utc_now())
            return stored
        summary = {**repair.as_dict(), "of_report": stored["id"], **_push_now(w.sync)}
        finish(engine, request_id, summary, utc_now())
        after = _reconcile_now(settings, w.sync, w.adapters, request)
        after.repair = summary
        return _store_report(engine, after, settings, request.requested_by)


def _reconcile_now(
    settings: Settings,
    sync: Sync,
    adapters: list[SourceAdapter],
    request: ReconcileRequest,
    repair: Repair | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> Report:
    from igate_sync.reconcile import Period, reconcile

    others = [s.name for s in settings.sources if s.name not in {a.name for a in adapters}]
    return reconcile(
        sync.engine,
        sync.gateway,
        settings.agency.code,
        adapters,
        now=utc_now(),
        period=Period(request.since, request.until),
        chunk=sync.chunk_rows,
        source_filter=request.source,
        other_sources=others,
        repair=repair,
        stopping=stopping,
    )


def _push_now(sync: Sync) -> dict[str, Any]:
    from igate_sync.errors import UpstreamUnavailable
    from igate_sync.pipeline import push

    try:
        return {"pushed": push(sync).as_dict(), "upstream_unavailable": False}
    except UpstreamUnavailable:
        return {"pushed": None, "upstream_unavailable": True}


def _store_report(
    engine: Engine, report: Report, settings: Settings, actor: str = "daemon"
) -> dict[str, Any]:
    """Store a report and record it in the audit log, with a signed checkpoint."""
    from igate_sync.store.reports import save_report

    body = report.as_dict()
    report_id = save_report(
        engine,
        body,
        generated_at=report.generated_at,
        period=(report.period.since, report.period.until),
        source_filter=report.source_filter,
        synced_ratio=report.synced_ratio,
    )
    entry = {
        "report": report_id,
        "synced_ratio": report.synced_ratio,
        "repair": bool(report.repair),
    }
    record(settings, engine, "report", actor, entry)
    return {"id": report_id, **body}


def reconcile_job(
    settings: Settings, sync: Sync, adapters: list[SourceAdapter]
) -> Callable[[], None]:
    """The daemon's daily reconciliation of every source over the whole history, stored."""

    def job() -> None:
        report = _reconcile_now(
            settings, sync, adapters, ReconcileRequest(), stopping=sync.stopping
        )
        if not report.interrupted:
            _store_report(sync.engine, report, settings)

    return job


def stored_report(
    settings: Settings, report_id: int | None
) -> tuple[dict[str, Any], list[tuple[str, float]]]:
    """A stored report (the latest when ``report_id`` is None) and, for its chart, the daily
    synced ratios of the 90 days up to it; ConfigError when there is none."""
    from igate_sync.store.reports import load_report, report_chart

    engine = open_state(settings)
    try:
        body = load_report(engine, report_id)
        if body is None:
            what = "no report yet: run reconcile" if report_id is None else "no such report"
            raise ConfigError("--id" if report_id is not None else "--last", what)
        daily = report_chart(engine, body)
    finally:
        engine.dispose()
    return body, daily


def stored_reports(settings: Settings, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` stored reports, newest first (what each covered, its ratio)."""
    from igate_sync.store.reports import list_reports

    engine = open_state(settings)
    try:
        return [r.as_dict() for r in list_reports(engine, limit)]
    finally:
        engine.dispose()


def audit_key_path(settings: Settings, config: Path | None = None) -> Path:
    """The audit log's Ed25519 key ([state] audit_key, resolved when the file was read)."""
    if settings.state.audit_key:
        return Path(settings.state.audit_key)
    return (config.parent if config is not None else Path.cwd()) / "audit-key.pem"


def audit_log(settings: Settings, engine: Engine, config: Path | None = None) -> AuditLog:
    """The audit log, its key created on first use; refuses personal-data keys."""
    from igate_sync.logs import PERSONAL_KEYS
    from igate_sync.store.audit import AuditLog, load_or_create_key

    key = load_or_create_key(audit_key_path(settings, config))
    return AuditLog(engine, key, personal_keys=PERSONAL_KEYS)


def audit_is_empty(engine: Engine) -> bool:
    """Whether nothing was ever recorded in the audit log."""
    from sqlalchemy import func, select

    from igate_sync.store import tables

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tables.audit_log)).scalar_one() == 0


def record(
    settings: Settings, engine: Engine, kind: str, actor: str, payload: dict[str, Any]
) -> None:
    """Append an operator action or a report to the audit log (codes and counts only)."""
    entry_log = audit_log(settings, engine)
    now = utc_now()
    entry_log.append(kind, actor or "unknown", payload, now)
    if kind == "report":
        entry_log.checkpoint(now)
