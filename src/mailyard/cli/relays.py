"""`mailyard relays`: the relays of MAILYARD_RELAYS and what is used of their daily quotas today."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from mailyard.cli import context, output
from mailyard.cli.output import JsonOption
from mailyard.services.relay_quotas import RelayUsage


def relays(as_json: JsonOption = False) -> None:
    """List the relays with today's use of their daily quotas (over every worker); the local database only."""
    context.require_local("relays")

    async def work() -> list[RelayUsage]:
        async with context.opened_runtime() as runtime:
            return await runtime.services.sending.relay_usage()

    usage = context.run(work)
    if as_json:
        output.print_json([_usage_record(entry) for entry in usage])
        return
    if not usage:
        context.console.print("no relay configured: messages go to the outbox (MAILYARD_RELAYS names relays)")
        return
    table = Table("relay", "daily quota", "day", "used or held today", "left")
    for entry in usage:
        record = _usage_record(entry)
        if record["daily_quota"] is None:
            table.add_row(entry.relay.relay, "unlimited", "", "", "")
            continue
        day = f"{entry.day} ({entry.relay.time_zone})"
        table.add_row(
            entry.relay.relay, f"{record['daily_quota']:,}", day, f"{record['used']:,}", f"{record['left']:,}"
        )
    context.console.print(table)


def _usage_record(entry: RelayUsage) -> dict[str, Any]:
    """A relay's use today; a relay without a quota has no day, use or room left (null)."""
    quota = entry.relay.daily_quota
    if quota is None or entry.reserved is None:
        return dict.fromkeys(("daily_quota", "time_zone", "day", "used", "left")) | {"relay": entry.relay.relay}
    return {
        "relay": entry.relay.relay,
        "daily_quota": quota,
        "time_zone": entry.relay.time_zone,
        "day": entry.day.isoformat() if entry.day else None,
        "used": entry.reserved,
        "left": max(quota - entry.reserved, 0),
    }
