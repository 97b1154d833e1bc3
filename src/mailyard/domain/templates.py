"""Message templates: subject, text and HTML with `{{name}}` placeholders, and their review status."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from mailyard.errors import Conflict, ErrorCode, InvalidInput

MAX_NAME_LENGTH = 100
MAX_CONTENT_BYTES = 1024 * 1024


class ReviewStatus(enum.IntEnum):
    """Review state of a template; the numbers are the Tencent API's."""

    APPROVED = 0
    PENDING = 1
    REJECTED = 2


@dataclass(frozen=True, kw_only=True)
class Template:
    """Reusable message content owned by an account."""

    id: int
    account_id: int
    name: str
    subject: str | None
    text: str | None
    html: str | None
    review_status: ReviewStatus
    created_at: datetime
    updated_at: datetime
    created_by: int | None = None  #: the user who made it; it and admins may change it (None: admins only)


def check_template_content(*, name: str, text: str | None, html: str | None) -> None:
    """A template needs a name and at least one of text and HTML, within size limits."""
    if not name.strip():
        raise InvalidInput("a template needs a name", field="name", code=ErrorCode.TEMPLATE_NAME_EMPTY)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"template name must be at most {MAX_NAME_LENGTH} characters",
            field="name",
            code=ErrorCode.TEMPLATE_NAME_TOO_LONG,
        )
    if not text and not html:
        raise InvalidInput("a template needs text, html or both", field="text", code=ErrorCode.TEMPLATE_CONTENT_EMPTY)
    for field, value in (("text", text), ("html", html)):
        if value and len(value.encode()) > MAX_CONTENT_BYTES:
            raise InvalidInput(
                f"template {field} is larger than {MAX_CONTENT_BYTES} bytes",
                field=field,
                code=ErrorCode.TEMPLATE_CONTENT_TOO_LARGE,
            )


def require_approved(template: Template) -> Template:
    """Only an approved template is sent: checked when a task is created, when a run starts and when its
    message is built, so a template sent back to review stops what would send it."""
    if template.review_status is not ReviewStatus.APPROVED:
        state = "rejected" if template.review_status is ReviewStatus.REJECTED else "waiting for review"
        raise Conflict(f"template {template.id} is {state}, not approved", code=ErrorCode.TEMPLATE_NOT_APPROVED)
    return template
