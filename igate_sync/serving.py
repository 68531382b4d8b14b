"""Serving an ASGI app with uvicorn: in a background thread, or in the foreground.

Shared by the admin endpoint and the gateway simulator. The socket is bound and listening
before the server thread runs, so early connections queue instead of being refused; uvicorn
never reconfigures logging (the CLI owns it) and keeps no access log (no request lines).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0
GRACEFUL_SHUTDOWN_S = 5


def server_config(app: Any, host: str, port: int, *, http: Any = "h11") -> uvicorn.Config:
    """uvicorn's configuration for one of our apps."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http,
        ws="none",
        lifespan="off",
        loop="asyncio",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (0: a free port) and listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class ThreadedServer:
    """Serves an app with uvicorn in a daemon thread; start returns once it accepts."""

    def __init__(self, app: Any, *, name: str, http: Any = "h11") -> None:
        self._app, self._name, self._http = app, name, http
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one picked, when started with port 0)."""
        if self._socket is None:
            raise RuntimeError(f"the {self._name} server is not started")
        return int(self._socket.getsockname()[1])

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0: a free port) and return once connections are accepted."""
        if self._server is not None:
            raise RuntimeError(f"the {self._name} server is already started")
        sock = listening_socket(host, port)
        server = uvicorn.Server(server_config(self._app, host, port, http=self._http))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self._name, daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        try:
            _wait_started(server, thread, self._name)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving (in-flight requests get a short grace period); idempotent."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(SHUTDOWN_TIMEOUT_S)
            if thread.is_alive():
                server.force_exit = True
                thread.join(SHUTDOWN_TIMEOUT_S)
        if sock is not None:
            sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread, name: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.005)  # startup takes milliseconds; this is the server's own wait
