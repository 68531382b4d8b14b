"""One sync cycle: pull → normalise → enqueue → push → confirm.

Sees sources only through the SourceAdapter port and the gateway only through the Gateway
port. Pushing stops at the first sign that the gateway is unavailable; what is queued stays
queued, and the gateway's Retry-After deadline is kept in the state store so that no request
goes out before it, also after a restart.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from igate_sync.adapters.base import SourceAdapter
from igate_sync.errors import BatchTooLarge, UpstreamProtocolError, UpstreamUnavailable
from igate_sync.store import control
from igate_sync.store.ingest import IngestCounts, ingest
from igate_sync.store.outbox import Batch, Outbox
from igate_sync.store.resync import StoredResync, finish, selected_rows, take_pending
from igate_sync.store.status import outbox_usage
from igate_sync.upstream.base import Gateway, PushKind

log = structlog.get_logger("igate_sync.pipeline")
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class OutboxCap:
    """How much unconfirmed work the outbox may hold before pulling stops (back-pressure)."""

    max_rows: int = 2_000_000
    max_size: int = 1_000_000_000  # characters of payload

    def share(self, rows: int, size: int) -> float:
        """How full the outbox is, 0.0 to 1.0 and beyond."""
        return max(rows / self.max_rows, size / self.max_size)


@dataclass(frozen=True)
class Sync:
    """Everything one cycle needs, wired by the CLI."""

    engine: Any
    outbox: Outbox
    gateway: Gateway
    clock: Clock
    batch_size: int = 100
    event_batch_size: int = 500
    chunk_rows: int = 500
    # Circuit breaker: after a cycle the gateway stayed unavailable through the client's
    # retries, no request for hold, doubling per failed cycle up to max_hold.
    hold: timedelta = timedelta(seconds=30)
    max_hold: timedelta = timedelta(minutes=15)
    cap: OutboxCap = OutboxCap()
    # An item failing alone this many times while the gateway answers others goes to dead.
    dead_after: int = 10
    dead_after_age: timedelta = timedelta(hours=24)
    # Asked between chunks and batches: True once the daemon is stopping (SIGTERM).
    stopping: Callable[[], bool] = field(default=lambda: False)
    # Push while pulling, from a second thread, so that waiting on the gateway overlaps
    # reading and normalising. Only with a SQLite state database, whose single writer lock
    # serialises the two threads' transactions (wired in bootstrap); off in unit tests, whose
    # fakes answer at once.
    overlap: bool = False


@dataclass
class PushCounts:
    """What one push phase did."""

    batches: int = 0
    set_aside: int = 0  # batches the gateway failed while answering others
    dossiers: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def add(self, other: PushCounts) -> None:
        """Accumulate another push phase."""
        self.batches += other.batches
        self.set_aside += other.set_aside
        self.dossiers.update(other.dossiers)
        self.events.update(other.events)

    def as_dict(self) -> dict[str, Any]:
        """Plain form for the run summary."""
        return {
            "batches": self.batches,
            "set_aside": self.set_aside,
            "dossiers": dict(self.dossiers),
            "events": dict(self.events),
        }


WARN_AT = (0.7, 0.9)


def pull(
    sync: Sync, adapter: SourceAdapter, on_chunk: Callable[[], None] = lambda: None
) -> IngestCounts:
    """Read rows changed since the source's cursor into the outbox, until it is full.

    When the outbox holds ``cap`` unconfirmed work, pulling stops before the next chunk
    (its cursor stays put: nothing is skipped) and ``backpressure`` is set on the counts.
    """
    total = IngestCounts()
    rows, size = outbox_usage(sync.engine)
    warned = {w for w in WARN_AT if sync.cap.share(rows, size) >= w}
    cursor = control.load_cursor(sync.engine, adapter.name)
    with closing(adapter.read_changes(cursor, sync.chunk_rows)) as batches:  # type: ignore[type-var]
        for batch in batches:
            if sync.stopping():
                break
            if sync.cap.share(rows, size) >= 1.0:
                total.backpressure = True
                log.warning("outbox full: pulling paused", rows=rows, size=size)
                break
            counts = ingest(
                sync.engine, adapter.name, batch.records, now=sync.clock(), cursor=batch.cursor
            )
            total.add(counts)
            rows, size = rows + counts.enqueued + counts.events_enqueued, size + counts.size
            _warn_filling(sync.cap.share(rows, size), warned)
            on_chunk()
    return total


def _warn_filling(share: float, warned: set[float]) -> None:
    for level in WARN_AT:
        if share >= level and level not in warned:
            warned.add(level)
            log.warning("outbox filling", percent=int(level * 100))


def scan(sync: Sync, adapter: SourceAdapter) -> IngestCounts:
    """Re-read every row and enqueue what changed without the cursor noticing."""
    total = IngestCounts()
    for records in adapter.scan(sync.chunk_rows):
        total.add(ingest(sync.engine, adapter.name, records, now=sync.clock()))
    control.mark_scanned(sync.engine, adapter.name, sync.clock())
    return total


def scan_due(sync: Sync, source: str, interval: timedelta) -> bool:
    """Whether the source's content scan is due."""
    last = control.last_scan(sync.engine, source)
    return last is not None and sync.clock() - last >= interval


def push(sync: Sync) -> PushCounts:
    """Send the outbox until it is drained; UpstreamUnavailable when the gateway stops us.

    A batch that fails while the gateway answers others in the same cycle is not the
    gateway's trouble but the batch's: it is split so that its items go alone, and an item
    that keeps failing alone goes to ``dead`` (see ``Outbox.isolate``), so one bad item never
    blocks the queue. A failure before anything succeeded in the cycle means the gateway is
    unavailable: the circuit opens and the cycle ends.
    """
    run = _PushRun(sync)
    if control.paused(sync.engine):
        log.info("pushing is paused by an operator")
        return run.counts
    _respect_hold(sync)
    while not sync.stopping() and (batch := run.next()) is not None:
        run.send(batch)
    return run.counts


def _respect_hold(sync: Sync) -> None:
    held = control.hold_until(sync.engine)
    if held is not None and held > sync.clock():
        raise UpstreamUnavailable("gateway asked us to wait", not_before=held)


class _PushRun:
    """One push phase: batch sizes, batches set aside, and what happened."""

    def __init__(self, sync: Sync) -> None:
        self.sync = sync
        self.counts = PushCounts()
        self.sizes: dict[PushKind, int] = {
            "dossiers": sync.batch_size,
            "events": sync.event_batch_size,
        }
        self.skip: set[int] = set()

    def next(self, *, more_coming: bool = False) -> Batch | None:
        """The next batch; with ``more_coming`` (still pulling), a batch that already failed
        waits until something new has gone through, rather than be the probe itself."""
        for kind in ("dossiers", "events"):
            batch = self.sync.outbox.next_batch(
                kind,
                self.sizes[kind],
                self.sync.clock(),
                healthy=self.counts.batches > 0,
                skip=frozenset(self.skip),
                fallback=not more_coming,
            )
            if batch is not None:
                return batch
        return None

    def send(self, batch: Batch) -> None:
        try:
            results = self.sync.gateway.push(batch.request)
        except UpstreamUnavailable as exc:
            self._unanswered(batch, exc)
            return
        except BatchTooLarge:
            self.sync.outbox.split(batch, self.sync.clock())
            self.sizes[batch.request.kind] = max(1, len(batch.item_ids) // 2)
            return
        except UpstreamProtocolError as exc:
            log.exception("gateway refused a batch", items=len(batch.item_ids))
            self._set_aside(batch, str(exc), dead_after=1, age=timedelta(0))
            return
        outcomes = self.sync.outbox.record_results(batch, results, self.sync.clock())
        self.counts.batches += 1
        if self.counts.batches == 1:
            control.record_success(self.sync.engine, self.sync.clock())
        (self.counts.dossiers if batch.request.kind == "dossiers" else self.counts.events).update(
            outcomes
        )

    def _unanswered(self, batch: Batch, exc: UpstreamUnavailable) -> None:
        now = self.sync.clock()
        self.sync.outbox.record_unanswered(batch, str(exc), now)
        if self.counts.batches > 0 and exc.not_before is None:
            self._set_aside(
                batch, str(exc), dead_after=self.sync.dead_after, age=self.sync.dead_after_age
            )
            return
        until = control.record_failure(
            self.sync.engine, exc.not_before, now, base=self.sync.hold, cap=self.sync.max_hold
        )
        log.warning("upstream unavailable", hold_until=until.isoformat(), error=str(exc))
        raise exc

    def _set_aside(self, batch: Batch, error: str, *, dead_after: int, age: timedelta) -> None:
        self.skip.add(batch.id)
        self.counts.set_aside += 1
        died = self.sync.outbox.isolate(
            batch, error, self.sync.clock(), dead_after=dead_after, dead_after_age=age
        )
        log.warning("batch set aside", items=len(batch.item_ids), dead=died)


def resync(sync: Sync, adapters: Sequence[SourceAdapter], request: StoredResync) -> dict[str, Any]:
    """Re-read the selected rows and enqueue their current versions again, then push.

    The sources are pulled first, so that a dossier added since the last cycle is found by
    its code. A dry run only lists what would be sent again and where each row stands now.
    """
    spec = request.spec
    result: dict[str, Any] = {"id": request.id, "dry_run": request.dry_run, "sources": {}}
    found: set[str] = set()
    for adapter in adapters:
        if spec.source not in (None, adapter.name):
            continue
        if not request.dry_run:
            pull(sync, adapter)  # rows added since the last cycle are known by code too
        rows = selected_rows(sync.engine, spec, adapter.name)
        found.update(r["ma_ho_so"] for r in rows if r["ma_ho_so"])
        if request.dry_run:
            result["sources"][adapter.name] = {"would_resend": rows}
            continue
        counts = IngestCounts()
        keys = [r["source_key"] for r in rows]
        for start in range(0, len(keys), sync.chunk_rows):
            records = adapter.read_keys(keys[start : start + sync.chunk_rows])
            counts.add(
                ingest(sync.engine, adapter.name, records, now=sync.clock(), resync_id=request.id)
            )
        result["sources"][adapter.name] = {"selected": len(rows), **_ingest_dict(counts)}
    result["not_found"] = [code for code in spec.dossiers if code not in found]
    if not request.dry_run:
        try:
            result["pushed"] = push(sync).as_dict()
        except UpstreamUnavailable:
            result["upstream_unavailable"] = True
    log.info("resync", id=request.id, dry_run=request.dry_run, not_found=len(result["not_found"]))
    return result


def process_resyncs(sync: Sync, adapters: Sequence[SourceAdapter]) -> int:
    """Carry out every pending resync request (the daemon's job); how many."""
    done = 0
    while (request := take_pending(sync.engine)) is not None:
        finish(sync.engine, request.id, resync(sync, adapters, request), sync.clock())
        done += 1
    return done


@dataclass
class CycleResult:
    """The outcome of one cycle over one or more sources."""

    run_id: str
    pulled: dict[str, IngestCounts]
    pushed: PushCounts
    upstream_unavailable: bool = False

    @property
    def outcome(self) -> str:
        """ok: everything pushed; incomplete: some batch failed and waits; or unavailable."""
        if self.upstream_unavailable:
            return "upstream_unavailable"
        return "incomplete" if self.pushed.set_aside else "ok"

    def summary(self) -> dict[str, Any]:
        """Counts only: no personal data."""
        return {
            "run_id": self.run_id,
            "sources": {name: _ingest_dict(c) for name, c in self.pulled.items()},
            "pushed": self.pushed.as_dict(),
            "upstream_unavailable": self.upstream_unavailable,
            "outcome": self.outcome,
        }


def _ingest_dict(c: IngestCounts) -> dict[str, Any]:
    return {
        "read": c.read,
        "enqueued": c.enqueued,
        "unchanged": c.unchanged,
        "events_enqueued": c.events_enqueued,
        "drafts": c.drafts,
        "deleted": c.deleted,
        "quarantined": dict(c.quarantined),
        "backpressure": c.backpressure,
    }


def run_cycle(
    sync: Sync, adapters: Sequence[SourceAdapter], *, scan_interval: timedelta | None = None
) -> CycleResult:
    """Pull every source (scanning those due), then push; one summary log line."""
    run_id = str(uuid.uuid4())
    structlog.contextvars.bind_contextvars(run_id=run_id)
    control.start_run(sync.engine, run_id, ",".join(a.name for a in adapters), sync.clock())
    result = CycleResult(run_id, {}, PushCounts())
    unavailable, drained = None, False
    if sync.overlap:
        unavailable, drained = _pull_while_pushing(sync, adapters, scan_interval, result)
    else:
        result.pulled = {a.name: _pull_source(sync, a, scan_interval) for a in adapters}
    pulled = result.pulled
    try:
        if unavailable is not None:
            raise unavailable
        if not drained:
            result.pushed.add(push(sync))
        while any(c.backpressure for c in pulled.values()) and result.pushed.batches:
            # The outbox was full: it has drained, so read on where pulling paused.
            for adapter in adapters:
                pulled[adapter.name].backpressure = False
                pulled[adapter.name].add(pull(sync, adapter))
            result.pushed.add(push(sync))
    except UpstreamUnavailable:
        result.upstream_unavailable = True
    finally:
        outcome = result.outcome
        control.finish_run(sync.engine, run_id, outcome, result.summary(), sync.clock())
        log.info("sync cycle", **result.summary())
        structlog.contextvars.unbind_contextvars("run_id")
    return result


def _pull_while_pushing(
    sync: Sync,
    adapters: Sequence[SourceAdapter],
    scan_interval: timedelta | None,
    result: CycleResult,
) -> tuple[UpstreamUnavailable | None, bool]:
    """Pull every source into ``result.pulled`` while a second thread pushes what is queued.

    The pusher takes batches as chunks arrive and waits for the next chunk when it runs
    out; it stops when pulling is over and nothing is left, or when the gateway is
    unavailable: that is returned, for ``run_cycle`` to report as usual (pulling goes on,
    as it does offline). Returns that, and whether the pusher drained the outbox; if it
    did not (a stop was asked), ``run_cycle`` pushes what is left.
    """
    arrived = threading.Event()
    pulling_done = threading.Event()
    failures: list[BaseException] = []
    drained: list[bool] = []

    def pusher() -> None:
        run = _PushRun(sync)
        try:
            if control.paused(sync.engine):
                return
            _respect_hold(sync)
            while not sync.stopping():
                # Read before looking: once pulling is done, all it wrote is there to see.
                done = pulling_done.is_set()
                arrived.clear()
                batch = run.next(more_coming=not done)
                if batch is not None:
                    run.send(batch)
                elif done:
                    drained.append(True)
                    return
                else:
                    arrived.wait(timeout=1.0)
        except BaseException as exc:  # noqa: BLE001 - handed to the cycle's own thread
            failures.append(exc)
        finally:
            result.pushed.add(run.counts)

    context = contextvars.copy_context()  # the cycle's run_id in the pusher's log lines
    thread = threading.Thread(target=context.run, args=(pusher,), name="pusher", daemon=True)
    thread.start()
    try:
        for adapter in adapters:
            result.pulled[adapter.name] = _pull_source(sync, adapter, scan_interval, arrived.set)
    finally:
        pulling_done.set()
        arrived.set()
        thread.join()
    for failure in failures:
        if isinstance(failure, UpstreamUnavailable):
            return failure, False
        raise failure
    return None, bool(drained)


def _pull_source(
    sync: Sync,
    adapter: SourceAdapter,
    scan_interval: timedelta | None,
    on_chunk: Callable[[], None] = lambda: None,
) -> IngestCounts:
    structlog.contextvars.bind_contextvars(source=adapter.name)
    try:
        counts = pull(sync, adapter, on_chunk)
        if scan_interval is not None and scan_due(sync, adapter.name, scan_interval):
            counts.add(scan(sync, adapter))
        elif control.last_scan(sync.engine, adapter.name) is None:
            control.mark_scanned(sync.engine, adapter.name, sync.clock())
        return counts
    finally:
        structlog.contextvars.unbind_contextvars("source")
