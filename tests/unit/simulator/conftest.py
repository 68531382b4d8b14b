"""Fixtures: a loopback simulator with an injectable clock, and an authenticated client."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from igate_sync.upstream.simulator import (
    ClientSpec,
    RunningSimulator,
    SimulatorSettings,
    running_simulator,
)
from tests.unit.simulator.builders import AGENCY, CLIENT_ID, CLIENT_SECRET, OTHER_AGENCY

VIETNAM = timezone(timedelta(hours=7))
PUSH_DOSSIERS = "/api/v1/hoso/dongbo"
PUSH_EVENTS = "/api/v1/hoso/tiendo"


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=VIETNAM)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_settings(**overrides: Any) -> SimulatorSettings:
    """Settings with one client for two agencies and another client for a third."""
    clients = {
        CLIENT_ID: ClientSpec(secret=CLIENT_SECRET, agencies=(AGENCY, OTHER_AGENCY)),
        "other-client": ClientSpec(secret="other", agencies=(AGENCY,)),
    }
    return SimulatorSettings(**{"clients": clients, **overrides})


class Gateway:
    """A test's handle on the running simulator: HTTP client, token and fresh keys."""

    def __init__(self, sim: RunningSimulator, http: httpx.Client) -> None:
        self.sim, self.http = sim, http
        self._keys = itertools.count(1)
        self.token = self.fetch_token()

    def fetch_token(self, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        reply = self.http.post("/token", data=form)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def new_key(self) -> str:
        return f"test-key-{next(self._keys):06d}"

    def headers(self, key: str | None = None, token: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.token}",
            "Idempotency-Key": key or self.new_key(),
        }

    def push(
        self, path: str, body: Any, key: str | None = None, token: str | None = None
    ) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers(key, token))

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[RunningSimulator]:
    with running_simulator(make_settings(), clock=clock) as running:
        yield running


@pytest.fixture
def gateway(sim: RunningSimulator) -> Iterator[Gateway]:
    with httpx.Client(base_url=sim.base_url, timeout=5.0) as http:
        yield Gateway(sim, http)
