"""How long a delivery that failed for a passing reason is retried, and how often."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff: `first_delay` doubled per attempt up to `max_delay`, abandoned after `max_age`.

    The age is the sum of the delays already waited, so the decision depends only on the attempt count and
    stays the same whichever worker records it.
    """

    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(hours=24)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1-based)."""
        exponent = min(max(attempts - 1, 0), 32)  # bounded so the multiplication cannot overflow
        delay: timedelta = self.first_delay * (2**exponent)
        return min(delay, self.max_delay)

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` attempts, or None when the delivery should fail for good."""
        waited = sum((self.delay(attempt) for attempt in range(1, attempts)), timedelta())
        if waited + self.delay(attempts) > self.max_age:
            return None
        return now + self.delay(attempts)
