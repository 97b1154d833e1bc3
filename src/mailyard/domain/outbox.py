"""The built-in outbox: what would have been sent when no relay is configured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """A message kept by the built-in outbox instead of being relayed: the exact bytes that would be sent."""

    id: int
    account_id: int
    task_id: int | None
    delivery_id: int | None
    envelope_from: str
    recipient: str
    message_id: str
    size: int
    created_at: datetime
    content: bytes | None = None  #: only filled when one message is read
