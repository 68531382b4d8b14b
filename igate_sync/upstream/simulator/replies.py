"""JSON replies of the simulated gateway, serialised one way everywhere."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.responses import Response

JSON = "application/json"


def dumps(body: object) -> str:
    """Compact UTF-8 JSON, as the gateway sends it."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def json_reply(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON reply."""
    return raw_json_reply(status, dumps(body), headers)


def raw_json_reply(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    """A reply carrying already serialised JSON (idempotent replays resend the same bytes)."""
    return Response(text.encode("utf-8"), status_code=status, headers=headers, media_type=JSON)


def error_reply(status: int, code: str, message: str) -> Response:
    """An error reply ``{"error_code", "message"}``."""
    return json_reply(status, {"error_code": code, "message": message})


def invalid_token_reply() -> Response:
    """401 for an unknown, expired or missing bearer token."""
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return json_reply(401, {"error": "invalid_token"}, headers)


def oauth_error(status: int, error: str) -> Response:
    """An OAuth2 error reply of the token endpoint."""
    headers = {"WWW-Authenticate": 'Basic realm="token"'} if status == 401 else None
    return json_reply(status, {"error": error}, headers)


class RequestError(Exception):
    """A request refused as a whole (400/403/413), with its status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def reply(self) -> Response:
        """The error reply."""
        return error_reply(self.status, self.code, self.message)
