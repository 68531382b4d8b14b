"""A job that crashes is logged with its traceback and the scheduler goes on."""

from __future__ import annotations

import threading

from apscheduler.triggers.interval import IntervalTrigger
from structlog.testing import capture_logs

from igate_sync.scheduler import Job, build_scheduler


def test_a_crashing_job_is_logged_and_the_others_keep_running() -> None:
    later_ran = threading.Event()

    def crash() -> None:
        raise RuntimeError("boom")

    jobs = [
        Job("crash", crash, IntervalTrigger(hours=1), run_now=True),
        Job("later", later_ran.set, IntervalTrigger(hours=1), run_now=True),
    ]
    scheduler = build_scheduler(jobs)
    with capture_logs() as logs:
        scheduler.start()
        try:
            assert later_ran.wait(timeout=30)  # one worker: it runs after the crash
        finally:
            scheduler.shutdown(wait=True)
    failures = [e for e in logs if e["event"] == "job failed"]
    assert [(f["job"], f["error"]) for f in failures] == [("crash", "RuntimeError")]
    assert failures[0]["exc_info"][0] is RuntimeError


def test_pipeline_jobs_share_one_worker_and_never_overlap() -> None:
    scheduler = build_scheduler([Job("a", lambda: None, IntervalTrigger(hours=1))])
    scheduler.start(paused=True)
    try:
        executor = scheduler._executors["pipeline"]  # one thread: runs can never overlap
        assert executor._pool._max_workers == 1
        job = scheduler.get_job("a")
        assert (job.max_instances, job.coalesce) == (1, True)
    finally:
        scheduler.shutdown(wait=False)
