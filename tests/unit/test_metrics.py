"""Prometheus metrics read from a real state store, scraped over loopback from the admin app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from igate_sync.adapters.base import SourceRecord
from igate_sync.adapters.fake import InMemoryAdapter
from igate_sync.admin import AdminHooks, AdminServer, ResyncRequest, create_admin_app
from igate_sync.metrics import RunTimer, StateCollector, build_registry
from igate_sync.pipeline import Sync, pull, run_cycle
from igate_sync.store import control
from igate_sync.store.engine import create_state_engine
from igate_sync.upstream.fake import FakeGateway
from tests.conftest import FakeClock
from tests.factories import code, dossier, later, quarantined, small_sync

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
Scrape = Callable[[CollectorRegistry], Samples]


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


def _resync(_request: ResyncRequest) -> int:
    return 0


def _paused(_paused: bool) -> None:
    pass


@pytest.fixture
def scrape() -> Iterator[Scrape]:
    """GET /metrics of the real admin app serving a registry; samples by (name, labels)."""
    with ExitStack() as stack:
        clients: dict[int, httpx.Client] = {}

        def get(registry: CollectorRegistry) -> Samples:
            if id(registry) not in clients:
                hooks = AdminHooks(dict, list, _resync, _paused, registry, str, lambda: None)
                server = AdminServer(create_admin_app(hooks, None))
                server.start("127.0.0.1", 0)
                stack.callback(server.stop)
                url = f"http://127.0.0.1:{server.port}"
                clients[id(registry)] = stack.enter_context(
                    httpx.Client(base_url=url, timeout=10, trust_env=False)
                )
            reply = clients[id(registry)].get("/metrics")
            assert reply.status_code == 200
            return {
                (s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(reply.text)
                for s in family.samples
            }

        yield get


@pytest.fixture
def sync(state_engine: Engine, gateway: FakeGateway, clock: FakeClock) -> Sync:
    return small_sync(state_engine, gateway, clock, event_batch_size=4)


def registry_for(engine: Engine, clock: FakeClock, retries: int = 0) -> CollectorRegistry:
    return build_registry(StateCollector(engine, clock, lambda: retries))


def fill(sync: Sync, gateway: FakeGateway, clock: FakeClock) -> None:
    """One cycle (4 dossiers, one rejected; a quarantined row; a draft), then one queued."""
    source = InMemoryAdapter("motcua")
    for n in range(1, 5):
        source.put(dossier(n, changed=later(n), events=2 if n == 1 else 0), changed=later(n))
    source.put(quarantined(5, "unknown_status"), changed=later(5))
    source.put(SourceRecord("6", "draft", ma_ho_so=code(6)), changed=later(6))
    gateway.reject(code(2), "ChuHoSo", "missing")
    run_cycle(sync, [source])
    clock.advance(60)
    source.put(dossier(7, changed=later(7)), changed=later(7))
    pull(sync, source)  # queued, not pushed
    clock.advance(90)


def test_metrics_report_the_state_store(
    sync: Sync, gateway: FakeGateway, clock: FakeClock, state_engine: Engine, scrape: Scrape
) -> None:
    fill(sync, gateway, clock)
    control.record_failure(
        state_engine, None, clock(), base=timedelta(seconds=30), cap=timedelta(minutes=15)
    )
    other_start = clock()
    control.start_run(state_engine, "run-other", "hotich", other_start)
    clock.advance(12.5)
    control.finish_run(state_engine, "run-other", "ok", {}, clock())
    control.start_run(state_engine, "run-unfinished", "motcua", clock())

    samples = scrape(registry_for(state_engine, clock, retries=7))

    expected = {
        key("igate_sync_state_db_up"): 1,
        key("igate_sync_source_rows", source="motcua", kind="dossier"): 5,
        key("igate_sync_source_rows", source="motcua", kind="quarantined"): 1,
        key("igate_sync_source_rows", source="motcua", kind="draft"): 1,
        key("igate_sync_source_rows", source="motcua", kind="deleted"): 0,
        key("igate_sync_outbox_items", kind="dossiers", state="confirmed"): 3,
        key("igate_sync_outbox_items", kind="dossiers", state="rejected"): 1,
        key("igate_sync_outbox_items", kind="dossiers", state="pending"): 1,
        key("igate_sync_outbox_items", kind="dossiers", state="dead"): 0,
        key("igate_sync_outbox_items", kind="events", state="confirmed"): 2,
        key("igate_sync_outbox_items", kind="events", state="pending"): 0,
        key("igate_sync_confirmed_upstream"): 3,
        key("igate_sync_rejected_total", kind="dossiers"): 1,
        key("igate_sync_rejected_total", kind="events"): 0,
        key("igate_sync_quarantined", reason="unknown_status"): 1,
        key("igate_sync_oldest_unconfirmed_age_seconds"): 90 + 12.5,
        key("igate_sync_circuit_state", state="open"): 1,
        key("igate_sync_circuit_state", state="closed"): 0,
        key("igate_sync_circuit_state", state="half_open"): 0,
        key("igate_sync_upstream_retries_total"): 7,
        key("igate_sync_last_run_duration_seconds", source="motcua"): 0,
        key("igate_sync_last_run_duration_seconds", source="hotich"): 12.5,
        key("igate_sync_last_run_timestamp_seconds", source="hotich"): clock().timestamp(),
    }
    assert {k: samples.get(k) for k in expected} == expected


def test_the_store_is_read_at_scrape_time(
    sync: Sync, gateway: FakeGateway, clock: FakeClock, state_engine: Engine, scrape: Scrape
) -> None:
    registry = registry_for(state_engine, clock)
    oldest = key("igate_sync_oldest_unconfirmed_age_seconds")
    pending = key("igate_sync_outbox_items", kind="dossiers", state="pending")
    assert (scrape(registry)[oldest], scrape(registry)[pending]) == (0, 0)
    fill(sync, gateway, clock)
    assert (scrape(registry)[oldest], scrape(registry)[pending]) == (90, 1)
    clock.advance(30)
    assert scrape(registry)[oldest] == 120


def test_an_empty_store_reports_zeros_and_a_closed_circuit(
    state_engine: Engine, clock: FakeClock, scrape: Scrape
) -> None:
    samples = scrape(registry_for(state_engine, clock))
    assert samples[key("igate_sync_circuit_state", state="closed")] == 1
    assert samples[key("igate_sync_confirmed_upstream")] == 0
    assert samples[key("igate_sync_outbox_items", kind="events", state="in_flight")] == 0
    assert not [k for k in samples if k[0].startswith("igate_sync_source_rows")]
    assert not [k for k in samples if k[0].startswith("igate_sync_last_run")]


def test_an_unreadable_store_still_answers_the_scrape(
    tmp_path: Path, clock: FakeClock, scrape: Scrape
) -> None:
    engine = create_state_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    try:
        samples = scrape(registry_for(engine, clock, retries=2))
    finally:
        engine.dispose()
    assert samples[key("igate_sync_state_db_up")] == 0
    assert samples[key("igate_sync_upstream_retries_total")] == 2
    assert not [k for k in samples if k[0].startswith("igate_sync_outbox")]


def test_run_timer_observes_runs_even_when_they_fail(scrape: Scrape) -> None:
    ticks = iter([100.0, 102.5, 200.0, 201.0])
    registry = CollectorRegistry()
    timer = RunTimer(registry, monotonic=lambda: next(ticks))
    with timer.time("motcua"):
        pass
    with pytest.raises(RuntimeError), timer.time("motcua"):
        raise RuntimeError("cycle failed")
    timer.observe("hotich", 42.0)
    samples = scrape(registry)
    assert samples[key("igate_sync_run_duration_seconds_count", source="motcua")] == 2
    assert samples[key("igate_sync_run_duration_seconds_sum", source="motcua")] == 3.5
    assert samples[key("igate_sync_run_duration_seconds_bucket", source="hotich", le="60.0")] == 1
    assert samples[key("igate_sync_run_duration_seconds_bucket", source="hotich", le="30.0")] == 0


def test_build_registry_is_fresh_and_never_scrapes_at_registration(
    state_engine: Engine, clock: FakeClock
) -> None:
    calls: list[int] = []

    def retries() -> int:
        calls.append(1)
        return 0

    first = build_registry(StateCollector(state_engine, clock, retries))
    second = build_registry(StateCollector(state_engine, clock, retries))
    assert REGISTRY not in (first, second)
    assert first is not second
    assert calls == []
    # Each registry takes its own histogram of the same name: no clash, no global state.
    RunTimer(first)
    RunTimer(second)
    text = generate_latest(first).decode()
    assert "igate_sync_run_duration_seconds" in text
    assert calls == [1]


def _names(samples: dict[Any, float]) -> set[str]:
    return {name for name, _ in samples}


def test_every_advertised_metric_is_exposed(
    state_engine: Engine, clock: FakeClock, scrape: Scrape
) -> None:
    registry = registry_for(state_engine, clock)
    RunTimer(registry).observe("motcua", 1.0)
    control.start_run(state_engine, "r", "motcua", clock())
    control.finish_run(state_engine, "r", "ok", {}, clock())
    assert {
        "igate_sync_state_db_up",
        "igate_sync_outbox_items",
        "igate_sync_confirmed_upstream",
        "igate_sync_rejected_total",
        "igate_sync_oldest_unconfirmed_age_seconds",
        "igate_sync_circuit_state",
        "igate_sync_upstream_retries_total",
        "igate_sync_last_run_duration_seconds",
        "igate_sync_last_run_timestamp_seconds",
        "igate_sync_run_duration_seconds_count",
    } <= _names(scrape(registry))
