"""Reading returned mail never raises: whatever the bytes, a report comes back."""

from __future__ import annotations

import pytest
from tests.worker import returned_mail

from mailyard.domain.inbound import ReportKind
from mailyard.smtpd.inbound.reports import read_report

RETURN_PATH = "hello+7.0123456789abcdef@bounce.news.example.com"


def test_a_dsn_marked_auto_replied_is_still_a_bounce() -> None:
    report = read_report(returned_mail.postfix_dsn(RETURN_PATH, "ann@example.org"))
    assert report.kind is ReportKind.BOUNCE
    assert [(failure.address, failure.permanent) for failure in report.failures] == [("ann@example.org", True)]
    delayed = read_report(returned_mail.postfix_dsn(RETURN_PATH, "ann@example.org", status="4.2.2", action="delayed"))
    assert [failure.permanent for failure in delayed.failures] == [False]


def test_complaints_name_the_enclosed_copy() -> None:
    report = read_report(
        returned_mail.complaint(
            "complaints@x", "dee@example.org", return_path=RETURN_PATH, message_id="1.7@news.example.com"
        )
    )
    assert report.kind is ReportKind.COMPLAINT and report.feedback_type == "abuse"
    assert report.enclosed_return_paths == (RETURN_PATH,) and report.enclosed_message_id == "1.7@news.example.com"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n",
        b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\nno boundary",
        b"Content-Type: multipart/report; report-type=feedback-report; boundary=y\r\n\r\n"
        b"--y\r\nContent-Type: message/feedback-report\r\n\r\n\xff\xfe",
        returned_mail.postfix_dsn(RETURN_PATH, "ann@example.org")[:700],
        "Subject: caf\u00e9 \u2603\r\n\r\nbody".encode(),
    ],
)
def test_garbage_and_truncated_reports_never_raise(content: bytes) -> None:
    assert read_report(content).kind in set(ReportKind)


def test_out_of_office_is_an_auto_reply() -> None:
    assert read_report(returned_mail.out_of_office(RETURN_PATH, "eve@example.org")).kind is ReportKind.AUTO_REPLY
