"""Daily quotas of relays, held across every worker process.

The ledger cannot say which relay a queued message will go through, so each worker reserves blocks of a
relay's sends for the day in the store (`relay_days`) and hands them out one message at a time as the relay
pool picks the relay (`take`). A message the relay did not accept gives its send back (`give`); a worker
with nothing left to send gives back the whole block, so idle workers do not sit on the day's quota. A worker
that is killed loses at most its block: the relay sends a little less that day, never more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mailyard.domain.quotas import RelayQuota
from mailyard.ports.clock import Clock
from mailyard.ports.sending import QuotaRepositories
from mailyard.ports.store import Store

# After the store says a relay has nothing left today, ask again only this often: sends given back by
# other workers become usable, without a query on every claim.
RECHECK_SPENT = timedelta(seconds=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayUsage:
    """A relay's quota and what of today's is used or held by workers (None without a quota)."""

    relay: RelayQuota
    day: date | None
    reserved: int | None


@dataclass(frozen=True, slots=True)
class Room:
    """How many messages may be claimed now (None: no limit), and whether the store was asked for it."""

    count: int | None
    asked: bool = False


class RelayAllowances:
    """This process's reserved sends per relay with a quota; the `RelayGate` the relay pool asks."""

    def __init__(self, store: Store[QuotaRepositories], clock: Clock, relays: Sequence[RelayQuota]) -> None:
        self._store = store
        self._clock = clock
        self._quotas = {relay.relay: relay for relay in relays if relay.daily_quota is not None}
        # A relay without a quota takes whatever the others cannot, so claims need no limit.
        self._unlimited_relay = any(relay.daily_quota is None for relay in relays)
        self._held: dict[str, tuple[date, int]] = {}  # relay -> (its day, sends reserved and not yet used)
        self._spent: dict[str, tuple[date, datetime]] = {}  # relay -> (day it ran out, when to ask again)

    @property
    def limited(self) -> bool:
        return bool(self._quotas)

    def take(self, relay: str) -> bool:
        quota = self._quotas.get(relay)
        if quota is None:
            return True
        day = self._today(quota)
        held = self._held_on(relay, day)
        if held <= 0:
            return False
        self._held[relay] = (day, held - 1)
        return True

    def give(self, relay: str) -> None:
        quota = self._quotas.get(relay)
        if quota is not None:
            day = self._today(quota)
            self._held[relay] = (day, self._held_on(relay, day) + 1)

    async def top_up(self, want: int) -> Room:
        """Reserve up to `2 * want` sends of each relay holding fewer than `want` (two batches in flight)."""
        if not self._quotas:
            return Room(None)
        now = self._clock.now()
        short = [
            (quota, day, 2 * want - held)
            for quota in self._quotas.values()
            if (held := self._held_on(quota.relay, day := self._today(quota, now))) < want
            and not self._known_spent(quota.relay, day, now)
        ]
        if short:
            async with self._store.transaction() as repositories:
                for quota, day, need in short:
                    granted = await repositories.quotas.reserve_relay(quota.relay, quota.daily_quota or 0, day, need)
                    self._held[quota.relay] = (day, self._held_on(quota.relay, day) + granted)
                    if granted == 0:
                        self._spent[quota.relay] = (day, now + RECHECK_SPENT)
        if self._unlimited_relay:
            return Room(None, asked=bool(short))
        held_now = sum(self._held_on(quota.relay, self._today(quota, now)) for quota in self._quotas.values())
        return Room(held_now, asked=bool(short))

    async def give_back(self) -> None:
        """Return every unused send to the store, for other workers (or this one, later) to reserve."""
        unused = [(relay, day, held) for relay, (day, held) in self._held.items() if held > 0]
        if not unused:
            return
        async with self._store.transaction() as repositories:
            for relay, day, held in unused:
                await repositories.quotas.return_relay(relay, day, held)
        for relay, day, held in unused:
            self._held[relay] = (day, self._held_on(relay, day) - held)

    async def usage(self, relays: Sequence[RelayQuota]) -> list[RelayUsage]:
        """Today's use of each relay's quota, as every worker together has it."""
        async with self._store.transaction() as repositories:
            return [
                RelayUsage(relay=relay, day=None, reserved=None)
                if relay.daily_quota is None
                else RelayUsage(
                    relay=relay,
                    day=(day := self._today(relay)),
                    reserved=await repositories.quotas.relay_reserved(relay.relay, day),
                )
                for relay in relays
            ]

    def _held_on(self, relay: str, day: date) -> int:
        held_day, held = self._held.get(relay, (day, 0))
        return held if held_day == day else 0  # a block of an earlier day is worth nothing now

    def _known_spent(self, relay: str, day: date, now: datetime) -> bool:
        spent = self._spent.get(relay)
        return spent is not None and spent[0] == day and now < spent[1]

    def _today(self, quota: RelayQuota, now: datetime | None = None) -> date:
        return (now or self._clock.now()).astimezone(ZoneInfo(quota.time_zone)).date()
