"""A lease in the state database: one daemon per state database, on any engine.

The holder renews it (heartbeat); a lease not renewed for ``ttl`` is stale and may be taken
over, so a daemon killed with SIGKILL does not lock its successor out for long.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from igate_sync.errors import StateLocked
from igate_sync.store import tables as t

KEY = "daemon.lease"


@dataclass
class Lease:
    """This process's claim on the state database."""

    engine: Engine
    ttl: timedelta = timedelta(minutes=2)
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )

    def acquire(self, now: datetime) -> None:
        """Take the lease, or raise StateLocked naming the live holder."""
        with self.engine.begin() as conn:
            row = conn.execute(select(t.control).where(t.control.c.key == KEY)).first()
            if row is None:
                conn.execute(insert(t.control).values(key=KEY, value=self._value(), updated_at=now))
                return
            holder = _holder(row.value)
            if holder and holder != self.owner and now - row.updated_at < self.ttl:
                raise StateLocked(f"another igate-sync daemon holds the state database ({holder})")
            conn.execute(
                update(t.control)
                .where(t.control.c.key == KEY)
                .values(value=self._value(), updated_at=now)
            )

    def renew(self, now: datetime) -> None:
        """Heartbeat: keep the lease; StateLocked if another daemon took it over."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(t.control)
                .where(t.control.c.key == KEY, t.control.c.value == self._value())
                .values(updated_at=now)
            )
            if done.rowcount == 0:
                raise StateLocked("the daemon lease was taken over by another process")

    def release(self) -> None:
        """Give the lease up (on a clean exit)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(t.control)
                .where(t.control.c.key == KEY, t.control.c.value == self._value())
                .values(value=None)
            )

    def _value(self) -> str:
        return json.dumps({"owner": self.owner})


def _holder(value: Any) -> str | None:
    if not value:
        return None
    owner = json.loads(value).get("owner")
    return str(owner) if owner else None


def live_holder(engine: Engine, now: datetime, ttl: timedelta = timedelta(minutes=2)) -> str | None:
    """The owner of a live lease (a running daemon), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(t.control).where(t.control.c.key == KEY)).first()
    if row is None or now - row.updated_at >= ttl:
        return None
    return _holder(row.value)
