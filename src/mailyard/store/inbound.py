"""What the inbound listener needs of the store: the delivery a bounce is about, marking it bounced, the
sending domains of the installation, and the messages it could not attribute."""

from __future__ import annotations

import email.utils
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import events, inbound, message_ids, paging, runs
from mailyard.store import tables
from mailyard.store.rows import fetch_page

_SENT, _FAILED = runs.DeliveryState.SENT.value, runs.DeliveryState.FAILED.value


def _kept(row: Row[Any]) -> inbound.KeptMessage:
    return inbound.KeptMessage(
        id=row.id,
        mail_from=row.mail_from,
        recipient=row.recipient,
        kind=inbound.ReportKind(row.kind),
        problem=row.problem,
        size=row.size,
        received_at=row.received_at,
    )


class SqlInbound:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def delivery(
        self, delivery_id: int, *, run_id: int | None = None, run_key: str | None = None
    ) -> inbound.BouncedDelivery | None:
        """The delivery; with `run_id`, only when it belongs to that run (whose Message-ID key is `run_key`)."""
        delivery, task, run = tables.deliveries, tables.tasks, tables.runs
        statement = (
            select(
                delivery.c.id,
                delivery.c.task_id,
                delivery.c.account_id,
                delivery.c.address,
                delivery.c.state,
                task.c.from_address,
            )
            .join(task, task.c.id == delivery.c.task_id)
            .where(delivery.c.id == delivery_id)
        )
        if run_id is not None:
            key_matches = run.c.message_key.is_(None) if run_key is None else run.c.message_key == run_key
            in_run = select(run.c.id).where(run.c.id == run_id, key_matches)
            statement = statement.where(delivery.c.run_id == run_id, delivery.c.run_id.in_(in_run))
        row = (await self._connection.execute(statement)).first()
        if row is None:
            return None
        ref = events.DeliveryRef(
            delivery_id=row.id, task_id=row.task_id, account_id=row.account_id, address=row.address
        )
        sender = email.utils.parseaddr(row.from_address)[1]
        return inbound.BouncedDelivery(
            ref=ref, state=runs.DeliveryState(row.state), sending_domain=sender.rpartition("@")[2].lower()
        )

    async def delivery_by_message_id(self, message_id: str, sending_domain: str) -> inbound.BouncedDelivery | None:
        """The delivery whose copy had this Message-ID, when it was sent from `sending_domain`."""
        found = message_ids.parse(message_id)
        if found is None or found[3] != sending_domain.lower():
            return None
        run_id, delivery_id, run_key, _domain = found
        return await self.delivery(delivery_id, run_id=run_id, run_key=run_key)

    async def mark_bounced(self, delivery_id: int, reason: str) -> bool:
        """A sent delivery becomes failed with the bounce's diagnostic, its task's and run's counters with it."""
        delivery, task, run = tables.deliveries, tables.tasks, tables.runs
        statement = (
            update(delivery)
            .where(delivery.c.id == delivery_id, delivery.c.state == _SENT)
            .values(state=_FAILED, reason=reason[:2000], updated_at=self._now)
            .returning(delivery.c.task_id, delivery.c.run_id)
        )
        row = (await self._connection.execute(statement)).first()
        if row is None:
            return False
        moved = {"sent_count": task.c.sent_count - 1, "failed_count": task.c.failed_count + 1}
        await self._connection.execute(update(task).where(task.c.id == row.task_id).values(**moved))
        await self._connection.execute(
            update(run)
            .where(run.c.id == row.run_id)
            .values(sent_count=run.c.sent_count - 1, failed_count=run.c.failed_count + 1)
        )
        return True

    async def domain_in_use(self, domain: str) -> bool:
        """Whether any account of the installation sends from this domain."""
        table = tables.sending_domains
        statement = select(table.c.id).where(table.c.domain == domain.lower()).limit(1)
        return (await self._connection.execute(statement)).first() is not None

    async def keep(
        self, *, mail_from: str, recipient: str, kind: inbound.ReportKind, problem: str, content: bytes
    ) -> int:
        statement = (
            tables.inbound_messages.insert()
            .values(
                mail_from=mail_from[:320],
                recipient=recipient[:320],
                kind=kind.value,
                problem=problem[:2000],
                content=content,
                received_at=self._now,
            )
            .returning(tables.inbound_messages.c.id)
        )
        return int((await self._connection.execute(statement)).scalar_one())

    async def kept(self, window: paging.Window) -> paging.Page[inbound.KeptMessage]:
        table = tables.inbound_messages
        statement = select(
            table.c.id,
            table.c.mail_from,
            table.c.recipient,
            table.c.kind,
            table.c.problem,
            func.length(table.c.content).label("size"),
            table.c.received_at,
        ).order_by(table.c.id.desc())
        return await fetch_page(self._connection, statement, window, _kept)

    async def kept_content(self, message_id: int) -> bytes | None:
        table = tables.inbound_messages
        found = (await self._connection.execute(select(table.c.content).where(table.c.id == message_id))).first()
        return bytes(found.content) if found else None
