"""Serving the simulator with uvicorn: blocking (the CLI) or in a background thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from igate_sync.upstream.simulator.app import create_app, set_fault_plan
from igate_sync.upstream.simulator.connection import AbortableH11Protocol
from igate_sync.upstream.simulator.faults import FaultPlan
from igate_sync.upstream.simulator.settings import Clock, SimulatorSettings
from igate_sync.upstream.simulator.store import SimulatorStore

STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0
GRACEFUL_SHUTDOWN_S = 5


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


def _config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    # log_config=None: uvicorn must not reconfigure logging; the caller owns it.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=AbortableH11Protocol,
        ws="none",
        lifespan="off",
        loop="asyncio",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        # Listening before the server thread runs: early connections queue, never refused.
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway simulator did not start")
        time.sleep(0.005)


def _stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(SHUTDOWN_TIMEOUT_S)
    if thread.is_alive():
        server.force_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)


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
    sock = _listening_socket(host, port)
    server = uvicorn.Server(_config(app, host, port))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="gateway-simulator", daemon=True
    )
    try:
        thread.start()
        _wait_started(server, thread)
        yield RunningSimulator(_url(host, sock.getsockname()[1]), active_store, app)
    finally:
        _stop(server, thread)
        sock.close()
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
    uvicorn.Server(_config(create_app(settings, store, clock), host, port)).run()
