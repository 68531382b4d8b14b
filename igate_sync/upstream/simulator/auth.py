"""OAuth2 client credentials of the simulated gateway: ``POST /token`` and bearer checks."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import Response

from igate_sync.upstream.simulator.replies import json_reply, oauth_error
from igate_sync.upstream.simulator.settings import Runtime

Credentials = tuple[str, str]


def _basic_credentials(header: str) -> Credentials | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None


def _form_credentials(form: dict[str, str]) -> Credentials | None:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    return (client_id, secret) if client_id is not None and secret is not None else None


def _secret_matches(given: str, expected: str) -> bool:
    # RFC 6749 2.3.1 form-encodes Basic credentials; many clients do not: accept both.
    raw = hmac.compare_digest(given.encode(), expected.encode())
    return raw or hmac.compare_digest(unquote_plus(given).encode(), expected.encode())


class TokenEndpoint:
    """Issues bearer tokens to known clients and resolves tokens back to client ids."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def _credentials(self, request: Request, form: dict[str, str]) -> Credentials | None:
        header = request.headers.get("authorization")
        return _basic_credentials(header) if header else _form_credentials(form)

    def _known_client(self, credentials: Credentials | None) -> str | None:
        if credentials is None:
            return None
        client_id = unquote_plus(credentials[0])
        spec = self._runtime.settings.clients.get(client_id)
        if spec is None or not _secret_matches(credentials[1], spec.secret):
            return None
        return client_id

    async def issue(self, request: Request) -> Response:
        """``POST /token``: client credentials in the form or as HTTP Basic."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id = self._known_client(self._credentials(request, form))
        if client_id is None:
            return oauth_error(401, "invalid_client")
        grant_type = form.get("grant_type")
        if grant_type != "client_credentials":
            return oauth_error(
                400, "invalid_request" if grant_type is None else "unsupported_grant_type"
            )
        token = secrets.token_urlsafe(32)
        self._runtime.store.save_token(token, client_id, self._runtime.now())
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self._runtime.settings.token_ttl_s,
        }
        return json_reply(200, body, {"Cache-Control": "no-store"})

    def client_of(self, request: Request) -> str | None:
        """The client id a valid bearer token belongs to; None when missing, unknown or expired."""
        token = bearer_token(request)
        record = None if token is None else self._runtime.store.find_token(token)
        if record is None or record.client_id not in self._runtime.settings.clients:
            return None
        if self._runtime.now() >= record.issued_at + self._runtime.token_lifetime():
            return None
        return record.client_id


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
