"""Tasks: send a template to a recipient list now, at a time, or every N hours; owned by a user."""

from __future__ import annotations

import email.utils
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailyard.errors import ErrorCode, InvalidInput

MAX_SUBJECT_LENGTH = 100
MAX_INTERVAL_HOURS = 24 * 366
# Calendar times Mailyard accepts, wall-clock whatever the offset: earlier or later ones overflow once moved to
# UTC or on by an interval, and no mail is sent before 1970 anyway.
EARLIEST_BEGIN_AT = datetime(1970, 1, 2)
LATEST_BEGIN_AT = datetime(9998, 1, 1)


class TaskType(enum.IntEnum):
    """How a task fires; the numbers are the Tencent API's."""

    IMMEDIATE = 1
    SCHEDULED = 2
    RECURRING = 3


class TaskKind(enum.StrEnum):
    """A batch task sends to a recipient list; a single send (SendEmail) to its own few addresses."""

    BATCH = "batch"
    SINGLE = "single"


class TaskState(enum.StrEnum):
    """Where a task is in its life; cloud status codes are derived from it."""

    PENDING = "pending"  #: waiting for its (next) fire time
    SENDING = "sending"  #: a run has deliveries not yet final
    SUSPENDED = "suspended"  #: the daily quota ran out; resumes in the next day
    ERROR = "error"  #: stopped by a permanent fault (see error_message); resume retries
    DONE = "done"  #: nothing more to send
    CANCELLED = "cancelled"  #: stopped for good by its owner


#: A task in one of these states sends nothing more; any other may still send (an error can be resumed).
FINAL_STATES = frozenset({TaskState.DONE, TaskState.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When a task fires. Times are UTC-aware; recurring tasks repeat every `interval_hours`."""

    type: TaskType
    begin_at: datetime | None = None
    interval_hours: int | None = None
    terminated: bool = False

    def __post_init__(self) -> None:
        if self.type is not TaskType.IMMEDIATE and self.begin_at is None:
            raise InvalidInput("scheduled and recurring tasks need a begin time", field="begin_at")
        if self.begin_at is not None and not EARLIEST_BEGIN_AT <= self.begin_at.replace(tzinfo=None) < LATEST_BEGIN_AT:
            raise InvalidInput(
                f"begin time must be between {EARLIEST_BEGIN_AT:%Y-%m-%d} and {LATEST_BEGIN_AT:%Y-%m-%d}",
                field="begin_at",
                code=ErrorCode.DATE_OUT_OF_RANGE,
            )
        if self.type is TaskType.RECURRING and not 1 <= (self.interval_hours or 0) <= MAX_INTERVAL_HOURS:
            raise InvalidInput(
                f"a recurring task needs an interval of 1 to {MAX_INTERVAL_HOURS} hours",
                field="interval_hours",
            )


@dataclass(frozen=True, kw_only=True)
class Counters:
    """Ledger totals over every run of a task; kept in the same transaction as the ledger rows."""

    requested: int = 0
    sent: int = 0
    cached: int = 0  #: queued or waiting (retry, quota) but not yet sent
    failed: int = 0
    skipped: int = 0  #: suppressed or invalid recipients, never sent to


@dataclass(frozen=True, kw_only=True)
class Task:
    """One mail task: a batch task, or a single send (no list; its deliveries were written directly)."""

    id: int
    account_id: int
    owner_id: int
    owner_nickname: str
    name: str
    from_address: str
    reply_to: str | None
    subject: str
    template_id: int | None  #: None for a message submitted over SMTP, which brings its own content
    variables: dict[str, Any]
    recipient_list_id: int | None
    schedule: Schedule
    paused: bool
    state: TaskState
    error_message: str | None
    counters: Counters
    next_fire_at: datetime | None
    unsubscribe: str | None
    created_at: datetime
    updated_at: datetime
    kind: TaskKind = TaskKind.BATCH
    cc: tuple[str, ...] = ()  #: Cc addresses of a single send, shown in its Cc header
    bcc: tuple[str, ...] = ()  #: Bcc addresses of a single send, never shown


@dataclass(frozen=True, kw_only=True)
class TaskDraft:
    """What a caller asks for when creating a task; checked before it is stored."""

    name: str | None
    from_address: str
    reply_to: str | None
    subject: str
    template_id: int
    variables: dict[str, Any]
    recipient_list_id: int
    schedule: Schedule
    unsubscribe: str | None = None


@dataclass(frozen=True, kw_only=True)
class FiredTask:
    """What firing a scheduled task changes on it: its next fire time always, its state and counters when a run
    started."""

    task_id: int
    next_fire_at: datetime | None
    state: TaskState | None  #: None: left as it is (that fire time had run already)
    queued: int = 0  #: ledger rows the run queued
    skipped: int = 0  #: ledger rows the run skipped at once


@dataclass(frozen=True, kw_only=True)
class TaskFilter:
    """Filters for listing tasks; None means any."""

    state: TaskState | None = None
    states: tuple[TaskState, ...] | None = None  #: any of these (a cloud status can cover several)
    type: TaskType | None = None
    recipient_list_id: int | None = None
    owner_nickname: str | None = None
    paused: bool | None = None


def sender_address(from_field: str) -> str:
    """The bare address of a From field (`Name <addr>` or `addr`), lower case; empty when there is none."""
    _name, address = email.utils.parseaddr(from_field.strip())
    return address.lower() if "@" in address else ""


def check_subject(subject: str) -> str:
    """The subject of a task or a single send: 1 to 100 characters."""
    if not 1 <= len(subject) <= MAX_SUBJECT_LENGTH:
        raise InvalidInput(
            f"subject must be 1 to {MAX_SUBJECT_LENGTH} characters", field="subject", code=ErrorCode.SUBJECT_LENGTH
        )
    return subject
