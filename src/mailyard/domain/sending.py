"""The sending engine's work queue: deliveries claimed by a worker, and what is recorded for each attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.domain.retries import RetryPolicy
from mailyard.domain.runs import DeliveryState


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedDelivery:
    """A delivery leased to one worker: everything needed to render and send its message."""

    id: int
    run_id: int
    task_id: int
    account_id: int
    address: str
    variables: dict[str, Any]
    attempts: int
    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryResult:
    """What to write in the ledger for one attempted delivery."""

    delivery: ClaimedDelivery
    state: DeliveryState  #: SENT, FAILED, or QUEUED for a retry
    code: int | None
    reason: str | None
    not_before: datetime | None = None
    hard_bounce: bool = False
    counts_attempt: bool = True  #: false when the message never left (it waited for a relay's quota)


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedRun:
    """A run whose last delivery just became final."""

    run_id: int
    task_id: int
    account_id: int
    manual: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedBatch:
    """Claimed deliveries skipped because their address is suppressed now (each with its reason), and the runs
    that became final through it."""

    skipped: list[tuple[ClaimedDelivery, str]]
    finished: list[FinishedRun]


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """How much waits to be sent: open deliveries, and when the longest-waiting one was last touched."""

    open: int
    oldest: datetime | None

    def oldest_age_seconds(self, now: datetime) -> float:
        return max((now - self.oldest).total_seconds(), 0.0) if self.oldest else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedBatch:
    """What recording a batch of outcomes did: the results written (deliveries still leased by the worker)
    and the runs that became final."""

    written: list[DeliveryResult]
    finished: list[FinishedRun]


def result_of(
    delivery: ClaimedDelivery, outcome: DeliveryOutcome, policy: RetryPolicy, now: datetime
) -> DeliveryResult:
    """The ledger entry for an attempt; a TASK_ERROR puts the delivery back in the queue untouched by backoff
    (the task stops, and resuming it should retry at once)."""
    code = outcome.code or None
    reason = f"{outcome.code} {outcome.reply_text}".strip() if outcome.code else outcome.reply_text
    if outcome.kind is OutcomeKind.SENT:
        return DeliveryResult(delivery=delivery, state=DeliveryState.SENT, code=code, reason=None)
    if outcome.kind is OutcomeKind.FAILED:
        return DeliveryResult(
            delivery=delivery,
            state=DeliveryState.FAILED,
            code=code,
            reason=reason,
            hard_bounce=outcome.hard_bounce,
        )
    if outcome.kind is OutcomeKind.TASK_ERROR:
        return DeliveryResult(delivery=delivery, state=DeliveryState.QUEUED, code=code, reason=reason)
    if outcome.kind is OutcomeKind.WAIT:
        return DeliveryResult(
            delivery=delivery, state=DeliveryState.QUEUED, code=None, reason=reason, counts_attempt=False
        )
    retry_at = policy.retry_at(delivery.attempts + 1, now)
    if retry_at is None:
        return DeliveryResult(
            delivery=delivery, state=DeliveryState.FAILED, code=code, reason=f"gave up retrying: {reason}"
        )
    return DeliveryResult(delivery=delivery, state=DeliveryState.QUEUED, code=code, reason=reason, not_before=retry_at)
