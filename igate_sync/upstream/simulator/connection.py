"""Dropping a client's TCP connection with no reply at all, as a failing gateway does.

An ASGI app cannot close its connection: uvicorn answers 500 when an app returns without
replying. ``AbortableH11Protocol`` is uvicorn's h11 protocol that hands each request an
abort callable in its scope; ``drop_connection`` uses it, so the client sees the connection
close (a RemoteProtocolError or ReadError in httpx), never a status line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

ABORT_KEY = "igate.abort_connection"


class ConnectionDropUnsupported(RuntimeError):
    """The server running the app offers no way to drop a connection (not our uvicorn setup)."""


class AbortableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, letting the app abort the TCP connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = self._with_abort(self.app)

    def _with_abort(self, app: Callable[..., Any]) -> Callable[..., Any]:
        async def app_with_abort(scope: Any, receive: Any, send: Any) -> None:
            scope[ABORT_KEY] = self._abort
            await app(scope, receive, send)

        return app_with_abort

    def _abort(self) -> None:
        self.transport.abort()


async def drop_connection(scope: MutableMapping[str, Any]) -> None:
    """Abort the request's connection; the app must then return without sending."""
    abort = scope.get(ABORT_KEY)
    if abort is None:
        raise ConnectionDropUnsupported("serve the simulator with AbortableH11Protocol")
    abort()
    # Let uvicorn register the lost connection before the app returns, so that it does not
    # try to answer 500 on a connection that is gone.
    await asyncio.sleep(0)
