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
from datetime import timedelta
from types import FrameType

import structlog
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from igate_sync.adapters.base import SourceAdapter
from igate_sync.bootstrap import Wired, utc_now, wired
from igate_sync.config import Settings, SourceSettings
from igate_sync.errors import StateLocked, UpstreamUnavailable
from igate_sync.normalize import VN_TZ
from igate_sync.pipeline import Sync, push, run_cycle
from igate_sync.scheduler import Job, build_scheduler
from igate_sync.store.lease import Lease

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
        scheduler.start()
        log.info("daemon started", sources=[a.name for a in w.adapters])
        if ready is not None:
            ready.set()
        try:
            stop.wait()
        finally:
            log.info("daemon stopping")
            _shutdown(scheduler, settings.daemon.stop_timeout_s)
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
