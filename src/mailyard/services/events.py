"""Recording events: the one place every source of events goes through.

The sending service's outcomes, bounces and complaints from the inbound listener, unsubscribes (and later
opens and clicks over HTTP) all call `EventRecorder.record` inside the transaction of the change they
describe. It writes the events, moves their daily counters (day in the account's time zone) and hands the
recorded events to its sinks in the same transaction, so a sink that queues webhooks is exactly as durable
as the event itself. The metrics hear of them once that transaction is committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from mailyard.domain import events
from mailyard.domain.suppressions import local_day
from mailyard.ports.events import EventRecordingRepositories, EventSink
from mailyard.ports.metrics import Metrics
from mailyard.services.monitoring import Unmonitored

DEFAULT_TIME_ZONE = "Asia/Shanghai"
ZONE_CACHE_FOR = timedelta(minutes=1)


class EventRecorder:
    def __init__(self, sinks: Sequence[EventSink] = (), *, metrics: Metrics | None = None) -> None:
        self._sinks = tuple(sinks)
        self._metrics = metrics or Unmonitored()
        # Accounts' time zones, read at most once a minute: a zone change shows in the counters within a minute.
        self._zones: dict[int, tuple[str, datetime]] = {}

    async def record(self, repositories: EventRecordingRepositories, new: Sequence[events.NewEvent]) -> None:
        """Write events with their counters and pass them to the sinks; in the caller's transaction."""
        if not new:
            return
        firsts = await _first_of_their_kind(repositories, new)
        firsts_of_origin = await _first_of_their_kind(repositories, new, by_origin=True)
        await repositories.events.add(new)
        zones = await self._time_zones(repositories, new)
        days = _local_days(new, zones)
        tally: Counter[tuple[int, int, date, str, events.Counter]] = Counter()
        for index, event in enumerate(new):
            ref = event.delivery
            day = days[(event.occurred_at, ref.account_id)]
            moved = events.counters_of(
                event, first_of_its_kind=index in firsts, first_of_its_origin=index in firsts_of_origin
            )
            for counter in moved:
                tally[(ref.account_id, ref.task_id, day, ref.recipient_domain, counter)] += 1
        steps = [
            events.CounterStep(
                account_id=account_id, task_id=task_id, day=day, recipient_domain=domain, counter=counter, amount=amount
            )
            for (account_id, task_id, day, domain, counter), amount in tally.items()
        ]
        await repositories.events.count(steps)
        for sink in self._sinks:
            await sink.recorded(repositories, new)
        kinds = Counter(event.type.value for event in new)
        repositories.after_commit(lambda: self._report(kinds))

    def _report(self, kinds: Counter[str]) -> None:
        for kind, count in kinds.items():
            self._metrics.events_recorded(kind, count)

    async def _time_zones(
        self, repositories: EventRecordingRepositories, new: Sequence[events.NewEvent]
    ) -> dict[int, str]:
        moment = max(event.occurred_at for event in new)
        zones: dict[int, str] = {}
        for account_id in sorted({event.delivery.account_id for event in new}):
            cached = self._zones.get(account_id)
            if cached is None or abs(moment - cached[1]) > ZONE_CACHE_FOR:
                account = await repositories.accounts.get(account_id)
                cached = (account.time_zone if account else DEFAULT_TIME_ZONE, moment)
                self._zones[account_id] = cached
            zones[account_id] = cached[0]
        return zones


async def _first_of_their_kind(
    repositories: EventRecordingRepositories, new: Sequence[events.NewEvent], *, by_origin: bool = False
) -> set[int]:
    """Positions of the events whose delivery has no earlier event of their type (for unique counts); with
    `by_origin`, none of their type by the same origin (a person, or a machine)."""
    firsts: set[int] = set()
    groups = {(event.type, event.by_machine if by_origin else None) for event in new}
    for event_type, by_machine in groups:
        if not events.counts_uniquely(event_type):
            continue
        members = [
            (index, event)
            for index, event in enumerate(new)
            if event.type is event_type and (by_machine is None or event.by_machine is by_machine)
        ]
        seen = await repositories.events.having(
            {event.delivery.delivery_id for _, event in members}, event_type, by_machine=by_machine
        )
        for index, event in members:
            if event.delivery.delivery_id not in seen:
                seen.add(event.delivery.delivery_id)
                firsts.add(index)
    return firsts


def _local_days(new: Sequence[events.NewEvent], zones: dict[int, str]) -> dict[tuple[datetime, int], date]:
    """The account-local day of each (moment, account); a batch's events mostly share one moment."""
    days: dict[tuple[datetime, int], date] = {}
    for event in new:
        key = (event.occurred_at, event.delivery.account_id)
        if key not in days:
            days[key] = local_day(event.occurred_at, zones[event.delivery.account_id])
    return days
