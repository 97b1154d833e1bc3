"""Retry policy: exponential backoff with a cap, abandoned after the maximum age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailyard.domain.retries import RetryPolicy

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy()
    delays = [policy.delay(attempt) for attempt in range(1, 9)]
    assert delays[:4] == [timedelta(seconds=30 * 2**n) for n in range(4)]
    assert delays[-1] == timedelta(minutes=30) and max(delays) == timedelta(minutes=30)
    assert policy.delay(0) == timedelta(seconds=30)
    assert policy.delay(10**9) == timedelta(minutes=30)  # no overflow however many attempts


def test_retry_until_the_waits_would_pass_the_maximum_age() -> None:
    policy = RetryPolicy(
        first_delay=timedelta(minutes=1), max_delay=timedelta(minutes=4), max_age=timedelta(minutes=12)
    )
    # waits of 1, 2, 4, 4 minutes add up to 11; a fifth of 4 would reach 15
    assert [policy.retry_at(attempt, NOW) for attempt in range(1, 6)] == [
        NOW + timedelta(minutes=1),
        NOW + timedelta(minutes=2),
        NOW + timedelta(minutes=4),
        NOW + timedelta(minutes=4),
        None,
    ]


def test_the_decision_depends_only_on_the_attempt_count() -> None:
    policy = RetryPolicy()
    later = NOW + timedelta(hours=3)
    first, second = policy.retry_at(3, NOW), policy.retry_at(3, later)
    assert first is not None and second is not None and second - first == later - NOW
