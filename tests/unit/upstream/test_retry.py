"""Retry-After parsing and the retry runner, on a fake clock that advances as it sleeps."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igate_sync.errors import UpstreamAuthError, UpstreamUnavailable
from igate_sync.upstream.retry import RetryPolicy, RetryRunner, parse_retry_after

START = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)


class FakeTime:
    """A clock and a sleep that move together; records every sleep."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


class Flaky:
    """A callable that raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def runner(fake: FakeTime, policy: RetryPolicy | None = None) -> RetryRunner:
    return RetryRunner(
        policy or RetryPolicy(), clock=fake.clock, sleep=fake.sleep, rng=random.Random(1)
    )


# --- parse_retry_after ---------------------------------------------------------------------


def test_seconds() -> None:
    assert parse_retry_after("120", START) == START + timedelta(seconds=120)
    assert parse_retry_after(" 0 ", START) == START


def test_http_date() -> None:
    value = format_datetime(START + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(value, START) == START + timedelta(seconds=90)


def test_http_date_in_another_zone_compares_as_instant() -> None:
    moment = (START + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=7)))
    assert parse_retry_after(format_datetime(moment), START) == START + timedelta(minutes=5)


def test_past_date_means_now() -> None:
    value = format_datetime(START - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(value, START) == START


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "-5", "1.5", "¹", "٣٠", "Mon, 99 Foo 2024", "9" * 40]
)
def test_absent_or_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, START) is None


@given(st.text(max_size=40))
def test_never_raises_and_never_in_the_past(value: str) -> None:
    deadline = parse_retry_after(value, START)
    assert deadline is None or (deadline.tzinfo is not None and deadline >= START)


# --- RetryPolicy -----------------------------------------------------------------------------


def test_policy_defaults_and_caps() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_s, policy.cap_s, policy.max_inline_wait_s) == (
        5,
        0.5,
        30.0,
        60.0,
    )
    assert [policy.backoff_cap_s(n) for n in (1, 2, 3, 4, 8, 10_000)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        30.0,
        30.0,
    ]


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base_s": -1.0}, {"cap_s": -0.1}])
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


# --- RetryRunner -----------------------------------------------------------------------------


def test_success_needs_no_sleep() -> None:
    fake = FakeTime()
    assert runner(fake).call(Flaky()) == "done"
    assert fake.sleeps == []


def test_retries_with_full_jitter_under_the_exponential_caps() -> None:
    fake, policy = FakeTime(), RetryPolicy()
    fn = Flaky(*(UpstreamUnavailable("500") for _ in range(4)))
    assert runner(fake, policy).call(fn) == "done"
    assert fn.calls == 5
    assert len(fake.sleeps) == 4
    for attempt, wait in enumerate(fake.sleeps, start=1):
        assert 0.0 <= wait <= policy.backoff_cap_s(attempt)


def test_jitter_spreads_the_waits() -> None:
    waits: set[float] = set()
    for seed in range(5):
        fake = FakeTime()
        rr = RetryRunner(clock=fake.clock, sleep=fake.sleep, rng=random.Random(seed))
        rr.call(Flaky(UpstreamUnavailable("502")))
        waits.update(fake.sleeps)
    assert len(waits) == 5


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    fake = FakeTime()
    last = UpstreamUnavailable("last", not_before=START + timedelta(seconds=2))
    fn = Flaky(*(UpstreamUnavailable(str(n)) for n in range(2)), last, UpstreamUnavailable("x"))
    with pytest.raises(UpstreamUnavailable) as caught:
        runner(fake, RetryPolicy(max_attempts=3)).call(fn)
    assert caught.value is last
    assert caught.value.not_before == START + timedelta(seconds=2)
    assert fn.calls == 3
    assert len(fake.sleeps) == 2


def test_other_errors_propagate_at_once() -> None:
    fake = FakeTime()
    fn = Flaky(UpstreamAuthError("invalid_client"))
    with pytest.raises(UpstreamAuthError):
        runner(fake).call(fn)
    assert fn.calls == 1
    assert fake.sleeps == []


def test_never_wakes_before_the_retry_after_deadline() -> None:
    fake = FakeTime()
    deadline = START + timedelta(seconds=45)
    fn = Flaky(UpstreamUnavailable("429", not_before=deadline))
    assert runner(fake).call(fn) == "done"
    assert fake.sleeps[0] >= 45
    assert fake.now >= deadline


def test_far_deadline_goes_up_at_once() -> None:
    fake = FakeTime()
    deadline = START + timedelta(seconds=61)
    fn = Flaky(UpstreamUnavailable("429", not_before=deadline))
    with pytest.raises(UpstreamUnavailable) as caught:
        runner(fake).call(fn)
    assert caught.value.not_before == deadline
    assert fn.calls == 1
    assert fake.sleeps == []


def test_deadline_exactly_at_the_inline_limit_is_slept_through() -> None:
    fake = FakeTime()
    fn = Flaky(UpstreamUnavailable("503", not_before=START + timedelta(seconds=60)))
    assert runner(fake).call(fn) == "done"
    assert fake.sleeps[0] >= 60


def test_retry_budget_bounds_retries_per_minute_across_calls() -> None:
    from datetime import UTC, datetime, timedelta

    from igate_sync.errors import UpstreamUnavailable
    from igate_sync.upstream.retry import RetryPolicy, RetryRunner

    now = [datetime(2026, 11, 27, tzinfo=UTC)]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += timedelta(seconds=seconds)

    runner = RetryRunner(
        RetryPolicy(max_attempts=5, base_s=0.0, cap_s=0.0, retries_per_minute=6),
        clock=lambda: now[0],
        sleep=sleep,
    )
    calls = 0

    def down() -> None:
        nonlocal calls
        calls += 1
        raise UpstreamUnavailable("down")

    for _ in range(4):
        with contextlib.suppress(UpstreamUnavailable):
            runner.call(down)
    assert len(waits) == 6  # 4 calls x up to 4 retries, but only 6 retries in the minute
    assert calls == 4 + 6
    now[0] += timedelta(minutes=1)
    with contextlib.suppress(UpstreamUnavailable):
        runner.call(down)
    assert len(waits) == 10  # a new minute, a new budget


def test_a_retry_after_deadline_is_handed_over_before_the_wait() -> None:
    from datetime import UTC, datetime, timedelta

    from igate_sync.errors import UpstreamUnavailable
    from igate_sync.upstream.retry import RetryPolicy, RetryRunner

    now = [datetime(2026, 11, 27, tzinfo=UTC)]
    events: list[tuple[str, object]] = []
    deadline = now[0] + timedelta(seconds=5)

    def sleep(seconds: float) -> None:
        events.append(("sleep", seconds))
        now[0] += timedelta(seconds=seconds)

    runner = RetryRunner(
        RetryPolicy(max_attempts=2, base_s=0.0, cap_s=0.0),
        clock=lambda: now[0],
        sleep=sleep,
        on_deadline=lambda until: events.append(("deadline", until)),
    )
    attempts = iter([UpstreamUnavailable("429", not_before=deadline), None])

    def call() -> str:
        error = next(attempts)
        if error is not None:
            raise error
        return "ok"

    assert runner.call(call) == "ok"
    assert events == [("deadline", deadline), ("sleep", 5.0)]  # kept before waiting on it
