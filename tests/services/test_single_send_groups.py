"""A group of single sends (the messages submitted over SMTP in one transaction) is written with one statement
per table, whatever its size, with the same rows and counters as one send at a time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event, text

from mailyard import bootstrap
from mailyard.domain import messages, suppressions
from mailyard.services.single_sends import store_singles

pytestmark = pytest.mark.timeout(60)


def send(*addresses: str, attachments: tuple[messages.Attachment, ...] = ()) -> messages.SingleSend:
    return messages.SingleSend(
        from_address="news@example.com",
        reply_to=None,
        subject="Hello",
        template_id=None,
        variables={},
        recipients=messages.Recipients(to=addresses, cc=(), bcc=()),
        attachments=attachments,
    )


async def test_a_group_costs_a_few_statements_and_counts_like_single_sends(
    runtime: bootstrap.Runtime, team: Any
) -> None:
    account, owner = team.admin.principal.account_id, team.admin.principal.user_id
    async with runtime.store.transaction() as repositories:
        await repositories.suppressions.add(
            account_id=account,
            address="gone@example.org",
            reason=suppressions.SuppressionReason.HARD_BOUNCE,
            expires_at=None,
            description="550",
        )
    attachment = messages.Attachment(filename="a.txt", content_type="text/plain", content=b"a")
    group = [send(f"r{index}@example.org", "gone@example.org") for index in range(40)]
    group += [send("gone@example.org"), send("x@example.org", attachments=(attachment,))]
    statements: list[str] = []

    def count(*arguments: Any) -> None:
        statements.append(arguments[2])

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with runtime.store.transaction() as repositories:
            stored = await store_singles(repositories, [(account, owner, item) for item in group])
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    writes = [statement for statement in statements if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
    # the accounts' time zones with their suppressions, tasks, runs, deliveries, attachments, and one upsert of
    # the daily ledger counters. As many for a group of 42 as for one.
    assert len(writes) <= 6, writes
    assert len({message.task_id for message in stored}) == len(group)

    async with runtime.engine.connect() as connection:

        async def rows(query: str) -> list[Any]:
            return list(await connection.execute(text(query)))

        tasks = await rows("SELECT id, state, requested_count, cached_count, skipped_count FROM tasks ORDER BY id")
        runs = await rows("SELECT task_id, status, requested_count, skipped_count FROM runs ORDER BY task_id")
        ledger = await rows("SELECT task_id, state FROM deliveries ORDER BY id")
        files = await rows("SELECT task_id FROM task_attachments")
        counters = await rows(
            "SELECT task_id, recipient_domain, counter, event_count FROM event_counts"
            " WHERE counter IN ('requested', 'accepted') AND event_count <> 0"
        )
        addresses = await rows("SELECT task_id, address, state FROM deliveries")
    assert [row[0] for row in tasks] == [message.task_id for message in stored]  # in the group's order
    assert [tuple(row[1:]) for row in tasks[:40]] == [("sending", 1, 1, 1)] * 40
    assert tuple(tasks[40][1:]) == ("done", 0, 0, 1)  # everyone suppressed: done at once
    assert [tuple(row[1:]) for row in runs[:40]] == [("processing", 1, 1)] * 40
    assert tuple(runs[40][1:]) == ("sent", 0, 1)
    assert len(ledger) == 40 * 2 + 2 and sum(state == "skipped" for _, state in ledger) == 41
    assert [row[0] for row in files] == [stored[-1].task_id]
    # The daily counters moved with the rows equal a scan of them: requested all, accepted those not skipped.
    scan: Counter[tuple[int, str, str]] = Counter()
    for task_id, address, state in addresses:
        scan[(task_id, address.rpartition("@")[2], "requested")] += 1
        scan[(task_id, address.rpartition("@")[2], "accepted")] += state != "skipped"
    assert {(row[0], row[1], row[2]): row[3] for row in counters} == +scan
