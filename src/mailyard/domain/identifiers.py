"""Ids of stored things (tasks, runs, templates, recipient lists, blacklist entries): positive signed 64-bit
integers, as both databases store them. A larger one names nothing, and would overflow the database's
parameter, so it is refused where it enters rather than failing in the store."""

from __future__ import annotations

from mailyard.errors import ErrorCode, InvalidInput

MAX_ID = 2**63 - 1


def check_id(value: int, field: str) -> int:
    if not 0 <= value <= MAX_ID:
        raise InvalidInput(f"{field} must be an id from 0 to {MAX_ID}", field=field, code=ErrorCode.ID_OUT_OF_RANGE)
    return value
