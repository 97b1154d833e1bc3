"""Accounts (tenants), their users and the access keys users sign requests with."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mailyard.errors import Conflict, ErrorCode

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Role(enum.StrEnum):
    """What a user may see inside its account."""

    ADMIN = "admin"  #: sees and manages every task of the account
    MEMBER = "member"  #: sees its own tasks and those shared with it


@dataclass(frozen=True, kw_only=True)
class Account:
    """A tenant; nothing ever crosses accounts."""

    id: int
    name: str
    time_zone: str = DEFAULT_TIME_ZONE
    daily_quota: int | None = None  #: messages per day in the account's time zone; None = unlimited
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class User:
    """A person or program inside an account."""

    id: int
    account_id: int
    nickname: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class AccessKey:
    """The public half of a key pair; the secret is only ever held encrypted by the store."""

    id: int
    user_id: int
    account_id: int
    secret_id: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is calling: the authenticated user with what the rules need to know about it."""

    account_id: int
    account_name: str
    user_id: int
    nickname: str
    role: Role
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, kw_only=True)
class IssuedKey:
    """A freshly created key pair: the only moment the secret exists in clear outside the store."""

    secret_id: str
    secret_key: str
    account: Account
    user: User


def check_role_change(users: Iterable[User], user_id: int, role: Role) -> None:
    """An account keeps at least one admin: demoting its last admin (oneself included) is refused."""
    if role is Role.ADMIN:
        return
    remaining = [user for user in users if user.role is Role.ADMIN and user.id != user_id]
    if not remaining:
        raise Conflict(
            "the account must keep at least one admin; make another user admin first", code=ErrorCode.LAST_ADMIN
        )
