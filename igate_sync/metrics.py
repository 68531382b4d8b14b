"""Prometheus metrics: the state store read at scrape time, run durations observed by the daemon.

``StateCollector`` reads the state database on every scrape, so the figures are those of the
store itself, shared by every process that writes it. When the store cannot be read, a scrape
still answers, with ``igate_sync_state_db_up 0`` and nothing else about the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import structlog
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from igate_sync.store.control import circuit_state
from igate_sync.store.counts import StoreCounts, read_counts

log = structlog.get_logger("igate_sync.metrics")
Clock = Callable[[], datetime]

# Known values are always reported (0 when absent), so that series never vanish from a graph.
SOURCE_KINDS = ("dossier", "quarantined", "draft", "deleted")
OUTBOX_STATES = ("pending", "in_flight", "confirmed", "rejected", "stale", "dead", "superseded")
CIRCUIT_STATES = ("closed", "open", "half_open")
RUN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class StateCollector(Collector):
    """Queue depth, quarantine, circuit and last runs, read from the state store per scrape."""

    def __init__(self, engine: Engine, clock: Clock, retries: Callable[[], int]) -> None:
        self._engine = engine
        self._clock = clock
        self._retries = retries

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: registering the collector must not read the database."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        """Every metric family, read now."""
        retries = CounterMetricFamily(
            "igate_sync_upstream_retries", "Requests to the gateway retried by the client."
        )
        retries.add_metric([], self._retries())
        yield retries
        now = self._clock()
        try:
            counts = read_counts(self._engine, now)
            circuit = circuit_state(self._engine, now)
        except SQLAlchemyError as exc:
            log.warning("state database unreadable for metrics", error=type(exc).__name__)
            yield _gauge("igate_sync_state_db_up", "1 when the state database answered.", 0)
            return
        yield _gauge("igate_sync_state_db_up", "1 when the state database answered.", 1)
        yield from _store_families(counts)
        yield _circuit(circuit)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _store_families(counts: StoreCounts) -> Iterator[Metric]:
    yield _source_rows(counts)
    yield _outbox(counts)
    yield _gauge(
        "igate_sync_confirmed_upstream",
        "Dossiers whose latest version the gateway confirmed.",
        counts.confirmed_upstream,
    )
    yield _rejected(counts)
    quarantined = GaugeMetricFamily(
        "igate_sync_quarantined", "Source rows in quarantine, by reason.", labels=["reason"]
    )
    for reason, n in sorted(counts.quarantine.items()):
        quarantined.add_metric([reason], n)
    yield quarantined
    yield _gauge(
        "igate_sync_oldest_unconfirmed_age_seconds",
        "Age of the oldest queued item the gateway has not confirmed (0 when none).",
        counts.oldest_unconfirmed_s or 0.0,
    )
    yield from _last_runs(counts)


def _source_rows(counts: StoreCounts) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "igate_sync_source_rows",
        "Source rows last read, by what became of them.",
        labels=["source", "kind"],
    )
    sources = sorted({source for source, _ in counts.source_rows})
    for source in sources:
        found = {kind for s, kind in counts.source_rows if s == source}
        for kind in (*SOURCE_KINDS, *sorted(found - set(SOURCE_KINDS))):
            family.add_metric([source, kind], counts.source_rows.get((source, kind), 0))
    return family


def _outbox(counts: StoreCounts) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "igate_sync_outbox_items", "Outbox items by kind and state.", labels=["kind", "state"]
    )
    for kind, by_state in (("dossiers", counts.dossiers), ("events", counts.events)):
        for state in (*OUTBOX_STATES, *sorted(set(by_state) - set(OUTBOX_STATES))):
            family.add_metric([kind, state], by_state.get(state, 0))
    return family


def _rejected(counts: StoreCounts) -> CounterMetricFamily:
    family = CounterMetricFamily(
        "igate_sync_rejected", "Items the gateway rejected, by kind.", labels=["kind"]
    )
    family.add_metric(["dossiers"], counts.dossiers.get("rejected", 0))
    family.add_metric(["events"], counts.events.get("rejected", 0))
    return family


def _last_runs(counts: StoreCounts) -> Iterator[GaugeMetricFamily]:
    duration = GaugeMetricFamily(
        "igate_sync_last_run_duration_seconds",
        "Duration of the last finished run.",
        labels=["source"],
    )
    finished = GaugeMetricFamily(
        "igate_sync_last_run_timestamp_seconds",
        "When the last run finished (Unix time).",
        labels=["source"],
    )
    for run in counts.last_runs:
        duration.add_metric([run.source], run.duration_s)
        finished.add_metric([run.source], run.finished_at.timestamp())
    yield duration
    yield finished


def _circuit(current: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "igate_sync_circuit_state",
        "The gateway circuit: 1 for the current state.",
        labels=["state"],
    )
    for state in (*CIRCUIT_STATES, *([current] if current not in CIRCUIT_STATES else [])):
        family.add_metric([state], 1 if state == current else 0)
    return family


class RunTimer:
    """The ``igate_sync_run_duration_seconds`` histogram, observed by the daemon per run."""

    def __init__(
        self, registry: CollectorRegistry, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self.histogram = Histogram(
            "igate_sync_run_duration_seconds",
            "Duration of sync runs.",
            ["source"],
            registry=registry,
            buckets=RUN_BUCKETS,
        )

    def observe(self, source: str, seconds: float) -> None:
        """Record one run's duration."""
        self.histogram.labels(source=source).observe(seconds)

    @contextmanager
    def time(self, source: str) -> Iterator[None]:
        """Time the block as one run of ``source``, whether it ends well or raises."""
        start = self._monotonic()
        try:
            yield
        finally:
            self.observe(source, self._monotonic() - start)


def build_registry(collector: Collector) -> CollectorRegistry:
    """A fresh registry (never the global one) with the collector and process metrics."""
    registry = CollectorRegistry()
    registry.register(collector)
    ProcessCollector(registry=registry)
    return registry
