"""Every core error code has a translation in every front door's one table, and the doors use it."""

from __future__ import annotations

import pytest

from mailyard.errors import Conflict, ErrorCode, Forbidden, InvalidInput, MailyardError, NotFound
from mailyard.smtpd.submission import replies as submission_replies
from mailyard.web.aliyun import failures as aliyun_failures
from mailyard.web.api import errors as api_errors
from mailyard.web.dashboard import failures as dashboard_failures
from mailyard.web.tencent import failures as tencent_failures

DOOR_TABLES = {
    "tencent": tencent_failures.ERRORS_BY_CODE,
    "aliyun": aliyun_failures.ERRORS_BY_CODE,
    "native api": api_errors.STATUS_BY_CODE,
    "smtp submission": submission_replies.REPLIES_BY_CODE,
    "dashboard": dashboard_failures.STATUS_BY_CODE,
}


@pytest.mark.parametrize("door", sorted(DOOR_TABLES))
def test_every_code_has_a_translation_in_the_door(door: str) -> None:
    table = DOOR_TABLES[door]
    assert [code.name for code in ErrorCode if code not in table] == []
    assert [code for code in table if not isinstance(code, ErrorCode)] == []


@pytest.mark.parametrize(
    ("error", "kind_code"),
    [
        (InvalidInput("x"), ErrorCode.INVALID_INPUT),
        (NotFound("x"), ErrorCode.NOT_FOUND),
        (Forbidden("x"), ErrorCode.FORBIDDEN),
        (Conflict("x"), ErrorCode.CONFLICT),
    ],
)
def test_an_error_without_its_own_code_carries_its_kinds(error: MailyardError, kind_code: ErrorCode) -> None:
    assert error.code is kind_code


def test_the_codes_are_stable_strings() -> None:
    assert ErrorCode.SUBJECT_LENGTH == "subject_length"
    assert len({code.value for code in ErrorCode}) == len(ErrorCode)


def test_tencent_translates_by_code() -> None:
    own = tencent_failures.translate_error(InvalidInput("bad thing", code=ErrorCode.INVALID_INPUT))
    assert own is not None and (own.code, own.message) == ("InvalidParameterValue", "bad thing")
    fixed = tencent_failures.translate_error(InvalidInput("x", code=ErrorCode.SUBJECT_LENGTH))
    assert fixed is not None and fixed.code == "InvalidParameterValue.SubjectLengthError"
    assert tencent_failures.translate_error(RuntimeError("x")) is None


def test_aliyun_translates_by_code() -> None:
    running = aliyun_failures.translate_error(Conflict("x", code=ErrorCode.TASK_ALREADY_RUNNING))
    assert running is not None and running.code == "MailTask.Already.Running"
    invalid = aliyun_failures.translate_error(InvalidInput("bad thing"))
    assert invalid is not None and invalid.message == "The parameter is invalid:bad thing"
    assert aliyun_failures.translate_error(RuntimeError("x")) is None
