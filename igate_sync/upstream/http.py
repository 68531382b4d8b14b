"""Small HTTP helpers both gateway profiles share: reading replies, checking the base URL."""

from __future__ import annotations

from typing import Any

import httpx

from igate_sync.errors import ConfigError, UpstreamProtocolError


def json_or_none(response: httpx.Response) -> object:
    """The reply's JSON, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        return None


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The reply's JSON object; UpstreamProtocolError when it is anything else."""
    payload = json_or_none(response)
    if not isinstance(payload, dict):
        raise UpstreamProtocolError(f"gateway reply {response.status_code} is not a JSON object")
    return payload


def check_base_url(base_url: str) -> None:
    """ConfigError naming upstream.base_url unless it is an http(s) URL with a host."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ConfigError("upstream.base_url", "not a valid URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError("upstream.base_url", "must be an http or https URL")
