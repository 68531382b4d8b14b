"""POST /token and bearer checks (contract section 4)."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.simulator.builders import CLIENT_ID, CLIENT_SECRET, dossier, envelope
from tests.unit.simulator.conftest import PUSH_DOSSIERS, Gateway, ManualClock

FORM = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def test_form_credentials_get_a_bearer_token(gateway: Gateway) -> None:
    reply = gateway.http.post("/token", data=FORM)
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert reply.headers["cache-control"] == "no-store"


def test_http_basic_credentials_get_a_token(gateway: Gateway) -> None:
    reply = gateway.http.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET),
    )
    assert reply.status_code == 200
    assert reply.json()["token_type"] == "Bearer"


def test_tokens_are_distinct(gateway: Gateway) -> None:
    assert gateway.fetch_token() != gateway.fetch_token()


@pytest.mark.parametrize(
    "form",
    [
        {**FORM, "client_secret": "wrong"},
        {**FORM, "client_id": "unknown"},
        {"grant_type": "client_credentials", "client_id": CLIENT_ID},
    ],
    ids=["wrong_secret", "unknown_client", "no_secret"],
)
def test_bad_credentials_are_invalid_client(gateway: Gateway, form: dict[str, str]) -> None:
    reply = gateway.http.post("/token", data=form)
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_client"}


def test_bad_basic_credentials_are_invalid_client(gateway: Gateway) -> None:
    reply = gateway.http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=httpx.BasicAuth(CLIENT_ID, "no")
    )
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_client"}


def test_other_grant_types_are_refused(gateway: Gateway) -> None:
    reply = gateway.http.post("/token", data={**FORM, "grant_type": "password"})
    assert reply.status_code == 400
    assert reply.json() == {"error": "unsupported_grant_type"}


def test_missing_grant_type_is_invalid_request(gateway: Gateway) -> None:
    form = {k: v for k, v in FORM.items() if k != "grant_type"}
    reply = gateway.http.post("/token", data=form)
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_request"}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer unknown-token", "Basic Zm9vOmJhcg==", "Bearer"]
)
def test_push_without_a_valid_token_is_invalid_token(
    gateway: Gateway, authorization: str | None
) -> None:
    headers = {"Idempotency-Key": gateway.new_key()}
    if authorization is not None:
        headers["Authorization"] = authorization
    reply = gateway.http.post(PUSH_DOSSIERS, json=envelope([dossier()]), headers=headers)
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_token"}
    assert gateway.sim.store.snapshot()["dossiers"] == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/hoso?MaDonVi=000.24.24.H16", "/api/v1/hoso/000.24.24.H16-210311-0001"]
)
def test_reads_need_a_token(gateway: Gateway, path: str) -> None:
    reply = gateway.http.get(path)
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_token"}


def test_token_expires_after_its_ttl(gateway: Gateway, clock: ManualClock) -> None:
    clock.advance(3599)
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier(1)])).status_code == 200
    clock.advance(1)
    reply = gateway.push(PUSH_DOSSIERS, envelope([dossier(2)]))
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_token"}
    gateway.token = gateway.fetch_token()
    assert gateway.push(PUSH_DOSSIERS, envelope([dossier(2)])).status_code == 200
