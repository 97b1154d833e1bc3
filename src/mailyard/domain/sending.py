"""The sending engine's vocabulary: claimed deliveries, letters, recorded results and the retry policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mailyard.domain.messages import Attachment
from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
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
class Letter:
    """One rendered message on its way to one recipient; ``data`` is RFC 5322 bytes, which the mailer frames
    for its transport."""

    delivery_id: int
    task_id: int
    account_id: int
    envelope_from: str
    recipient: str
    message_id: str
    data: bytes


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


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDraft:
    """What every message of a run shares; `subject`, `text` and `html` are templates."""

    from_address: str
    from_name: str | None
    reply_to: str | None
    subject: str
    text: str | None
    html: str | None
    list_unsubscribe: str | None
    message_id_domain: str
    to: tuple[str, ...] | None = None  #: the To header; None shows each recipient its own address
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    dkim: DkimKey | None = None  #: sign every copy with this key (the sender's domain has one)


@dataclass(frozen=True, slots=True, kw_only=True)
class DkimKey:
    """A sending domain's DKIM private key, decrypted for the run that signs with it."""

    domain: str
    selector: str
    private_pem: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """A message kept by the built-in outbox instead of being relayed: the exact bytes that would be sent."""

    id: int
    account_id: int
    task_id: int | None
    delivery_id: int | None
    envelope_from: str
    recipient: str
    message_id: str
    size: int
    created_at: datetime
    content: bytes | None = None  #: only filled when one message is read
