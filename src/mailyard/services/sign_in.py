"""Dashboard sign-in: passwords, server-side sessions, and the throttle on failed attempts."""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
from datetime import timedelta

from mailyard.domain import accounts, sign_in
from mailyard.domain.sign_in import SignedIn
from mailyard.errors import AuthenticationFailed, ErrorCode, Forbidden, NotFound, SignInThrottled
from mailyard.ports.clock import Clock
from mailyard.ports.secrets import PasswordHasher
from mailyard.ports.sign_in import SignInRepositories
from mailyard.ports.store import Store

WRONG_CREDENTIALS = "unknown account or user, or wrong password"
GENERATED_PASSWORD_BYTES = 12


def token_hash(token: str) -> str:
    """What the store keeps of a session token: a copy of the database cannot be replayed as a cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


class SignInService:
    def __init__(
        self,
        store: Store[SignInRepositories],
        clock: Clock,
        hasher: PasswordHasher,
        *,
        session_lifetime: timedelta,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher
        self._session_lifetime = session_lifetime
        self._decoy_hash: str | None = None

    async def sign_in(
        self, *, account_name: str | None, nickname: str, password: str, client_address: str
    ) -> tuple[str, SignedIn]:
        """A new session token for good credentials; AuthenticationFailed or SignInThrottled otherwise.

        Attempts are counted per user and per client address before the (slow) password check and withdrawn
        when it succeeds, so guesses sent in parallel cannot outrun the throttle. An unknown user costs the same
        hash check as a known one, so timing does not tell which names exist.
        """
        address = sign_in.address_subject(client_address)
        async with self._store.transaction() as repositories:
            await self._refuse_when_throttled(repositories, address)
            user = await _user(repositories, account_name, nickname.strip())
            subject = sign_in.user_subject(user.account_id, user.nickname) if user else None
            if subject is not None:
                await self._refuse_when_throttled(repositories, subject)
            stored = await repositories.users.password_hash(user.account_id, user.id) if user else None
            # Attempts older than the window count for nothing: dropping them keeps the table small.
            await repositories.sign_in.forget_before(self._clock.now() - sign_in.THROTTLE_WINDOW)
            attempts = await repositories.sign_in.record_failure([address] if subject is None else [address, subject])
        if not await self._verify(stored, password) or user is None or stored is None:
            raise AuthenticationFailed(WRONG_CREDENTIALS, code=ErrorCode.SIGN_IN_FAILED)
        return await self._open_session(user, stored, password, attempts)

    async def session(self, token: str) -> SignedIn:
        async with self._store.transaction() as repositories:
            found = await repositories.sign_in.find_session(token_hash(token))
        if found is None:
            raise AuthenticationFailed("not signed in, or the session has ended", code=ErrorCode.SESSION_ENDED)
        return found

    async def sign_out(self, token: str) -> None:
        async with self._store.transaction() as repositories:
            await repositories.sign_in.delete_session(token_hash(token))

    async def reset_password(self, principal: accounts.Principal, user_id: int, password: str) -> None:
        """Set a user's password (an admin: any user of its account; anyone else: its own); its sessions end."""
        if not principal.is_admin and user_id != principal.user_id:
            raise Forbidden("only an admin may set another user's password", code=ErrorCode.ADMIN_REQUIRED)
        sign_in.check_password(password)
        async with self._store.transaction() as repositories:
            user = await repositories.users.get(principal.account_id, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found", code=ErrorCode.USER_NOT_FOUND)
        await self._store_password(user, password)

    async def initial_password(self, *, account_name: str, nickname: str) -> str | None:
        """A generated password for a user that has none yet (the first admin); None when it has one."""
        async with self._store.transaction() as repositories:
            user = await _user(repositories, account_name, nickname)
            if user is None or await repositories.users.password_hash(user.account_id, user.id):
                return None
        password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        await self._store_password(user, password)
        return password

    async def _store_password(self, user: accounts.User, password: str) -> None:
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        async with self._store.transaction() as repositories:
            await repositories.users.set_password_hash(user.account_id, user.id, hashed)
            await repositories.sign_in.delete_sessions_of(user.id)

    async def _verify(self, stored: str | None, password: str) -> bool:
        if stored is None:
            if self._decoy_hash is None:
                self._decoy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
            await asyncio.to_thread(self._hasher.verify, self._decoy_hash, password)
            return False
        return await asyncio.to_thread(self._hasher.verify, stored, password)

    async def _open_session(
        self, user: accounts.User, stored: str, password: str, attempts: list[int]
    ) -> tuple[str, SignedIn]:
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._clock.now()
        rehashed = await asyncio.to_thread(self._hasher.hash, password) if self._hasher.needs_rehash(stored) else None
        async with self._store.transaction() as repositories:
            if rehashed is not None:
                await repositories.users.set_password_hash(user.account_id, user.id, rehashed)
            await repositories.sign_in.withdraw(attempts)
            await repositories.sign_in.forget_failures(sign_in.user_subject(user.account_id, user.nickname))
            await repositories.sign_in.create_session(
                token_hash=token_hash(token),
                csrf_token=csrf_token,
                user_id=user.id,
                expires_at=now + self._session_lifetime,
            )
            found = await repositories.sign_in.find_session(token_hash(token))
        assert found is not None
        return token, found

    async def _refuse_when_throttled(self, repositories: SignInRepositories, subject: str) -> None:
        now = self._clock.now()
        failures = await repositories.sign_in.recent_failures(subject, now - sign_in.THROTTLE_WINDOW)
        until = failures.refused_until()
        if until is not None and until > now:
            seconds = max(1, math.ceil((until - now).total_seconds()))
            raise SignInThrottled("too many failed sign-ins; try again later", retry_after_seconds=seconds)


async def _user(repositories: SignInRepositories, account_name: str | None, nickname: str) -> accounts.User | None:
    """The named user of the named account, or of the only account when no name is given."""
    name = (account_name or "").strip()
    if not name:
        names = await repositories.accounts.names(limit=2)
        if len(names) != 1:
            return None
        name = names[0]
    account = await repositories.accounts.get_by_name(name)
    if account is None or not nickname:
        return None
    return await repositories.users.get_by_nickname(account.id, nickname)
