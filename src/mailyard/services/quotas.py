"""Claiming within daily quotas: accounts that used up today's quota are not claimed from.

Their sending tasks show "suspended" and their deliveries stay queued (counted as cached); the first claim
after midnight in the account's time zone finds budget again and puts the tasks back to "sending".
"""

from __future__ import annotations

from datetime import timedelta

from mailyard.domain import sending
from mailyard.ports.sending import ClaimRepositories


async def claim_within_quotas(
    repositories: ClaimRepositories, *, owner: str, limit: int, lease_for: timedelta
) -> list[sending.ClaimedDelivery]:
    """Lease up to `limit` deliveries, no more per account than its quota leaves for today."""
    budgets = await repositories.quotas.budgets()
    await repositories.quotas.suspend([budget.account_id for budget in budgets if budget.remaining == 0])
    await repositories.quotas.resume([budget.account_id for budget in budgets if budget.remaining > 0])
    batch: list[sending.ClaimedDelivery] = []
    # Limited accounts first: their claims are capped, so they cannot crowd the others out.
    for budget in budgets:
        room = min(budget.remaining, limit - len(batch))
        if room > 0:
            batch += await repositories.queue.claim(
                owner=owner, limit=room, lease_for=lease_for, account_id=budget.account_id
            )
    if len(batch) < limit:
        batch += await repositories.queue.claim(
            owner=owner,
            limit=limit - len(batch),
            lease_for=lease_for,
            exclude_accounts=[budget.account_id for budget in budgets],
        )
    return batch
