"""What the submission door reads and changes in a submitted message's header section."""

from __future__ import annotations

from mailyard.domain.submissions import without_bcc


def test_bcc_fields_leave_the_header_section_with_their_folded_lines() -> None:
    content = (
        b"From: a@news.example.com\r\n"
        b"Bcc: hidden@example.org,\r\n"
        b"\tsecond@example.org\r\n"
        b"To: ann@example.org\r\n"
        b"BCC : third@example.org\r\n"
        b"Subject: hi\r\n"
        b"\r\n"
        b"Bcc: in the body stays\r\n"
    )
    assert without_bcc(content) == (
        b"From: a@news.example.com\r\nTo: ann@example.org\r\nSubject: hi\r\n\r\nBcc: in the body stays\r\n"
    )


def test_a_message_without_bcc_is_unchanged() -> None:
    content = b"From: a@news.example.com\nSubject: Bcc: not a field\n X-Bcc-Like: folded\n\nbody\n"
    assert without_bcc(content) == content
    assert without_bcc(b"Subject: headers only\r\n") == b"Subject: headers only\r\n"


def test_a_last_bcc_field_leaves_the_blank_line_and_body_as_they_are() -> None:
    assert without_bcc(b"From: a@b.example\r\nBcc: x@b.example\r\n\r\nbody\r\n") == b"From: a@b.example\r\n\r\nbody\r\n"
    assert without_bcc(b"Bcc: x@b.example\n\nBcc: body\n") == b"\nBcc: body\n"
