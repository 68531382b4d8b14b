"""The one table from a gateway reply status to what the client does next.

Rows follow upstream-contract.md section 4 (Errors). Anything the table does not name is
classified by its class: an unknown 5xx is gateway trouble (retry), an unknown 4xx or an
unexpected 1xx/2xx/3xx is a bug of ours (never retried).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, auto
from typing import Any


class Action(Enum):
    """What the client does with a reply."""

    OK = auto()
    NOT_FOUND = auto()
    RENEW_TOKEN = auto()
    CONFIG = auto()
    BUG = auto()
    SPLIT = auto()
    RETRY = auto()
    WAIT = auto()


STATUS_TABLE: Mapping[int, Action] = {
    200: Action.OK,
    400: Action.BUG,
    403: Action.CONFIG,
    404: Action.NOT_FOUND,
    413: Action.SPLIT,
    422: Action.BUG,
    429: Action.WAIT,
    500: Action.RETRY,
    502: Action.RETRY,
    503: Action.WAIT,
    504: Action.RETRY,
}

# A 401 is decided by the OAuth2 ``error`` field. An unnamed 401 renews the token: if the
# credentials are really wrong, the token endpoint then answers ``invalid_client``.
UNAUTHORIZED_TABLE: Mapping[str, Action] = {
    "invalid_token": Action.RENEW_TOKEN,
    "invalid_client": Action.CONFIG,
}


def classify(status: int, payload: Mapping[str, Any] | None = None) -> Action:
    """The action for a reply with this status and (parsed JSON) payload."""
    if status == 401:
        error = (payload or {}).get("error")
        return UNAUTHORIZED_TABLE.get(error if isinstance(error, str) else "", Action.RENEW_TOKEN)
    if status in STATUS_TABLE:
        return STATUS_TABLE[status]
    return Action.RETRY if 500 <= status <= 599 else Action.BUG


__all__ = ["STATUS_TABLE", "UNAUTHORIZED_TABLE", "Action", "classify"]
