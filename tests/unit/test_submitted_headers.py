"""What the submission door reads and changes in a submitted message's header section."""

from __future__ import annotations

import pytest

from mailyard.domain import submissions
from mailyard.domain.submissions import SubmittedHeaders, read_headers, without_bcc
from mailyard.errors import Forbidden


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


def test_the_from_address_and_the_decoded_subject_are_read() -> None:
    sender = b'From: "News, Weekly" <News@Example.COM>\r\n'
    content = sender + b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= and\r\n  more\r\n\r\nbody\r\n"
    for _ in range(2):  # the second reading comes from what was remembered, and is the same
        assert read_headers(content) == SubmittedHeaders(from_address="news@example.com", subject="Grüße and more")
    assert read_headers(b"From: a@b.example\r\n\r\nno subject\r\n").subject == ""


@pytest.mark.parametrize(
    "field", [b"From: a@b.example, c@b.example", b"From: Undisclosed:;", b"From: not an address", b"To: a@b.example"]
)
def test_a_message_without_exactly_one_from_address_is_refused_every_time(field: bytes) -> None:
    for _ in range(2):  # a refused From is refused again, not remembered as taken
        with pytest.raises(Forbidden):
            read_headers(field + b"\r\nSubject: hi\r\n\r\nbody\r\n")


def test_long_fields_are_read_but_not_remembered() -> None:
    subject, name = "news " * 20_000, "N" * 20_000
    message = f'From: "{name}" <news@example.com>\r\nSubject: {subject}\r\n\r\nbody\r\n'.encode()
    remembered = (submissions._remembered_subject.cache_info(), submissions._remembered_from_addresses.cache_info())
    for _ in range(2):
        assert read_headers(message) == SubmittedHeaders(from_address="news@example.com", subject=subject.strip())
    after = (submissions._remembered_subject.cache_info(), submissions._remembered_from_addresses.cache_info())
    assert [info.currsize for info in after] == [info.currsize for info in remembered]
