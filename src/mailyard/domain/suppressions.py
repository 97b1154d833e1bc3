"""Suppressions: addresses never to send to, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class SuppressionReason(enum.StrEnum):
    HARD_BOUNCE = "hard_bounce"
    UNSUBSCRIBE = "unsubscribe"
    CUSTOM = "custom"  #: the account's own blacklist, optionally with an expiry


@dataclass(frozen=True, kw_only=True)
class Suppression:
    id: int
    account_id: int
    address: str
    reason: SuppressionReason
    expires_at: datetime | None
    created_at: datetime
