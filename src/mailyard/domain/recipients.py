"""Recipient lists, their recipients, and the checks an address passes once, when it enters a list."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailyard.domain import addresses, rendering
from mailyard.errors import ErrorCode, InvalidInput

MAX_PER_UPLOAD = 20_000  #: Tencent's limit per upload, part of its API's contract
MAX_PER_LIST = 50_000  #: Tencent's limit per list, part of its API's contract
NATIVE_MAX_PER_LIST = 10_000_000  #: the native API and CLI import in one streamed upload, up to this
MAX_REPORTED_INVALID_ROWS = 100
MAX_VARIABLES_BYTES = 800
MAX_ADDRESS_LENGTH = addresses.MAX_LENGTH
MAX_LIST_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 300


class ListStatus(enum.IntEnum):
    """Upload state of a list; the numbers are the Tencent API's."""

    AWAITING_UPLOAD = 1
    UPLOADING = 2
    COMPLETE = 3


@dataclass(frozen=True, kw_only=True)
class RecipientList:
    """A named list of recipients owned by an account."""

    id: int
    account_id: int
    name: str
    description: str
    total_count: int
    valid_count: int
    created_at: datetime
    created_by: int | None = None  #: the user who made it; it and admins may change it (None: admins only)

    @property
    def invalid_count(self) -> int:
        return self.total_count - self.valid_count

    @property
    def status(self) -> ListStatus:
        # Uploads finish inside their request, so a list is either empty or complete.
        return ListStatus.COMPLETE if self.total_count else ListStatus.AWAITING_UPLOAD


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """One address of a list with its own template variables; invalid ones are kept with the reason."""

    id: int
    list_id: int
    address: str
    variables: dict[str, Any] | None
    valid: bool
    reason: str | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecipientInput:
    """A recipient as uploaded, checked and ready to store."""

    address: str
    variables_json: str | None
    valid: bool
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class UploadReport:
    """What one upload did: how many arrived, were kept valid, or were rejected and why."""

    total: int
    valid: int
    too_long: int
    empty: int
    invalid: int
    repeated: int


@dataclass(frozen=True, kw_only=True)
class ListLimits:
    """How many recipients a list may hold: through the cloud door (its contract) and the native API / CLI."""

    cloud_per_upload: int = MAX_PER_UPLOAD
    cloud_per_list: int = MAX_PER_LIST
    per_list: int = NATIVE_MAX_PER_LIST


@dataclass(frozen=True, kw_only=True)
class InvalidRow:
    """A row of an import kept as invalid: where it was and why."""

    line: int
    address: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    """What one import did; `invalid_rows` names the first invalid rows (at most MAX_REPORTED_INVALID_ROWS)."""

    total: int
    valid: int
    invalid: int
    invalid_rows: tuple[InvalidRow, ...]


def variables_json(variables: object) -> str | None:
    """Normalise per-recipient variables (a JSON object or its text) to compact JSON within 800 bytes; they
    follow the rule of all template data (`rendering.check_template_data`)."""
    if variables is None or variables == "":
        return None
    try:
        if isinstance(variables, str):
            checked = rendering.read_template_data(variables)
        else:
            checked = rendering.check_template_data(variables)
    except rendering.TemplateDataError as error:
        raise _invalid_variables(str(error)) from None
    text = json.dumps(checked, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_VARIABLES_BYTES:
        raise _invalid_variables(f"template data is larger than {MAX_VARIABLES_BYTES} bytes")
    return text


def _invalid_variables(message: str) -> InvalidInput:
    return InvalidInput(message, field="variables", code=ErrorCode.RECIPIENT_VARIABLES_INVALID)


def check_recipient(address: str, variables: object = None) -> RecipientInput:
    """Check one uploaded recipient; bad variables raise, a bad address is kept as invalid with its reason."""
    cleaned = address.strip()
    try:
        kept, problem = addresses.canonical(cleaned), None
    except addresses.AddressProblem as found:
        kept, problem = cleaned, str(found)
    return RecipientInput(address=kept, variables_json=variables_json(variables), valid=problem is None, reason=problem)


def summarize_upload(rows: list[RecipientInput]) -> UploadReport:
    """Count an upload the way the Tencent API reports it."""
    seen: set[str] = set()
    repeated = 0
    for row in rows:
        if row.address in seen:
            repeated += 1
        seen.add(row.address)
    return UploadReport(
        total=len(rows),
        valid=sum(row.valid for row in rows),
        too_long=sum(len(row.address) > MAX_ADDRESS_LENGTH for row in rows),
        empty=sum(not row.address for row in rows),
        invalid=sum(not row.valid for row in rows),
        repeated=repeated,
    )


def check_list_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_LIST_NAME_LENGTH:
        raise InvalidInput(
            f"list name must be 1 to {MAX_LIST_NAME_LENGTH} characters", field="name", code=ErrorCode.LIST_NAME_INVALID
        )
    return cleaned


def check_list_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(
            f"description must be at most {MAX_DESCRIPTION_LENGTH} characters",
            field="description",
            code=ErrorCode.LIST_DESCRIPTION_TOO_LONG,
        )
    return description
