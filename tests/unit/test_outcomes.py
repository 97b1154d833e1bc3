"""Classification of SMTP replies into delivery outcomes."""

from __future__ import annotations

import pytest

from mailyard.domain.outcomes import (
    DeliveryOutcome,
    OutcomeKind,
    SmtpReply,
    SmtpStage,
    classify_fault,
    classify_reply,
    classify_transaction,
    enhanced_code,
    escalate_if_all_refused,
    is_hard_bounce,
)

OK = SmtpReply(250, "2.0.0 OK")
GO_AHEAD = SmtpReply(354, "End data with <CR><LF>.<CR><LF>")
UNKNOWN_USER = SmtpReply(550, "5.1.1 <x@example.org>: Recipient address rejected: User unknown")
RELAY_DENIED = SmtpReply(554, "5.7.1 <x@example.org>: Relay access denied")


def test_enhanced_code() -> None:
    assert enhanced_code("5.1.1 unknown") == (5, 1, 1)
    assert enhanced_code("4.7.100 slow down") == (4, 7, 100)
    assert enhanced_code("2.0.0") == (2, 0, 0)
    assert enhanced_code("OK") is None
    assert enhanced_code("5.1.1unknown") is None
    assert enhanced_code("3.1.1 not a class") is None
    assert SmtpReply(550, "5.1.2 bad domain").enhanced_code == (5, 1, 2)


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (550, "5.1.1 User unknown", True),
        (550, "5.1.10 Null MX", True),
        (553, "5.1.3 Bad address syntax", True),
        (550, "5.7.1 Rejected by policy", False),
        (552, "5.2.2 Mailbox full", False),
        (550, "User unknown", False),  # no enhanced code: free text is not evidence enough
        (450, "4.1.1 try later", False),
        (250, "5.1.1 odd", False),
    ],
)
def test_hard_bounce(code: int, text: str, expected: bool) -> None:
    assert is_hard_bounce(code, text) is expected


@pytest.mark.parametrize(
    ("stage", "code", "text", "kind", "hard_bounce"),
    [
        (SmtpStage.MESSAGE, 250, "2.0.0 queued", OutcomeKind.SENT, False),
        (SmtpStage.CONNECT, 421, "4.3.2 busy", OutcomeKind.RETRY, False),
        (SmtpStage.RCPT, 451, "4.3.0 try later", OutcomeKind.RETRY, False),
        (SmtpStage.AUTH, 454, "4.7.0 temporary auth failure", OutcomeKind.RETRY, False),
        (SmtpStage.RCPT, 550, "5.1.1 unknown", OutcomeKind.FAILED, True),
        (SmtpStage.RCPT, 550, "mailbox unavailable", OutcomeKind.FAILED, False),
        (SmtpStage.RCPT, 554, "5.7.1 relay denied", OutcomeKind.FAILED, False),
        (SmtpStage.AUTH, 535, "5.7.8 bad credentials", OutcomeKind.TASK_ERROR, False),
        (SmtpStage.MAIL, 553, "5.1.7 bad sender", OutcomeKind.TASK_ERROR, False),
        (SmtpStage.DATA, 554, "5.5.1 no valid recipients", OutcomeKind.TASK_ERROR, False),
        (SmtpStage.CONNECT, 554, "no SMTP service here", OutcomeKind.TASK_ERROR, False),
        (SmtpStage.MESSAGE, 554, "5.7.1 content rejected", OutcomeKind.TASK_ERROR, False),
        (SmtpStage.MESSAGE, 550, "5.1.1 unknown (late)", OutcomeKind.FAILED, True),
        (SmtpStage.MESSAGE, 552, "5.2.2 mailbox full", OutcomeKind.FAILED, False),
        (SmtpStage.MESSAGE, 999, "nonsense", OutcomeKind.RETRY, False),
        (SmtpStage.MESSAGE, 0, "", OutcomeKind.RETRY, False),
    ],
)
def test_classify_reply(stage: SmtpStage, code: int, text: str, kind: OutcomeKind, hard_bounce: bool) -> None:
    assert classify_reply(stage, code, text) == DeliveryOutcome(kind, code, text, hard_bounce)


def test_faults_are_retried_without_a_code() -> None:
    outcome = classify_fault(SmtpStage.MESSAGE, "connection closed by the server")
    assert outcome == DeliveryOutcome(OutcomeKind.RETRY, 0, "message: connection closed by the server")


def test_transaction_one_outcome_per_recipient() -> None:
    outcomes = classify_transaction(
        OK, [OK, UNKNOWN_USER, SmtpReply(451, "4.3.0 later")], GO_AHEAD, SmtpReply(250, "2.0.0 queued")
    )
    assert [(o.kind, o.code, o.hard_bounce) for o in outcomes] == [
        (OutcomeKind.SENT, 250, False),
        (OutcomeKind.FAILED, 550, True),
        (OutcomeKind.RETRY, 451, False),
    ]


def test_transaction_sender_refused_is_a_task_error_for_everyone() -> None:
    outcomes = classify_transaction(SmtpReply(550, "5.7.1 not your domain"), [OK, OK], None, None)
    assert [o.kind for o in outcomes] == [OutcomeKind.TASK_ERROR] * 2


def test_transaction_data_command_and_body_replies() -> None:
    refused_data = classify_transaction(OK, [OK], SmtpReply(554, "5.5.1 no"), None)
    assert refused_data[0].kind is OutcomeKind.TASK_ERROR
    deferred_data = classify_transaction(OK, [OK], SmtpReply(451, "4.3.0 later"), None)
    assert deferred_data[0].kind is OutcomeKind.RETRY
    no_reply = classify_transaction(OK, [OK], GO_AHEAD, None)
    assert (no_reply[0].kind, no_reply[0].code) == (OutcomeKind.RETRY, 0)


def test_every_recipient_refused_for_policy_is_a_task_error() -> None:
    outcomes = classify_transaction(OK, [RELAY_DENIED, RELAY_DENIED], SmtpReply(554, "5.5.1 no rcpt"), None)
    assert [o.kind for o in outcomes] == [OutcomeKind.TASK_ERROR] * 2
    assert outcomes[0].code == 554 and "Relay access denied" in outcomes[0].reply_text


def test_every_recipient_unknown_stays_per_recipient() -> None:
    outcomes = classify_transaction(OK, [UNKNOWN_USER, UNKNOWN_USER], None, None)
    assert [(o.kind, o.hard_bounce) for o in outcomes] == [(OutcomeKind.FAILED, True)] * 2


def test_one_refused_recipient_is_just_failed() -> None:
    [outcome] = classify_transaction(OK, [RELAY_DENIED], None, None)
    assert outcome.kind is OutcomeKind.FAILED


def test_escalation_needs_every_outcome_refused() -> None:
    failed = DeliveryOutcome(OutcomeKind.FAILED, 554, "5.7.1 denied")
    sent = DeliveryOutcome(OutcomeKind.SENT, 250, "ok")
    assert escalate_if_all_refused([failed, sent]) == [failed, sent]
    assert escalate_if_all_refused([failed]) == [failed]
    assert escalate_if_all_refused([]) == []
    assert [o.kind for o in escalate_if_all_refused([failed] * 3)] == [OutcomeKind.TASK_ERROR] * 3


def test_outcomes_are_frozen() -> None:
    outcome = DeliveryOutcome(OutcomeKind.SENT, 250, "ok")
    with pytest.raises(AttributeError):
        outcome.code = 1  # type: ignore[misc]
