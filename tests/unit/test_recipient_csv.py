"""Reading recipients from CSV: an address column and variables, line numbers, and clear errors."""

from __future__ import annotations

import pytest

from mailyard.domain.recipient_csv import read_recipient_rows, read_recipients_csv
from mailyard.errors import InvalidInput


def test_columns_become_variables_and_the_variables_column_merges() -> None:
    text = 'Email,name,variables\nada@example.org,Ada,"{""team"": ""core""}"\n\nalan@example.org,,\n'
    assert list(read_recipient_rows(text.splitlines(keepends=True))) == [
        (2, "ada@example.org", {"name": "Ada", "team": "core"}),
        (4, "alan@example.org", None),
    ]


def test_a_file_without_an_address_column_is_one_address_per_line() -> None:
    assert list(read_recipients_csv("\ufeffada@example.org\nalan@example.org\n")) == [
        ("ada@example.org", None),
        ("alan@example.org", None),
    ]
    assert list(read_recipients_csv("")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'email,variables\nada@example.org,"[1, 2]"\n',
            "line 2: variables column: template data must be a JSON object",
        ),
        ("email,variables\nada@example.org,{oops\n", "line 2: variables column: template data is not valid JSON"),
        ("email,name\nada@example.org,A\x00da\n", "line 2: the CSV must not contain NUL characters"),
    ],
)
def test_unreadable_rows_name_their_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        list(read_recipient_rows(text.splitlines(keepends=True)))
