"""The status table: every row of upstream-contract.md section 4 (Errors)."""

from __future__ import annotations

from typing import Any

import pytest

from igate_sync.upstream.status_table import Action, classify


@pytest.mark.parametrize(
    ("status", "payload", "action"),
    [
        (200, None, Action.OK),
        (400, {"error_code": "BAD_ENVELOPE"}, Action.BUG),
        (401, {"error": "invalid_token"}, Action.RENEW_TOKEN),
        (401, {"error": "invalid_client"}, Action.CONFIG),
        (403, None, Action.CONFIG),
        (404, None, Action.NOT_FOUND),
        (413, None, Action.SPLIT),
        (422, {"error_code": "IDEMPOTENCY_KEY_REUSED"}, Action.BUG),
        (429, None, Action.WAIT),
        (500, None, Action.RETRY),
        (502, None, Action.RETRY),
        (503, None, Action.WAIT),
        (504, None, Action.RETRY),
    ],
)
def test_contract_rows(status: int, payload: dict[str, Any] | None, action: Action) -> None:
    assert classify(status, payload) is action


@pytest.mark.parametrize("status", [501, 507, 520, 599])
def test_unknown_5xx_is_retried(status: int) -> None:
    assert classify(status) is Action.RETRY


@pytest.mark.parametrize("status", [201, 204, 301, 302, 405, 409, 418, 451])
def test_anything_else_is_a_bug(status: int) -> None:
    assert classify(status) is Action.BUG


@pytest.mark.parametrize("payload", [None, {}, {"error": 3}, {"error": "something_else"}])
def test_unnamed_401_renews_the_token(payload: dict[str, Any] | None) -> None:
    assert classify(401, payload) is Action.RENEW_TOKEN
