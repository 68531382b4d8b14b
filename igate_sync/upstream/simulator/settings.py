"""Configuration of the simulated gateway and the runtime its endpoints share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from igate_sync.upstream.simulator.faults import FaultInjector, FaultPlan
from igate_sync.upstream.simulator.store import SimulatorStore

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ClientSpec:
    """One OAuth2 client of the gateway: its secret and the agency codes it may push for."""

    secret: str
    agencies: tuple[str, ...]


@dataclass(frozen=True)
class SimulatorSettings:
    """What the simulator accepts: clients, token lifetime, batch limits, initial faults."""

    clients: dict[str, ClientSpec]
    token_ttl_s: int = 3600
    max_dossiers_per_batch: int = 100
    max_events_per_batch: int = 500
    faults: FaultPlan = field(default_factory=FaultPlan)


def utc_now() -> datetime:
    """The real clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    """Everything an endpoint needs: settings, store, clock and the fault injector."""

    settings: SimulatorSettings
    store: SimulatorStore
    clock: Clock
    injector: FaultInjector

    def now(self) -> datetime:
        """The clock's time; a naive datetime is a bug of the caller."""
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the simulator clock must return timezone-aware datetimes")
        return now

    def agencies_of(self, client_id: str) -> tuple[str, ...]:
        """The agency codes a client may push and read for (none for an unknown client)."""
        spec = self.settings.clients.get(client_id)
        return () if spec is None else spec.agencies

    def token_lifetime(self) -> timedelta:
        """How long a token lives: the announced TTL, shortened by a token-expiry fault."""
        expiry = self.injector.plan.token_expiry_s
        ttl = (
            self.settings.token_ttl_s if expiry is None else min(expiry, self.settings.token_ttl_s)
        )
        return timedelta(seconds=ttl)
