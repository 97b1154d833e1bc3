"""`mailyard relays`: the relays of MAILYARD_RELAYS and what is used of their daily quotas today."""

from __future__ import annotations

from rich.table import Table

from mailyard.cli import context
from mailyard.services.relay_quotas import RelayUsage


def relays() -> None:
    """List the relays with today's use of their daily quotas (over every worker)."""

    async def work() -> list[RelayUsage]:
        async with context.opened_runtime() as runtime:
            return await runtime.services.sending.relay_usage()

    usage = context.run(work)
    if not usage:
        context.console.print("no relay configured: messages go to the outbox (MAILYARD_RELAYS names relays)")
        return
    table = Table("relay", "daily quota", "day", "used or held today", "left")
    for entry in usage:
        quota = entry.relay.daily_quota
        if quota is None or entry.reserved is None:
            table.add_row(entry.relay.relay, "unlimited", "", "", "")
            continue
        day = f"{entry.day} ({entry.relay.time_zone})"
        table.add_row(
            entry.relay.relay, f"{quota:,}", day, f"{entry.reserved:,}", f"{max(quota - entry.reserved, 0):,}"
        )
    context.console.print(table)
