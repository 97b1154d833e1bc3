"""Read typed values out of action parameters, whatever the transport.

A TC3 POST gives JSON types (``10``, ``true``); TC3 GET and v1 give strings (``"10"``, ``"True"``,
spec 1.7.3 and gotcha 4). The schema layer calls these so both arrive as the same Python value.
A failure is ``InvalidParameter`` naming the field; a bad date is the code its action gives.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from mailyard.web.tencent.errors import TencentError

UINT64_MAX = 2**64 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,20}")
_SIGNED_DIGITS = re.compile(r"-?[0-9]{1,19}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WRONG_DATE = "InvalidParameterValue.WrongDate"


def as_uint64(value: object, name: str) -> int:
    """``uint64``: a JSON integer or a decimal string, 0 ≤ n < 2**64 (a bool is not a number)."""
    number = _integer(value, _DIGITS)
    if number is None or not 0 <= number <= UINT64_MAX:
        raise _invalid(name, "an unsigned 64-bit integer")
    return number


def as_int64(value: object, name: str) -> int:
    """``int64``: a JSON integer or a decimal string with an optional minus sign."""
    number = _integer(value, _SIGNED_DIGITS)
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        raise _invalid(name, "a signed 64-bit integer")
    return number


def as_bool(value: object, name: str) -> bool:
    """``bool``: JSON ``true``/``false`` or the strings ``True``/``False`` in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(name, "a boolean")


def as_str(value: object, name: str) -> str:
    """``string``: only a string; a JSON number where a string is expected is a type error."""
    if isinstance(value, str):
        return value
    raise _invalid(name, "a string")


def as_day(text: str, name: str, code: str = WRONG_DATE) -> date:
    """A ``YYYY-MM-DD`` date; anything else is ``code`` (each action names its own)."""
    cleaned = text.strip()
    try:
        if not _DATE.fullmatch(cleaned):
            raise ValueError(cleaned)
        return datetime.strptime(cleaned, "%Y-%m-%d").date()
    except ValueError:
        raise TencentError(code, f"{name} must be a date such as 2024-06-19.") from None


def _integer(value: object, pattern: re.Pattern[str]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and pattern.fullmatch(value):
        return int(value)
    return None


def _invalid(name: str, expected: str) -> TencentError:
    return TencentError("InvalidParameter", f"The parameter {name} must be {expected}.")
