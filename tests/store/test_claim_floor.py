"""Claims start at the lowest id the previous claim took (PostgreSQL), yet nothing below it is ever left behind."""

from __future__ import annotations

from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.store.queue import FULL_WALK_EVERY

pytestmark = pytest.mark.timeout(120)


async def start_task(runtime: bootstrap.Runtime, team: Any, make_content: Any, recipients: int) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=tuple(f"r{n:04}@example.org" for n in range(recipients)))
    await runtime.services.tasks.create(principal, content.task_request())
    await runtime.services.scheduling.fire_due()


async def test_released_deliveries_below_the_floor_are_claimed_again(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    await start_task(runtime, team, make_content, 6)
    sending = runtime.services.sending
    first = await sending.claim("a", 2)
    second = await sending.claim("b", 2)
    assert [d.id for d in first] < [d.id for d in second]
    await sending.release("a", [delivery.id for delivery in first])  # now below where "b" started

    taken = [delivery.id for delivery in await sending.claim("c", 4)]
    assert sorted(taken) == taken and len(taken) == 4
    assert {delivery.id for delivery in first} <= set(taken)
    assert await sending.claim("d", 4) == []


async def test_a_retry_below_the_floor_is_found_by_a_full_walk(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    await start_task(runtime, team, make_content, 2 + FULL_WALK_EVERY * 2)
    sending = runtime.services.sending
    [low] = await sending.claim("a", 1)
    retry = DeliveryOutcome(OutcomeKind.RETRY, 451, "4.3.0 later")
    await sending.record("a", [(low, retry)])
    clock.advance(seconds=3600)  # the retry is due; plenty of fresh work lies above it

    claimed = [delivery.id for _ in range(FULL_WALK_EVERY) for delivery in await sending.claim("a", 1)]
    assert low.id in claimed
