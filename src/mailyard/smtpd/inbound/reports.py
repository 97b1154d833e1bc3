"""Reading what came back: RFC 3464 delivery status notifications, RFC 5965 complaint reports, the common
non-standard bounces (through flufl.bounce, the detectors GNU Mailman uses) and RFC 3834 auto-replies.

Order matters: a structured report first (a Postfix DSN carries `Auto-Submitted: auto-replied` and is still a
bounce), then the bounce detectors (Exim's plain-text bounces carry it too), and only then the auto-reply
headers. Whatever the bytes are, `read_report` answers a report and never raises.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import email.utils
import logging
import re
from email.message import Message

from flufl.bounce import all_failures

from mailyard.domain.inbound import Failure, InboundReport, ReportKind

log = logging.getLogger(__name__)

_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
_MAX_DIAGNOSTIC = 1000


def read_report(content: bytes) -> InboundReport:
    """What a received message is; UNKNOWN when nothing in it can be read."""
    try:
        message = email.message_from_bytes(content, policy=email.policy.compat32)
        return _classify(message)
    except Exception:
        log.warning("inbound: unreadable message of %d bytes", len(content), exc_info=True)
        return InboundReport(kind=ReportKind.UNKNOWN)


def _classify(message: Message) -> InboundReport:
    report_type = message.get_param("report-type", header="content-type") if message.is_multipart() else None
    if message.get_content_type() == "multipart/report" and isinstance(report_type, str):
        if report_type.lower() == "delivery-status":
            failures = _dsn_failures(message)
            if failures:
                return InboundReport(kind=ReportKind.BOUNCE, failures=failures)
        if report_type.lower() == "feedback-report":
            return _complaint(message)
    failures = _detected_failures(message)
    if failures:
        return InboundReport(kind=ReportKind.BOUNCE, failures=failures)
    if _is_auto_reply(message):
        return InboundReport(kind=ReportKind.AUTO_REPLY)
    return InboundReport(kind=ReportKind.UNKNOWN)


def _dsn_failures(message: Message) -> tuple[Failure, ...]:
    """The per-recipient blocks of the message/delivery-status part that say failed or delayed."""
    failures: list[Failure] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        recipients = [block for block in blocks[1:] if isinstance(block, Message)] if isinstance(blocks, list) else []
        for block in recipients:
            action = str(block.get("Action", "")).strip().lower()
            status = _STATUS.search(str(block.get("Status", "")))
            if action not in ("failed", "delayed") or status is None:
                continue
            diagnostic = _without_type(str(block.get("Diagnostic-Code", ""))) or status.group(0)
            failures.append(
                Failure(
                    address=_without_type(str(block.get("Final-Recipient") or block.get("Original-Recipient") or ""))
                    or None,
                    permanent=action == "failed" and status.group(1) == "5",
                    diagnostic=_clean(diagnostic),
                )
            )
    return tuple(failures)


def _detected_failures(message: Message) -> tuple[Failure, ...]:
    """Failures the bounce detectors find; the diagnostic is the first line of the text with a status code."""
    temporary, permanent = all_failures(message)
    if not temporary and not permanent:
        return ()
    text = _first_text(message)
    line = next((line for line in text.splitlines() if _STATUS.search(line)), "")
    return tuple(
        Failure(
            address=address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address),
            permanent=is_permanent,
            diagnostic=_clean(line or ("5.0.0" if is_permanent else "4.0.0")),
        )
        for is_permanent, addresses in ((True, sorted(permanent)), (False, sorted(temporary)))
        for address in addresses
    )


def _complaint(message: Message) -> InboundReport:
    feedback_type, return_paths, message_id = None, [], None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            fields = _fields_of(part)
            feedback_type = str(fields.get("Feedback-Type", "")).strip().lower() or None
            return_paths.extend(_addresses(fields.get_all("Original-Mail-From", [])))
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            enclosed = _fields_of(part)
            return_paths.extend(_addresses(enclosed.get_all("Return-Path", [])))
            message_id = message_id or str(enclosed.get("Message-ID", "")).strip().strip("<>") or None
    return InboundReport(
        kind=ReportKind.COMPLAINT,
        feedback_type=feedback_type,
        enclosed_return_paths=tuple(dict.fromkeys(return_paths)),
        enclosed_message_id=message_id,
    )


def _fields_of(part: Message) -> Message:
    """The header fields a message/* or text/rfc822-headers part carries."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    text = payload if isinstance(payload, str) else ""
    return email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text)


def _is_auto_reply(message: Message) -> bool:
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto_submitted != "no" or precedence == "auto_reply" or any(message.get(name) for name in _AUTO_REPLY_HEADERS)
    )


def _first_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _addresses(values: list[str]) -> list[str]:
    return [address for _, address in email.utils.getaddresses([str(value) for value in values]) if address]


def _without_type(value: str) -> str:
    """`rfc822; user@example.org` → `user@example.org`; `smtp; 550 ...` → `550 ...`."""
    kind, separator, rest = value.partition(";")
    return (rest if separator and " " not in kind.strip() else value).strip()


def _clean(text: str) -> str:
    return " ".join(text.split())[:_MAX_DIAGNOSTIC]
