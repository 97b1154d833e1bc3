"""Accounts, users and access keys: issuing keys, authenticating callers, managing members."""

from __future__ import annotations

import hmac
import secrets
import string
from types import EllipsisType

from mailyard.domain import accounts
from mailyard.domain.schedules import zone
from mailyard.errors import AuthenticationFailed, Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from mailyard.ports.access import AccessRepositories
from mailyard.ports.secrets import SecretCipher
from mailyard.ports.store import Store

_ALPHABET = string.ascii_letters + string.digits
SECRET_ID_PREFIX = "AKID"
MAX_DAILY_QUOTA = 2**31 - 1  # the column is a 32-bit INTEGER


def _random_text(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _check_nickname(nickname: str) -> str:
    cleaned = nickname.strip()
    if not cleaned or len(cleaned) > 100:
        raise InvalidInput("nickname must be 1 to 100 characters", field="nickname")
    return cleaned


def _check_account_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 100:
        raise InvalidInput("account name must be 1 to 100 characters", field="account")
    return cleaned


class AccessService:
    """Who may call, and with which key."""

    def __init__(self, store: Store[AccessRepositories], cipher: SecretCipher) -> None:
        self._store = store
        self._cipher = cipher

    async def issue_key(
        self,
        *,
        account_name: str,
        nickname: str,
        role: accounts.Role = accounts.Role.ADMIN,
        time_zone: str | None = None,
    ) -> accounts.IssuedKey:
        """Create a key pair for a user, creating the account and the user when missing."""
        account_name, nickname = _check_account_name(account_name), _check_nickname(nickname)
        if time_zone is not None:
            zone(time_zone)
        secret_id = SECRET_ID_PREFIX + _random_text(32)
        secret_key = _random_text(40)
        async with self._store.transaction() as repositories:
            account = await repositories.accounts.get_by_name(account_name)
            if account is None:
                account = await repositories.accounts.create(
                    name=account_name, time_zone=time_zone or accounts.DEFAULT_TIME_ZONE, daily_quota=None
                )
            user = await repositories.users.get_by_nickname(account.id, nickname)
            if user is None:
                user = await repositories.users.create(account_id=account.id, nickname=nickname, role=role)
            await repositories.keys.create(
                user=user, secret_id=secret_id, sealed_secret=self._cipher.encrypt(secret_key)
            )
        return accounts.IssuedKey(secret_id=secret_id, secret_key=secret_key, account=account, user=user)

    async def first_start_key(self, *, account_name: str, nickname: str) -> accounts.IssuedKey | None:
        """On an empty database, the first account, admin and key; None when accounts exist already."""
        async with self._store.transaction() as repositories:
            if await repositories.accounts.count():
                return None
        return await self.issue_key(account_name=account_name, nickname=nickname, role=accounts.Role.ADMIN)

    async def operator(self, account_name: str | None) -> accounts.Principal:
        """The principal the command line acts as: the first admin of the named (or only) account."""
        async with self._store.transaction() as repositories:
            account = await _operator_account(repositories, account_name)
            admins = [user for user in await repositories.users.list(account.id) if user.role is accounts.Role.ADMIN]
        if not admins:
            raise NotFound(f"account {account.name!r} has no admin user", code=ErrorCode.ADMIN_NOT_FOUND)
        return accounts.Principal(
            account_id=account.id,
            account_name=account.name,
            user_id=admins[0].id,
            nickname=admins[0].nickname,
            role=accounts.Role.ADMIN,
            time_zone=account.time_zone,
        )

    async def lookup_secret(self, secret_id: str) -> tuple[str, accounts.Principal] | None:
        """The clear secret and principal of a key, for front doors that check HMAC signatures."""
        if "\x00" in secret_id:
            return None  # no key has one, and PostgreSQL cannot even compare such text
        async with self._store.transaction() as repositories:
            found = await repositories.keys.find(secret_id)
        if found is None:
            return None
        sealed, principal = found
        return self._cipher.decrypt(sealed), principal

    async def authenticate(self, secret_id: str, secret_key: str) -> accounts.Principal:
        """Check a key pair given in clear (HTTP Basic); constant-time comparison."""
        found = await self.lookup_secret(secret_id)
        expected = found[0] if found else _random_text(40)
        if not hmac.compare_digest(expected.encode(), secret_key.encode()) or found is None:
            raise AuthenticationFailed("unknown access key or wrong secret")
        return found[1]

    async def account(self, principal: accounts.Principal) -> accounts.Account:
        """The caller's account (its time zone and daily quota)."""
        async with self._store.transaction() as repositories:
            found = await repositories.accounts.get(principal.account_id)
        if found is None:
            raise NotFound(f"account {principal.account_name!r} not found", code=ErrorCode.ACCOUNT_NOT_FOUND)
        return found

    async def list_users(self, principal: accounts.Principal) -> list[accounts.User]:
        async with self._store.transaction() as repositories:
            return await repositories.users.list(principal.account_id)

    async def create_user(
        self, principal: accounts.Principal, *, nickname: str, role: accounts.Role
    ) -> accounts.IssuedKey:
        """An admin adds a user to its account; the user gets a first key."""
        require_admin(principal)
        nickname = _check_nickname(nickname)
        async with self._store.transaction() as repositories:
            if await repositories.users.get_by_nickname(principal.account_id, nickname):
                raise Conflict(f"user {nickname!r} exists already", code=ErrorCode.USER_EXISTS)
        return await self.issue_key(account_name=principal.account_name, nickname=nickname, role=role)

    async def set_role(self, principal: accounts.Principal, user_id: int, role: accounts.Role) -> accounts.User:
        """An admin makes a user of its account admin or member; the account keeps at least one admin. The
        user's sessions and the native API apply the new role from the next request (the cloud doors once their
        short key cache expires)."""
        require_admin(principal)
        async with self._store.transaction() as repositories:
            users = await repositories.users.list_locked(principal.account_id)
            if not any(user.id == user_id for user in users):
                raise NotFound(f"user {user_id} not found", code=ErrorCode.USER_NOT_FOUND)
            accounts.check_role_change(users, user_id, role)
            return await repositories.users.set_role(principal.account_id, user_id, role)

    async def create_key(self, principal: accounts.Principal, *, user_id: int | None = None) -> accounts.IssuedKey:
        """Another key for oneself, or (admins) for a user of the account."""
        target_id = principal.user_id if user_id is None else user_id
        if target_id != principal.user_id:
            require_admin(principal)
        async with self._store.transaction() as repositories:
            user = await repositories.users.get(principal.account_id, target_id)
        if user is None:
            raise NotFound(f"user {target_id} not found", code=ErrorCode.USER_NOT_FOUND)
        return await self.issue_key(account_name=principal.account_name, nickname=user.nickname, role=user.role)

    async def update_account(
        self,
        principal: accounts.Principal,
        *,
        time_zone: str | None = None,
        daily_quota: int | EllipsisType | None = ...,
    ) -> accounts.Account:
        """An admin changes its account's time zone or daily quota (None: unlimited; `...`: unchanged)."""
        require_admin(principal)
        if time_zone is not None:
            zone(time_zone)
        if isinstance(daily_quota, int) and not 0 <= daily_quota <= MAX_DAILY_QUOTA:
            raise InvalidInput(f"the daily quota must be 0 to {MAX_DAILY_QUOTA}", field="daily_quota")
        async with self._store.transaction() as repositories:
            account = await repositories.accounts.get(principal.account_id)
            if account is None:
                raise NotFound("the account is gone", code=ErrorCode.ACCOUNT_NOT_FOUND)
            updated = await repositories.accounts.update(
                account.id,
                time_zone=time_zone or account.time_zone,
                daily_quota=account.daily_quota if daily_quota is ... else daily_quota,
            )
            if updated.daily_quota is None:
                await repositories.quotas.resume([account.id])  # nothing to wait for any more
            return updated

    async def list_keys(self, principal: accounts.Principal) -> list[accounts.AccessKey]:
        async with self._store.transaction() as repositories:
            keys = await repositories.keys.list(principal.account_id)
        return keys if principal.is_admin else [key for key in keys if key.user_id == principal.user_id]

    async def delete_key(self, principal: accounts.Principal, key_id: int) -> None:
        keys = {key.id: key for key in await self.list_keys(principal)}
        if key_id not in keys:
            raise NotFound(f"access key {key_id} not found", code=ErrorCode.KEY_NOT_FOUND)
        async with self._store.transaction() as repositories:
            await repositories.keys.delete(principal.account_id, key_id)


async def _operator_account(repositories: AccessRepositories, account_name: str | None) -> accounts.Account:
    if account_name is not None:
        account = await repositories.accounts.get_by_name(account_name)
        if account is None:
            raise NotFound(f"account {account_name!r} not found", code=ErrorCode.ACCOUNT_NOT_FOUND)
        return account
    names = await repositories.accounts.names(limit=2)
    if len(names) != 1:
        raise InvalidInput("several accounts exist (or none): name one with --account", field="account")
    found = await repositories.accounts.get_by_name(names[0])
    assert found is not None
    return found


def require_admin(principal: accounts.Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only an admin of the account may do this", code=ErrorCode.ADMIN_REQUIRED)
