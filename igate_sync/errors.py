"""One exception tree for igate-sync, grouped by what the caller does next.

``IgateSyncError``
    ``TransientError``: try again later; nothing is lost (the outbox keeps the work).
        ``UpstreamUnavailable``: gateway down, 429/5xx, timeout, reset. ``not_before`` is the
        earliest time a new request may go out (from ``Retry-After``), or ``None``.
        ``SourceUnavailable``: the source database cannot be reached right now.
        ``StateLocked``: another process holds the state database.
    ``StopError``: stop the job and tell the operator; retrying will not help.
        ``ConfigError``: a bad or missing configuration key (``key`` names it).
        ``UpstreamAuthError``: wrong client credentials (``invalid_client``).
        ``UpstreamForbidden``: the agency code is not allowed for this client (403).
        ``UpstreamProtocolError``: the gateway rejected the envelope (400/422): a bug of ours.
    ``BatchTooLarge``: the gateway refused the batch size (413): split and send again.

Data problems in a single source row are not exceptions that travel: the adapter turns them
into a quarantine record with a reason code, and the run goes on.
"""

from __future__ import annotations

from datetime import datetime


class IgateSyncError(Exception):
    """Root of every error igate-sync raises on purpose."""


class TransientError(IgateSyncError):
    """Try again later; nothing is lost."""


class UpstreamUnavailable(TransientError):
    """The gateway cannot take requests now."""

    def __init__(self, message: str, *, not_before: datetime | None = None) -> None:
        super().__init__(message)
        self.not_before = not_before


class SourceUnavailable(TransientError):
    """A source database cannot be reached now."""


class StateLocked(TransientError):
    """Another igate-sync process holds the state database."""


class StopError(IgateSyncError):
    """Stop and tell the operator: retrying will not help."""


class ConfigError(StopError):
    """A configuration key is missing or invalid."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


class UpstreamAuthError(StopError):
    """The gateway refused the client credentials."""


class UpstreamForbidden(StopError):
    """The gateway does not allow this agency code for this client."""


class UpstreamProtocolError(StopError):
    """The gateway rejected the request envelope: a bug in igate-sync."""


class BatchTooLarge(IgateSyncError):
    """The gateway refused the batch size: split it and send again."""
