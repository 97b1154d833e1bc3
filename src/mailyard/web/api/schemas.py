"""Wire schemas of the native API (pydantic); mapped to and from domain objects in the routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mailyard.domain import identifiers

T = TypeVar("T")

Id = Annotated[int, Field(ge=1, le=identifiers.MAX_ID)]
CREATED_AT = "2026-10-01T09:30:00Z"


def with_examples(*examples: dict[str, Any]) -> ConfigDict:
    """A model's examples in the OpenAPI schema (/docs shows the first); merged with its base's config."""
    return ConfigDict(json_schema_extra={"examples": list(examples)})


def page_example(item: type[BaseModel], *, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """A listing's answer in the OpenAPI schema: one page holding its item model's first example."""
    extra = item.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{item.__name__} has no examples"
    examples = extra["examples"]
    assert isinstance(examples, list)
    page = {"items": [examples[0]], "total": 41, "offset": 40, "limit": 20}
    return {status: {"content": {"application/json": {"example": page}}}}


def _without_nul(value: Any) -> Any:
    """Refuse NUL characters anywhere in a body: PostgreSQL cannot store them in text."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    elif isinstance(value, list):
        for item in value:
            _without_nul(item)
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        return _without_nul(data)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class TemplateIn(Strict):
    model_config = with_examples(
        {
            "name": "welcome",
            "subject": "Hello {{name}}",
            "text": "Hello {{name}}!",
            "html": "<p>Hello <b>{{name}}</b>!</p>",
        }
    )

    name: Annotated[str, Field(min_length=1, max_length=100)]
    subject: Annotated[str | None, Field(max_length=400)] = None
    text: str | None = None
    html: str | None = None


class TemplateOut(BaseModel):
    id: int
    name: str
    subject: str | None
    text: str | None
    html: str | None
    review_status: Literal["approved", "pending", "rejected"]
    created_at: datetime
    updated_at: datetime


class PreviewIn(Strict):
    model_config = with_examples({"variables": {"name": "Ada"}})

    variables: dict[str, Any] = {}


class PreviewOut(BaseModel):
    subject: str | None
    text: str | None
    html: str | None
    missing: list[str]


class ListIn(Strict):
    model_config = with_examples({"name": "newsletter", "description": "Subscribers of the monthly letter"})

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=300)] = ""


class ListOut(BaseModel):
    model_config = with_examples(
        {
            "id": 1,
            "name": "newsletter",
            "description": "Subscribers of the monthly letter",
            "total_count": 3,
            "valid_count": 2,
            "invalid_count": 1,
            "status": "complete",
            "created_at": CREATED_AT,
        }
    )

    id: int
    name: str
    description: str
    total_count: int
    valid_count: int
    invalid_count: int
    status: Literal["empty", "complete"]
    created_at: datetime


class RecipientIn(Strict):
    address: Annotated[str, Field(max_length=1000)]
    variables: dict[str, Any] | None = None


class RecipientsIn(Strict):
    model_config = with_examples(
        {"recipients": [{"address": "ada@example.org", "variables": {"name": "Ada"}}, {"address": "alan@example.org"}]}
    )

    recipients: Annotated[list[RecipientIn], Field(min_length=1)]


class UploadOut(BaseModel):
    total: int
    valid: int
    invalid: int
    repeated: int


class InvalidRowOut(BaseModel):
    line: int
    address: str
    reason: str


class ImportOut(BaseModel):
    total: int
    valid: int
    invalid: int
    invalid_rows: list[InvalidRowOut]  #: the first invalid rows, with their line in the upload


class RecipientOut(BaseModel):
    id: int
    address: str
    variables: dict[str, Any] | None
    valid: bool
    reason: str | None
    created_at: datetime


class DnsRecordOut(BaseModel):
    type: str
    name: str
    expected_value: str
    current_value: str
    verified: bool


class DomainIn(Strict):
    model_config = with_examples({"domain": "example.com"})

    domain: Annotated[str, Field(min_length=1, max_length=253)]


class DomainOut(BaseModel):
    id: int
    domain: str
    verified: bool
    dns_records: list[DnsRecordOut]
    created_at: datetime


class SenderIn(Strict):
    model_config = with_examples({"address": "news@example.com", "display_name": "Example News"})

    address: Annotated[str, Field(min_length=3, max_length=254)]
    display_name: Annotated[str, Field(max_length=200)] = ""


class SmtpPasswordIn(Strict):
    model_config = with_examples({"password": "correct-horse-battery"})

    """The password a sender address signs in to SMTP submission with (kept only as a hash)."""

    password: Annotated[str, Field(min_length=10, max_length=64)]


class SenderOut(BaseModel):
    id: int
    address: str
    display_name: str
    domain_id: int
    created_at: datetime


class ScheduleIn(Strict):
    type: Literal["immediate", "scheduled", "recurring"] = "immediate"
    begin_at: datetime | None = Field(default=None, description="ISO 8601 with an offset")
    interval_hours: Annotated[int | None, Field(ge=1, le=24 * 366)] = None


class TrackingOptionIn(Strict):
    opens: bool = True
    clicks: bool = True


UnsubscribeLanguage = Literal["none", "zh-CN", "en", "zh-TW", "es", "fr", "de", "ja", "ko", "ar", "th", "id", "vi"]


#: what a task's request and its record have in common, in the examples of both
TASK_EXAMPLE: dict[str, Any] = {
    "name": "October letter",
    "from_address": "Example News <news@example.com>",
    "reply_to": "help@example.com",
    "subject": "Hello {{name}}",
    "template_id": 1,
    "variables": {"month": "October"},
    "recipient_list_id": 1,
}


class TaskIn(Strict):
    model_config = with_examples(
        {
            **TASK_EXAMPLE,
            "schedule": {"type": "scheduled", "begin_at": "2027-01-05T09:00:00+08:00"},
            "unsubscribe": "en",
            "tracking": {"opens": True, "clicks": False},
        },
        {"from_address": "news@example.com", "subject": "Hello", "template_id": 1, "recipient_list_id": 1},
    )

    name: Annotated[str | None, Field(max_length=200)] = None
    from_address: Annotated[str, Field(min_length=3, max_length=400)]
    reply_to: Annotated[str | None, Field(max_length=400)] = None
    subject: Annotated[str, Field(min_length=1, max_length=100)]
    template_id: Id
    variables: dict[str, Any] = {}
    recipient_list_id: Id
    schedule: ScheduleIn = ScheduleIn()
    #: an unsubscribe link in this language (a tag such as "en"); none: the sender address's setting decides
    unsubscribe: UnsubscribeLanguage | None = None
    #: opens and clicks of this task's copies; none: the account's setting (`/v1/account/tracking`) decides
    tracking: TrackingOptionIn | None = None


class CountersOut(BaseModel):
    requested: int
    sent: int
    cached: int
    failed: int
    skipped: int


class ScheduleOut(BaseModel):
    type: Literal["immediate", "scheduled", "recurring"]
    begin_at: datetime | None
    interval_hours: int | None
    terminated: bool


class TaskOut(BaseModel):
    model_config = with_examples(
        {
            "id": 7,
            **TASK_EXAMPLE,
            "owner": "alice",
            "schedule": {"type": "immediate", "begin_at": None, "interval_hours": None, "terminated": True},
            "paused": False,
            "state": "done",
            "error_message": None,
            "counters": {"requested": 2, "sent": 2, "cached": 0, "failed": 0, "skipped": 0},
            "next_fire_at": None,
            "created_at": CREATED_AT,
            "updated_at": "2026-10-01T09:31:12Z",
        }
    )

    id: int
    name: str
    owner: str
    from_address: str
    reply_to: str | None
    subject: str
    template_id: int | None  # None only for a message submitted over SMTP, which brings its own content
    variables: dict[str, Any]
    recipient_list_id: int | None  # None only for a single send (SendEmail), which has no list
    schedule: ScheduleOut
    paused: bool
    state: str
    error_message: str | None
    counters: CountersOut
    next_fire_at: datetime | None
    created_at: datetime
    updated_at: datetime


class GrantIn(Strict):
    model_config = with_examples({"nickname": "bob"})

    nickname: Annotated[str, Field(min_length=1, max_length=100)]


class RunOut(BaseModel):
    id: int
    task_id: int
    kind: str
    status: str
    fire_at: datetime
    requested: int
    sent: int
    failed: int
    skipped: int
    created_at: datetime
    finished_at: datetime | None


class DeliveryOut(BaseModel):
    id: int
    run_id: int
    address: str
    state: str
    attempts: int
    message_id: str
    smtp_code: int | None
    reason: str | None
    updated_at: datetime


class UserIn(Strict):
    model_config = with_examples({"nickname": "bob", "role": "member"})

    nickname: Annotated[str, Field(min_length=1, max_length=100)]
    role: Literal["admin", "member"] = "member"


class RoleIn(Strict):
    model_config = with_examples({"role": "admin"})

    role: Literal["admin", "member"]


class PasswordIn(Strict):
    model_config = with_examples({"password": "a long sign-in passphrase"})

    password: Annotated[str, Field(min_length=1, max_length=1024)]


class UserOut(BaseModel):
    id: int
    nickname: str
    role: str
    created_at: datetime


class KeyIn(Strict):
    model_config = with_examples({"user_id": 2}, {})

    user_id: Id | None = None


class KeyOut(BaseModel):
    id: int
    user_id: int
    secret_id: str
    created_at: datetime


class IssuedKeyOut(BaseModel):
    SecretId: str
    SecretKey: str
    user: UserOut


class MeOut(BaseModel):
    account: str
    user_id: int
    nickname: str
    role: str
    time_zone: str
