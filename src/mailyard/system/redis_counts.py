"""The submission limits' counts shared by every process through Redis (MAILYARD_REDIS_URL).

Each (window, key) is a sorted set of event times. One Lua script drops the times that left the window, checks
and adds, so a check and its count are one step for every process at once: two listeners cannot both take
an account's twentieth submission of a second. The times are the service's clock (the Clock port), not Redis's,
so limits follow the same time as everything else Mailyard does; the `limits` library reads the wall clock
itself, which is why it is not used here. Each set expires a window and a minute after its last event (a minute
of slack: the service's clock and Redis's need not agree exactly).

If Redis cannot be reached the counts of this process are used until it answers again (logged once at each
change): a failing Redis must neither stop submission nor switch its failed-login throttling off.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime

import redis.asyncio
from redis.exceptions import RedisError

from mailyard.domain.submissions import LimitWindow, ProcessCounts

DEFAULT_KEY_PREFIX = "mailyard-submission"
_log = logging.getLogger(__name__)

# KEYS: one sorted set per hit. ARGV: mode ("check", "add" or "take"), now (ms), a unique member prefix, then
# a limit and a window (ms) per key. Answers the 1-based index of the first full set, or 0.
_SCRIPT = """
local mode, now, member = ARGV[1], tonumber(ARGV[2]), ARGV[3]
for index, key in ipairs(KEYS) do
  local limit, span = tonumber(ARGV[2 + 2 * index]), tonumber(ARGV[3 + 2 * index])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  if mode ~= 'add' and redis.call('ZCARD', key) >= limit then
    return index
  end
end
if mode ~= 'check' then
  for index, key in ipairs(KEYS) do
    local limit, span = tonumber(ARGV[2 + 2 * index]), tonumber(ARGV[3 + 2 * index])
    redis.call('ZADD', key, now, member .. ':' .. index)
    redis.call('ZREMRANGEBYRANK', key, 0, -limit - 1)
    redis.call('PEXPIRE', key, span + 60000)
  end
end
return 0
"""


class RedisCounts:
    """The `SubmissionCounts` port over the process's Redis client (which its builder closes)."""

    def __init__(self, client: redis.asyncio.Redis, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self._script = client.register_script(_SCRIPT)
        self._prefix = key_prefix
        self._fallback = ProcessCounts()
        self.unreachable = False  #: True while Redis does not answer and this process counts alone

    async def full(self, window: LimitWindow, key: str, now: datetime) -> bool:
        found = await self._run("check", [(window, key)], now)
        return await self._fallback.full(window, key, now) if found is None else found > 0

    async def add(self, window: LimitWindow, key: str, now: datetime) -> None:
        if await self._run("add", [(window, key)], now) is None:
            await self._fallback.add(window, key, now)

    async def take(self, hits: Sequence[tuple[LimitWindow, str]], now: datetime) -> int | None:
        found = await self._run("take", hits, now)
        if found is None:
            return await self._fallback.take(hits, now)
        return found - 1 if found else None

    async def _run(self, mode: str, hits: Sequence[tuple[LimitWindow, str]], now: datetime) -> int | None:
        """The script's answer, or None when Redis cannot be reached."""
        keys = [f"{self._prefix}:{window.name}:{key}" for window, key in hits]
        arguments: list[str | int] = [mode, _milliseconds(now), secrets.token_hex(8)]
        for window, _ in hits:
            arguments += [window.limit, max(int(window.span.total_seconds() * 1000), 1)]
        try:
            found = int(await self._script(keys=keys, args=arguments))
        except (RedisError, OSError) as error:
            if not self.unreachable:
                reason = type(error).__name__
                _log.warning("submission limits: Redis unreachable (%s); counting in this process", reason)
            self.unreachable = True
            return None
        if self.unreachable:
            _log.warning("submission limits: Redis answers again; the counts are shared again")
        self.unreachable = False
        return found


def _milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
