"""Serving the simulator with uvicorn: blocking (the CLI) or in a background thread (tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from igate_sync.serving import ThreadedServer, server_config
from igate_sync.upstream.simulator.app import create_app, set_fault_plan
from igate_sync.upstream.simulator.connection import AbortableH11Protocol
from igate_sync.upstream.simulator.faults import FaultPlan
from igate_sync.upstream.simulator.settings import Clock, SimulatorSettings
from igate_sync.upstream.simulator.store import SimulatorStore


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator serving on loopback: its base URL, its store, and a fault switch."""

    base_url: str
    store: SimulatorStore
    app: Starlette

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan; its schedule ordinals start again at 1."""
        set_fault_plan(self.app, plan)

    def stats(self) -> dict[str, Any]:
        """The store's snapshot (what it holds and every counter)."""
        return self.store.snapshot()


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def running_simulator(
    settings: SimulatorSettings,
    store: SimulatorStore | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
) -> Iterator[RunningSimulator]:
    """Serve the simulator in a background thread (port 0: a free one) until the block ends."""
    owned_store = store is None
    active_store = SimulatorStore() if store is None else store
    app = create_app(settings, active_store, clock)
    server = ThreadedServer(app, name="gateway-simulator", http=AbortableH11Protocol)
    try:
        server.start(host, port)
        yield RunningSimulator(_url(host, server.port), active_store, app)
    finally:
        server.stop()
        if owned_store:
            active_store.close()


def serve(
    settings: SimulatorSettings,
    store: SimulatorStore,
    host: str = "127.0.0.1",
    port: int = 8780,
    clock: Clock | None = None,
) -> None:
    """Serve the simulator in the foreground until SIGINT/SIGTERM."""
    app = create_app(settings, store, clock)
    uvicorn.Server(server_config(app, host, port, http=AbortableH11Protocol)).run()
