"""The visibility rules, in one place: which tasks a principal may see, and who changes shared resources.

An account never sees another's data; an admin sees every task of its account; a member sees the tasks it
owns and those granted to it. Every front door asks the same question through `TaskScope`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.domain import accounts
from mailyard.errors import ErrorCode, Forbidden


@dataclass(frozen=True, kw_only=True)
class TaskScope:
    """The set of tasks a principal may see: all of an account, or those of one member."""

    account_id: int
    member_id: int | None  #: None for an admin; otherwise own tasks plus granted ones

    @classmethod
    def of(cls, principal: accounts.Principal) -> TaskScope:
        return cls(account_id=principal.account_id, member_id=None if principal.is_admin else principal.user_id)


def can_see(scope: TaskScope, *, account_id: int, owner_id: int, granted_to: frozenset[int]) -> bool:
    """Whether a task with this owner and these grants lies inside the scope."""
    if account_id != scope.account_id:
        return False
    if scope.member_id is None:
        return True
    return owner_id == scope.member_id or scope.member_id in granted_to


def require_may_change(principal: accounts.Principal, *, created_by: int | None, what: str, code: ErrorCode) -> None:
    """Templates, recipient lists, sending domains and sender addresses belong to the account: any user may use
    them, but only an admin or the user who created one may change or delete it, since that changes what
    others' tasks send. Those made before creators were recorded (no creator) are left to admins."""
    if principal.is_admin or (created_by is not None and created_by == principal.user_id):
        return
    raise Forbidden(f"only an admin or the user who created {what} may change or delete it", code=code)


def can_manage(principal: accounts.Principal, *, owner_id: int) -> bool:
    """Pausing, cancelling, sharing: the owner or an admin of the same account."""
    return principal.is_admin or owner_id == principal.user_id
