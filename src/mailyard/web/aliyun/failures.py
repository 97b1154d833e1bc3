"""Core errors → Quick BI business errors, in one table (all HTTP 400 per the API reference)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mailyard import errors
from mailyard.web.aliyun.errors import AliyunError

NOT_FOUND = ("Mail.Not.Found", "The Subscription Task Does Not Exist.")
FORBIDDEN = ("Mail.Forbidden.Access", "Forbidden Access On This Operation.")

ERRORS_BY_CODE: dict[str, tuple[str, str]] = {
    "task_not_found": NOT_FOUND,
    "run_not_found": NOT_FOUND,
    "task_forbidden": FORBIDDEN,
    "task_already_running": ("MailTask.Already.Running", "The Mail Task Is Already Running."),
    "task_paused": ("Timer.Schedule.Task", "The mail task is paused; resume it before running it."),
    "task_cancelled": ("Timer.Schedule.Task", "The mail task was cancelled and cannot run again."),
    "admin_required": ("UserRoleConfig.NotContain.Function", "Your role does not include this function."),
}


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise a core error as the Quick BI error the SDK expects."""
    try:
        yield
    except errors.MailyardError as error:
        code, message = ERRORS_BY_CODE.get(error.code, ("Invalid.Parameter.Error", f"The parameter is invalid:{error}"))
        if isinstance(error, errors.Forbidden) and error.code not in ERRORS_BY_CODE:
            code, message = FORBIDDEN
        raise AliyunError(code, message) from error
