"""APScheduler 3.x jobs for the daemon; the jobs call pipeline functions, it keeps no state.

Pipeline jobs share one worker thread, so two runs never touch the same source or the
outbox at once (``max_instances=1`` and ``coalesce`` also fold missed runs into one); the
heartbeat has its own thread so a long backfill does not let the daemon's lease go stale.
A job that raises is logged with its traceback and the daemon goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from igate_sync.normalize import VN_TZ

log = structlog.get_logger("igate_sync.scheduler")


@dataclass(frozen=True)
class Job:
    """One recurring piece of work."""

    id: str
    func: Callable[[], Any]
    trigger: BaseTrigger
    executor: str = "pipeline"
    run_now: bool = False


def build_scheduler(jobs: Sequence[Job]) -> BackgroundScheduler:
    """A scheduler with the jobs added, not started."""
    scheduler = BackgroundScheduler(
        executors={
            "pipeline": ThreadPoolExecutor(max_workers=1),
            "heartbeat": ThreadPoolExecutor(max_workers=1),
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=VN_TZ,
    )
    scheduler.add_listener(_log_failure, EVENT_JOB_ERROR)
    for job in jobs:
        # run_now: first run at start, then on the trigger (a cron pull waits otherwise).
        options: dict[str, Any] = {"next_run_time": datetime.now(VN_TZ)} if job.run_now else {}
        scheduler.add_job(
            job.func, job.trigger, id=job.id, name=job.id, executor=job.executor, **options
        )
    return scheduler


def _log_failure(event: JobExecutionEvent) -> None:
    error = event.exception
    log.error(
        "job failed",
        job=event.job_id,
        error=type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
