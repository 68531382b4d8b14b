"""`igate-sync run`: the daemon's lifecycle (part of the composition root, like bootstrap).

Start: take the state database's lease (one daemon per state database), schedule one cycle
per source on its crontab (the first right away), a push loop for what waits on the gateway,
and the heartbeat. SIGTERM or SIGINT: stop taking work; the job in flight finishes its
current chunk or batch and stops, within ``daemon.stop_timeout_s``; an unanswered batch stays
recorded and is repeated, same key and body, at the next start. Exit 0.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import structlog
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from igate_sync.adapters.base import SourceAdapter
from igate_sync.admin import AdminHooks, AdminServer, ResyncRequest, create_admin_app
from igate_sync.bootstrap import Wired, reconcile_job, record, resync_entry, utc_now, wired
from igate_sync.config import Settings, SourceSettings
from igate_sync.dashboard import gather, latest_report_page, render_dashboard
from igate_sync.errors import StateLocked, TransientError, UpstreamUnavailable
from igate_sync.metrics import StateCollector, build_registry
from igate_sync.normalize import VN_TZ, format_wire_time
from igate_sync.pipeline import Sync, process_resyncs, push, run_cycle
from igate_sync.scheduler import Job, build_scheduler
from igate_sync.store import control
from igate_sync.store.lease import Lease
from igate_sync.store.resync import ResyncSpec, submit
from igate_sync.store.status import read_status

log = structlog.get_logger("igate_sync.daemon")
HEARTBEAT = timedelta(seconds=20)


def run_daemon(settings: Settings, *, ready: threading.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT; the exit code."""
    stop = threading.Event()
    _on_signals(stop)
    with wired(settings) as w:
        lease = Lease(w.sync.engine)
        lease.acquire(utc_now())
        sync = replace(w.sync, stopping=stop.is_set)
        scheduler = build_scheduler(_jobs(settings, w, sync, lease, stop))
        admin = AdminServer(create_admin_app(_hooks(settings, w), _token(settings)))
        admin.start(settings.daemon.admin_host, settings.daemon.admin_port)
        scheduler.start()
        log.info(
            "daemon started",
            sources=[a.name for a in w.adapters],
            admin=f"http://{settings.daemon.admin_host}:{admin.port}",
        )
        if ready is not None:
            ready.set()
        try:
            stop.wait()
        finally:
            log.info("daemon stopping")
            _shutdown(scheduler, settings.daemon.stop_timeout_s)
            admin.stop()
            lease.release()
    log.info("daemon stopped")
    return 0


def _on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal received", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def _jobs(
    settings: Settings, w: Wired, sync: Sync, lease: Lease, stop: threading.Event
) -> list[Job]:
    jobs = [
        Job(
            f"cycle:{adapter.name}",
            _cycle(sync, adapter, w.scan_interval),
            CronTrigger.from_crontab(source.schedule, timezone=VN_TZ),
            run_now=True,
        )
        for adapter, source in zip(w.adapters, _selected(settings, w), strict=True)
    ]
    jobs.append(Job("push", _push(sync), IntervalTrigger(seconds=settings.daemon.push_interval_s)))
    jobs.append(Job("resync", _resyncs(sync, w.adapters), IntervalTrigger(seconds=1)))
    daily = CronTrigger.from_crontab("0 6 * * *", timezone=VN_TZ)  # reconciliation report
    jobs.append(Job("reconcile", reconcile_job(settings, sync, w.adapters), daily))
    jobs.append(
        Job(
            "heartbeat",
            _heartbeat(lease, stop),
            IntervalTrigger(seconds=HEARTBEAT.seconds),
            "heartbeat",
        )
    )
    return jobs


def _selected(settings: Settings, w: Wired) -> list[SourceSettings]:
    names = {a.name for a in w.adapters}
    return [s for s in settings.sources if s.name in names]


def _cycle(sync: Sync, adapter: SourceAdapter, interval: timedelta) -> Callable[[], None]:
    def job() -> None:
        run_cycle(sync, [adapter], scan_interval=interval)

    return job


def _push(sync: Sync) -> Callable[[], None]:
    def job() -> None:
        try:
            push(sync)
        except UpstreamUnavailable:
            log.info("push waits for the gateway")

    return job


def _resyncs(sync: Sync, adapters: list[SourceAdapter]) -> Callable[[], None]:
    def job() -> None:
        process_resyncs(sync, adapters)

    return job


def _token(settings: Settings) -> str | None:
    token = settings.daemon.admin_token
    return token.get_secret_value() if token is not None else None


def _hooks(settings: Settings, w: Wired) -> AdminHooks:
    engine = w.sync.engine
    collector = StateCollector(
        engine, utc_now, lambda: int(getattr(w.sync.gateway, "retry_count", 0))
    )

    def status() -> dict[str, Any]:
        return read_status(engine, utc_now()).as_dict() | {"paused": control.paused(engine)}

    def readiness() -> list[str]:
        return _problems(settings, w)

    def request_resync(request: ResyncRequest) -> int:
        names = {a.name for a in w.adapters}
        if request.source is not None and request.source not in names:
            raise ValueError(f"no source named {request.source!r}")
        spec = ResyncSpec(
            dossiers=request.dossiers,
            since=_wire(request.since),
            until=_wire(request.until),
            quarantined=request.quarantined,
            rejected=request.rejected,
            source=request.source,
        )
        request_id = submit(
            engine,
            spec,
            dry_run=request.dry_run,
            requested_by=request.requested_by,
            reason=request.reason,
            now=utc_now(),
        )
        entry = resync_entry(request_id, spec, request.dry_run, request.reason)
        record(settings, engine, "resync", request.requested_by, entry)
        return request_id

    def set_paused(value: bool) -> None:
        control.set_paused(engine, value, utc_now())
        record(settings, engine, "pause" if value else "resume", "admin-http", {"paused": value})

    def dashboard() -> str:
        return render_dashboard(gather(engine, utc_now(), settings.agency.name))

    return AdminHooks(
        status,
        readiness,
        request_resync,
        set_paused,
        build_registry(collector),
        dashboard,
        lambda: latest_report_page(engine),
    )


def _wire(value: str | None) -> str | None:
    """An admin time (ISO 8601 or yyyyMMddHHmmss) as a wire time; naive means local."""
    if value is None or (value.isdigit() and len(value) == 14):
        return value
    moment = datetime.fromisoformat(value)
    return format_wire_time(moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ))


def _problems(settings: Settings, w: Wired) -> list[str]:
    problems: list[str] = []
    try:
        status = read_status(w.sync.engine, utc_now())
    except SQLAlchemyError as exc:
        return [f"state database: {type(exc).__name__}"]
    for adapter in w.adapters:
        try:
            adapter.ping()
        except TransientError as exc:
            problems.append(f"source {adapter.name}: {exc}")
    if status.circuit == "open":
        problems.append(f"gateway circuit open until {status.hold_until}")
    age = status.oldest_unconfirmed_s
    if age is not None and age > settings.daemon.max_unconfirmed_age_s:
        problems.append(f"oldest unconfirmed item is {age:.0f} s old")
    return problems


def _heartbeat(lease: Lease, stop: threading.Event) -> Callable[[], None]:
    def job() -> None:
        try:
            lease.renew(utc_now())
        except (StateLocked, SQLAlchemyError):
            log.exception("lease lost: stopping")
            stop.set()
            raise

    return job


def _shutdown(scheduler: object, timeout_s: float) -> None:
    """Stop the scheduler, waiting for the job in flight at most ``timeout_s``."""
    from apscheduler.schedulers.background import BackgroundScheduler

    assert isinstance(scheduler, BackgroundScheduler)
    done = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    done.start()
    done.join(timeout_s)
    if done.is_alive():
        log.warning("job still running at stop timeout; its batch is repeated at next start")


__all__ = ["run_daemon"]
