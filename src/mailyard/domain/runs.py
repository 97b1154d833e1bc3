"""Runs (one execution of a task) and deliveries (one recipient of one run: the ledger)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class RunKind(enum.StrEnum):
    SCHEDULED = "scheduled"  #: fired by the schedule
    MANUAL = "manual"  #: "run now"; does not move the schedule


class RunStatus(enum.StrEnum):
    """Quick BI's run status is these names upper-cased."""

    PROCESSING = "processing"
    SENT = "sent"
    FAILED = "failed"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"  #: waiting for a worker (or for its retry / quota time)
    SENDING = "sending"  #: leased by a worker
    SENT = "sent"
    FAILED = "failed"  #: permanent refusal; see reason
    SKIPPED = "skipped"  #: suppressed or invalid; never sent to


@dataclass(frozen=True, kw_only=True)
class Run:
    """One execution of a task, with its own ledger totals."""

    id: int
    task_id: int
    account_id: int
    kind: RunKind
    fire_at: datetime
    status: RunStatus
    requested: int
    sent: int
    failed: int
    skipped: int
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One recipient of one run, with its outcome."""

    id: int
    run_id: int
    task_id: int
    address: str
    state: DeliveryState
    attempts: int
    message_id: str
    smtp_code: int | None
    reason: str | None
    updated_at: datetime
