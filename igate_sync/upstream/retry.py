"""The only retry layer of igate-sync: backoff with full jitter that honours Retry-After.

Only ``UpstreamUnavailable`` is retried; every other error goes straight to the caller. A
``Retry-After`` deadline further away than ``max_inline_wait_s`` is not slept through: the
error goes up at once with ``not_before`` set, so the caller keeps the deadline in the state
store and comes back later (also after a restart).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar

import structlog
import tenacity

from igate_sync.errors import UpstreamUnavailable

T = TypeVar("T")

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]

_MAX_EXPONENT = 62


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a call to the gateway."""

    max_attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    max_inline_wait_s: float = 60.0
    # No retry storm: at most this many retries in any 60 s, whatever the number of calls.
    retries_per_minute: int = 30

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_s, self.cap_s, self.max_inline_wait_s) < 0:
            raise ValueError("retry durations must not be negative")

    def backoff_cap_s(self, attempt: int) -> float:
        """Upper bound of the jittered wait after the given failed attempt (1-based)."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return float(min(self.cap_s, self.base_s * 2**exponent))


DEFAULT_POLICY = RetryPolicy()


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """The deadline a ``Retry-After`` value sets (RFC 9110), or None when absent or garbage."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    seconds = text.isascii() and text.isdigit()  # isdigit alone accepts "¹" or "٣"
    deadline = _after_seconds(text, now) if seconds else _http_date(text)
    if deadline is None:
        return None
    return max(deadline, now)


def _after_seconds(text: str, now: datetime) -> datetime | None:
    try:
        return now + timedelta(seconds=int(text))
    except OverflowError:
        return None


def _http_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means UTC with unknown local zone; Python returns it naive.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class RetryRunner:
    """Runs a call, retrying ``UpstreamUnavailable`` as the policy allows."""

    def __init__(
        self,
        policy: RetryPolicy = DEFAULT_POLICY,
        *,
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        on_deadline: Callable[[datetime], None] | None = None,
    ) -> None:
        self.policy = policy
        # Told of every Retry-After deadline before waiting on it, so the caller can keep it
        # durably: a process killed while waiting must not call early after its restart.
        self._on_deadline = on_deadline
        self._clock = clock
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter, not crypto
        self._recent: deque[datetime] = deque()
        self.retries = 0  # every retry since start, for metrics

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn``, retrying it on ``UpstreamUnavailable``; re-raise the last failure."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(UpstreamUnavailable),
            wait=self._wait,
            stop=self._stop,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(fn)

    def seconds_left(self, exc: UpstreamUnavailable) -> float:
        """Seconds until the exception's ``not_before`` deadline (0 when none or past)."""
        if exc.not_before is None:
            return 0.0
        return max((exc.not_before - self._clock()).total_seconds(), 0.0)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        failure = _failure(state)
        if failure.not_before is not None and self._on_deadline is not None:
            self._on_deadline(failure.not_before)
        jitter = self._rng.uniform(0.0, self.policy.backoff_cap_s(state.attempt_number))
        return max(jitter, self.seconds_left(failure))

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.policy.max_attempts:
            return True
        if self.seconds_left(_failure(state)) > self.policy.max_inline_wait_s:
            return True
        return not self._spend_budget()

    def _spend_budget(self) -> bool:
        """Take one retry from the per-minute budget; False when it is spent."""
        now = self._clock()
        while self._recent and now - self._recent[0] >= timedelta(minutes=1):
            self._recent.popleft()
        if len(self._recent) >= self.policy.retries_per_minute:
            return False
        self._recent.append(now)
        return True

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        self.retries += 1
        structlog.get_logger().info(
            "upstream.retry",
            attempt=state.attempt_number,
            wait_s=round(state.upcoming_sleep, 3),
            error=str(_failure(state)),
        )


def _failure(state: tenacity.RetryCallState) -> UpstreamUnavailable:
    exc = state.outcome.exception() if state.outcome is not None else None
    if not isinstance(exc, UpstreamUnavailable):  # only these are ever retried
        raise TypeError("retry state without an UpstreamUnavailable outcome")
    return exc


__all__ = ["DEFAULT_POLICY", "RetryPolicy", "RetryRunner", "parse_retry_after", "utc_now"]
