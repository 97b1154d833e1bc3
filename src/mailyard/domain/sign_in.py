"""Dashboard sign-in: sessions of people in browsers, password rules and the throttle on failed attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mailyard.domain.accounts import Principal
from mailyard.errors import ErrorCode, InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
THROTTLE_FAILURES = 5  #: failures per user or client address within THROTTLE_WINDOW before attempts are refused
THROTTLE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, kw_only=True)
class SignedIn:
    """A live dashboard session: who it is, and the token its forms must carry (CSRF)."""

    principal: Principal
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecentFailures:
    """Failed sign-ins of one subject inside the throttle window."""

    count: int
    oldest: datetime | None

    def refused_until(self) -> datetime | None:
        """When attempts are allowed again, or None when they are allowed now."""
        if self.count < THROTTLE_FAILURES or self.oldest is None:
            return None
        return self.oldest + THROTTLE_WINDOW


def user_subject(account_id: int, nickname: str) -> str:
    """What failures of one user are counted under (nicknames are unique inside an account)."""
    return f"user:{account_id}:{nickname}"


def address_subject(client_address: str) -> str:
    return f"address:{client_address}"


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            field="password",
            code=ErrorCode.PASSWORD_INVALID,
        )
    return password
