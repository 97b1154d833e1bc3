"""Classify SMTP replies into delivery outcomes.

The sending engine needs one decision per recipient: was it sent, should it be retried later, did it fail
for good (and is the address dead), or is something wrong with the whole task (credentials, sender, content)
so that going on would only burn through the list. This module makes that decision from reply codes alone;
it is pure and knows nothing of sockets.

Reply codes follow RFC 5321 section 4.2; enhanced status codes ("5.1.1") follow RFC 3463, whose second number
is the subject: 1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content, 7 security/policy.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

# RFC 3463 section 2: class.subject.detail, subject and detail up to three digits.
_ENHANCED_CODE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)")

# RFC 3463 subjects that describe the recipient's address or mailbox rather than the sender or the message.
_ADDRESS_SUBJECT = 1
_MAILBOX_SUBJECT = 2


class OutcomeKind(enum.Enum):
    """What the sending engine does with a delivery after an SMTP attempt."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    TASK_ERROR = "task_error"
    WAIT = "wait"  #: not attempted: every relay that could take it has used up today's quota


class SmtpStage(enum.Enum):
    """The point of an SMTP session a reply or a fault belongs to."""

    CONNECT = "connect"  # TCP/TLS connection and the server greeting
    HELLO = "hello"  # EHLO / HELO
    STARTTLS = "starttls"
    AUTH = "auth"
    MAIL = "mail"  # MAIL FROM (and RSET before it)
    RCPT = "rcpt"
    DATA = "data"  # the DATA command itself
    MESSAGE = "message"  # the message body and the reply after the final dot
    QUIT = "quit"


@dataclass(frozen=True, slots=True)
class SmtpReply:
    """One SMTP reply: its code and its text (lines joined with newlines, codes removed)."""

    code: int
    text: str

    @property
    def enhanced_code(self) -> tuple[int, int, int] | None:
        """The RFC 3463 enhanced status code the text starts with, if any."""
        return enhanced_code(self.text)

    @property
    def is_positive(self) -> bool:
        """True for 2xx and 3xx replies (completion and intermediate, RFC 5321 section 4.2.1)."""
        return 200 <= self.code < 400


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """The classified result of one attempt to deliver to one recipient.

    ``code`` is the SMTP reply code the decision rests on, or 0 when no reply was received (connection fault,
    timeout). ``hard_bounce`` is true only for failures that say the address itself is bad, so that the
    address may be suppressed.
    """

    kind: OutcomeKind
    code: int
    reply_text: str
    hard_bounce: bool = False


def enhanced_code(text: str) -> tuple[int, int, int] | None:
    """Return the enhanced status code ``(class, subject, detail)`` at the start of a reply text, or None."""
    match = _ENHANCED_CODE.match(text)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def is_hard_bounce(code: int, text: str) -> bool:
    """True when a permanent reply says the recipient address is bad (enhanced code 5.1.x, RFC 3463 3.2).

    Bare 550/551/553 replies are not counted: their text is free form and relays use the same codes for policy
    refusals, so suppressing on them would suppress good addresses.
    """
    found = enhanced_code(text)
    return 500 <= code < 600 and found is not None and found[0] == 5 and found[1] == _ADDRESS_SUBJECT


def classify_reply(stage: SmtpStage, code: int, text: str) -> DeliveryOutcome:
    """Classify the reply that decided an attempt, given the stage it answered.

    - 2xx/3xx: SENT (the caller only passes a positive reply when the message was accepted).
    - 4xx: RETRY, at any stage (RFC 5321 4.2.1: transient).
    - 5xx on RCPT: FAILED, a hard bounce for 5.1.x.
    - 5xx after the message body: FAILED when the enhanced code is about the address or mailbox (5.1.x,
      5.2.x), otherwise TASK_ERROR, since every message of a task shares sender and content.
    - 5xx anywhere else (greeting, EHLO, STARTTLS, AUTH such as 535, MAIL FROM, DATA): TASK_ERROR.
    - anything that is not a valid reply code: RETRY, as a protocol fault.
    """
    if 200 <= code < 400:
        return DeliveryOutcome(OutcomeKind.SENT, code, text)
    if 400 <= code < 500 or not 500 <= code < 600:
        return DeliveryOutcome(OutcomeKind.RETRY, code, text)
    hard_bounce = is_hard_bounce(code, text)
    if stage is SmtpStage.RCPT:
        return DeliveryOutcome(OutcomeKind.FAILED, code, text, hard_bounce)
    if stage is SmtpStage.MESSAGE and _is_about_recipient(text):
        return DeliveryOutcome(OutcomeKind.FAILED, code, text, hard_bounce)
    return DeliveryOutcome(OutcomeKind.TASK_ERROR, code, text)


def classify_fault(stage: SmtpStage, description: str) -> DeliveryOutcome:
    """Classify a connection fault or timeout (no SMTP reply): always RETRY, code 0.

    A drop after the body was sent may mean the message was delivered anyway; RFC 5321 section 6.1 accepts the
    resulting duplicate rather than a loss.
    """
    return DeliveryOutcome(OutcomeKind.RETRY, 0, f"{stage.value}: {description}")


def classify_transaction(
    mail: SmtpReply,
    recipients: Sequence[SmtpReply],
    data: SmtpReply | None,
    final: SmtpReply | None,
) -> list[DeliveryOutcome]:
    """Classify one SMTP transaction into one outcome per recipient, in order.

    ``mail`` answers MAIL FROM, ``recipients`` the RCPT TO commands, ``data`` the DATA command (None when
    it was not sent because no recipient was accepted) and ``final`` the reply after the final dot (None when
    the body was not sent).
    """
    if not mail.is_positive:
        return [classify_reply(SmtpStage.MAIL, mail.code, mail.text)] * len(recipients)
    outcomes = [_recipient_outcome(reply, data, final) for reply in recipients]
    return escalate_if_all_refused(outcomes)


def escalate_if_all_refused(outcomes: Sequence[DeliveryOutcome]) -> list[DeliveryOutcome]:
    """Turn the outcomes of a group into TASK_ERROR when every recipient was refused for a non-address reason.

    When two or more recipients are all refused permanently and none of the refusals says the address is bad,
    the relay is refusing the sender or the account (relaying denied, policy), not the recipients: the design
    stops the task instead of failing every recipient of the list. Used on one transaction and usable on any
    batch of outcomes from the same task and relay.
    """
    refused = [o for o in outcomes if o.kind is OutcomeKind.FAILED and not o.hard_bounce]
    if len(outcomes) < 2 or len(refused) != len(outcomes):
        return list(outcomes)
    return [replace(o, kind=OutcomeKind.TASK_ERROR) for o in outcomes]


def _recipient_outcome(rcpt: SmtpReply, data: SmtpReply | None, final: SmtpReply | None) -> DeliveryOutcome:
    """Outcome of one recipient whose MAIL FROM was accepted."""
    if not rcpt.is_positive:
        return classify_reply(SmtpStage.RCPT, rcpt.code, rcpt.text)
    if data is None or not data.is_positive:
        if data is None:
            return DeliveryOutcome(OutcomeKind.RETRY, 0, "data: not sent")
        return classify_reply(SmtpStage.DATA, data.code, data.text)
    if final is None:
        return DeliveryOutcome(OutcomeKind.RETRY, 0, "message: no reply after the body")
    return classify_reply(SmtpStage.MESSAGE, final.code, final.text)


def _is_about_recipient(text: str) -> bool:
    """True when an enhanced code names the address or mailbox subject (RFC 3463 3.2, 3.3)."""
    found = enhanced_code(text)
    return found is not None and found[1] in (_ADDRESS_SUBJECT, _MAILBOX_SUBJECT)
