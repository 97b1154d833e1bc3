"""The rules the doors used to repeat, each once in the domain with its stable code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mailyard.domain import identifiers, messages, recipients, rendering, schedules, tasks, templates, unsubscribe
from mailyard.errors import ErrorCode, InvalidInput


def code_of(call: object) -> ErrorCode:
    assert callable(call)
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.code


def test_the_subject_is_1_to_100_characters() -> None:
    assert tasks.check_subject("s" * 100) == "s" * 100
    assert code_of(lambda: tasks.check_subject("")) is ErrorCode.SUBJECT_LENGTH
    assert code_of(lambda: tasks.check_subject("s" * 101)) is ErrorCode.SUBJECT_LENGTH


@pytest.mark.parametrize(("option", "kept"), [(None, None), ("0", None), ("1", "1"), ("12", "12"), (" 2 ", "2")])
def test_a_task_option_is_0_to_12(option: str | None, kept: str | None) -> None:
    assert unsubscribe.check_task_option(option) == kept


@pytest.mark.parametrize("option", ["13", "-1", "", "one"])
def test_other_task_options_are_refused(option: str) -> None:
    assert code_of(lambda: unsubscribe.check_task_option(option)) is ErrorCode.UNSUBSCRIBE_OPTION_INVALID


@pytest.mark.parametrize(
    "reply_to", ["help@example.com\r\nBcc: x@example.org", "help\n@example.com", "a b@example.com", "no-at"]
)
def test_a_reply_to_is_one_plain_address(reply_to: str) -> None:
    assert code_of(lambda: messages.check_reply_to(reply_to)) is ErrorCode.REPLY_TO_INVALID


def test_a_blank_reply_to_is_none() -> None:
    assert messages.check_reply_to("  ") is None
    assert messages.check_reply_to(" Help@Example.com ") == "help@example.com"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{"a": ' + "9" * 5000 + "}", "at most 30 digits"),
        ('{"a": ' + "9" * 31 + "}", "at most 30 digits"),
        # Deep enough for the parser of every supported Python (3.13 takes 5,000 levels).
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"a": {"b": 1}}', "not an object"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_template_data_is_an_object_of_small_scalars(source: str, message: str) -> None:
    with pytest.raises(rendering.TemplateDataError, match=message):
        rendering.read_template_data(source)


def test_template_data_keeps_its_json_values() -> None:
    source = '{"n": ' + "9" * 30 + ', "s": "x", "b": true, "f": 1.5, "z": null}'
    assert rendering.read_template_data(source) == {"n": int("9" * 30), "s": "x", "b": True, "f": 1.5, "z": None}
    with pytest.raises(rendering.TemplateDataError):
        rendering.check_template_data({"n": 10**40})


def test_ids_are_signed_64_bit() -> None:
    assert identifiers.check_id(2**63 - 1, "id") == 2**63 - 1
    assert code_of(lambda: identifiers.check_id(2**63, "id")) is ErrorCode.ID_OUT_OF_RANGE


def test_days_before_1970_or_after_9997_are_refused() -> None:
    assert schedules.check_day(date(2026, 1, 31), "day") == date(2026, 1, 31)
    for day in (date(1, 1, 1), date(1969, 12, 31), date(9999, 12, 31)):
        assert code_of(lambda day=day: schedules.check_day(day, "day")) is ErrorCode.DATE_OUT_OF_RANGE
    assert code_of(lambda: schedules.parse_local_time("0001-01-01 00:00:00", "Asia/Shanghai")) is (
        ErrorCode.DATE_OUT_OF_RANGE
    )


def test_a_begin_time_before_1970_is_refused() -> None:
    early = datetime(1, 1, 1, 8, tzinfo=UTC)
    schedule = lambda: tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=early)  # noqa: E731
    assert code_of(schedule) is ErrorCode.DATE_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        (" ", "x", ErrorCode.TEMPLATE_NAME_EMPTY),
        ("n" * 101, "x", ErrorCode.TEMPLATE_NAME_TOO_LONG),
        ("n", None, ErrorCode.TEMPLATE_CONTENT_EMPTY),
        ("n", "x" * (templates.MAX_CONTENT_BYTES + 1), ErrorCode.TEMPLATE_CONTENT_TOO_LARGE),
    ],
)
def test_template_content_rules_carry_their_codes(name: str, text: str | None, code: ErrorCode) -> None:
    assert code_of(lambda: templates.check_template_content(name=name, text=text, html=None)) is code


def test_list_name_and_description_rules_carry_their_codes() -> None:
    assert recipients.check_list_name(" readers ") == "readers"
    assert code_of(lambda: recipients.check_list_name(" ")) is ErrorCode.LIST_NAME_INVALID
    assert code_of(lambda: recipients.check_list_name("n" * 201)) is ErrorCode.LIST_NAME_INVALID
    assert code_of(lambda: recipients.check_list_description("d" * 301)) is ErrorCode.LIST_DESCRIPTION_TOO_LONG
