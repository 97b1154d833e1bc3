"""From and Subject of a submitted message: the plain-field reader gives what the email package's parser gives,
and leaves anything unusual to it."""

from __future__ import annotations

import email.policy
import itertools
from email.parser import HeaderParser

import pytest

from mailyard.domain import submissions

_PARSER = HeaderParser(policy=email.policy.compat32)

PLAIN = [
    "From: a@b.example\r\nSubject: hi\r\n\r\nbody",
    'From: "X, Y" <a@b.example>\r\nSubject: =?utf-8?q?h=C3=A9?=\r\n =?utf-8?q?llo?=\r\n\r\n',
    "Subject: one\r\nSubject: two\r\nfrom: A <a@b.example>\r\nFROM: c@d.example\r\n\r\n",
    "From: a@b.example\nSubject: x\n  y\n\n",
    "From: a@b.example\rSubject: x\r\r",
    "From:\r\n a@b.example\r\nSubject:\t\ttabbed\r\n\r\n",
    "From: a@b.example",
    "",
    "\r\n",
    "From: Ünï <ü@b.example>\r\nSubject: Привет\r\n\r\n",
    "From: a@b.example\r\n\tSubject: not\r\nSubject: yes\r\n\r\n",
]
UNUSUAL = [
    " leading\r\nFrom: a@b.example\r\n\r\n",
    "From a@b Mon Dec  7 00:00:00 2026\r\nFrom: a@b.example\r\n\r\n",
    "From : a@b.example\r\nSubject: x\r\n\r\n",
    "X-A: 1\r\nnot a field\r\nFrom: a@b.example\r\n\r\n",
    ":\r\nFrom: a@b.example\r\n\r\n",
]


def parsed(text: str) -> tuple[list[str], str | None]:
    headers = _PARSER.parsestr(text, headersonly=True)
    return list(headers.get_all("From") or []), headers.get("Subject")


@pytest.mark.parametrize("text", PLAIN)
def test_plain_fields_read_as_the_email_package_reads_them(text: str) -> None:
    assert submissions._plain_fields(text) == parsed(text)


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_header_sections_are_left_to_the_parser(text: str) -> None:
    assert submissions._plain_fields(text) is None


def test_every_short_mix_of_pieces_reads_the_same_or_is_left_to_the_parser() -> None:
    pieces = ["From: ", "Subject: ", "X: ", "a@b.example", " ", "\t", "\r\n", "\n", "\r", ":", "From "]
    for size in range(5):
        for combination in itertools.product(pieces, repeat=size):
            text = "".join(combination)
            found = submissions._plain_fields(text)
            assert found is None or found == parsed(text), text
