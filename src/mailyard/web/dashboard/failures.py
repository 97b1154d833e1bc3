"""Core errors → the dashboard's HTTP statuses: the native API's table (the page shows the message; scripts get
JSON), except that a member learns nothing of the tasks it may not see: those answer as if there were none."""

from __future__ import annotations

from mailyard.errors import ErrorCode
from mailyard.web.http_statuses import STATUS_BY_CODE as API_STATUS_BY_CODE

NOT_FOUND = 404

STATUS_BY_CODE: dict[ErrorCode, int] = {**API_STATUS_BY_CODE, ErrorCode.TASK_FORBIDDEN: NOT_FOUND}
