"""Mail that comes back: delivery status notifications, complaint reports and auto-replies, as read by the
inbound listener, and the rules for what a bounce does.

RFC 3463 status codes: 5.x.x is permanent (a hard bounce), 4.x.x transient (a soft bounce). RFC 5965 complaint
reports carry a `Feedback-Type` (`abuse` and the like). RFC 3834 auto-replies are neither.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from mailyard.domain.events import DeliveryRef
from mailyard.domain.runs import DeliveryState


class ReportKind(enum.StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One recipient a bounce reports on."""

    address: str | None  #: the final recipient, when the report names one
    permanent: bool
    diagnostic: str  #: the remote server's words, or the status code when it gave none


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundReport:
    """What a received message says, whatever its format."""

    kind: ReportKind
    failures: tuple[Failure, ...] = ()
    feedback_type: str | None = None  #: a complaint's Feedback-Type
    enclosed_return_paths: tuple[str, ...] = ()  #: envelope senders named by the enclosed original
    enclosed_message_id: str | None = None  #: the enclosed original's Message-ID, without brackets


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMail:
    """A message the inbound listener accepted."""

    mail_from: str
    recipients: tuple[str, ...]
    content: bytes
    report: InboundReport


@dataclass(frozen=True, slots=True, kw_only=True)
class BouncedDelivery:
    """A delivery a message came back about, with its ledger state."""

    ref: DeliveryRef
    state: DeliveryState
    sending_domain: str  #: the domain of its task's sender


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptMessage:
    """A message that could not be attributed, kept for inspection."""

    id: int
    mail_from: str
    recipient: str
    kind: ReportKind
    problem: str
    size: int
    received_at: datetime


def failure_for(report: InboundReport, address: str) -> Failure | None:
    """The bounce's failure for a delivery's address, a permanent one first. A VERP copy has one recipient,
    so when no failure names the address (an alias forwarded it elsewhere) the report's others are about it."""
    named = [failure for failure in report.failures if (failure.address or "").lower() == address.lower()]
    candidates = named or list(report.failures)
    return next((failure for failure in candidates if failure.permanent), candidates[0] if candidates else None)


def soft_run_is_complete(latest_bounces: list[tuple[int, bool]], limit: int) -> bool:
    """Whether the address's latest bounces (delivery id, permanent), newest first, are `limit` soft bounces
    of as many different copies in a row."""
    deliveries: set[int] = set()
    for delivery_id, permanent in latest_bounces:
        if permanent:
            return False
        deliveries.add(delivery_id)
        if len(deliveries) >= limit:
            return True
    return False
