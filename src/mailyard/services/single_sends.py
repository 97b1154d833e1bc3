"""Single sends (SendEmail): one templated message to a few addresses, sent by the engine like a task's run,
and the per-recipient status of those messages (GetSendEmailStatus)."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from mailyard.domain import (
    accounts,
    messages,
    paging,
    rendering,
    schedules,
    tasks,
    unsubscribe,
    visibility,
)
from mailyard.errors import ErrorCode, InvalidInput
from mailyard.ports.clock import Clock
from mailyard.ports.single_sends import SingleSendRepositories
from mailyard.ports.store import Store
from mailyard.services.references import check_sender_and_template, sender_of

STATUS_DAYS = 30  #: how far back GetSendEmailStatus reaches


@dataclass(frozen=True, kw_only=True)
class AttachmentUpload:
    filename: str
    content: bytes


@dataclass(frozen=True, kw_only=True)
class SendRequest:
    """A caller's single send, before checks; ``variables`` fill the template's placeholders."""

    from_address: str
    subject: str
    template_id: int
    variables: dict[str, object]
    destination: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    attachments: list[AttachmentUpload] = field(default_factory=list)
    unsubscribe: str | None = None


@dataclass(frozen=True, kw_only=True)
class SentMessage:
    message_id: str
    task_id: int


class SingleSendService:
    def __init__(self, store: Store[SingleSendRepositories], clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def send(self, principal: accounts.Principal, request: SendRequest) -> SentMessage:
        """Check and store a single send; the worker delivers it like any run."""
        send = _checked(request)
        async with self._store.transaction() as repositories:
            await check_sender_and_template(
                repositories.senders,
                repositories.templates,
                principal.account_id,
                sender_of(send.from_address),
                send.template_id,
            )
            return await store_single(
                repositories, account_id=principal.account_id, owner_id=principal.user_id, send=send
            )

    async def statuses(
        self,
        principal: accounts.Principal,
        request_date: date,
        window: paging.Window,
        *,
        message_id: str | None = None,
        to_address: str | None = None,
    ) -> list[messages.EmailStatus]:
        """Recipients of the caller's single sends requested on one local day of the last 30."""
        zone = schedules.zone(principal.time_zone)
        today = self._clock.now().astimezone(zone).date()
        if not today - timedelta(days=STATUS_DAYS) <= request_date <= today:
            raise InvalidInput(
                f"only the last {STATUS_DAYS} days can be queried",
                field="request_date",
                code=ErrorCode.DATE_NOT_SUPPORTED,
            )
        task_id = messages.task_id_of(message_id) if message_id else None
        if message_id and task_id is None:
            return []  # not a MessageId this service gave out
        start = datetime.combine(request_date, time(), zone).astimezone(UTC)
        query = messages.StatusQuery(
            start=start,
            end=datetime.combine(request_date + timedelta(days=1), time(), zone).astimezone(UTC),
            task_id=task_id,
            to_address=to_address.strip().lower() if to_address else None,
        )
        async with self._store.transaction() as repositories:
            found = await repositories.reporting.statuses(visibility.TaskScope.of(principal), query, window)
            happened = await repositories.events.types_of([status.delivery_id for status in found])
        return [
            replace(status, event_types=frozenset(happened.get(status.delivery_id, ())))
            for status in found
            if not message_id or status.message_id == message_id.strip()
        ]


def _checked(request: SendRequest) -> messages.SingleSend:
    subject = tasks.check_subject(request.subject)
    recipients = messages.check_recipients(request.destination, request.cc, request.bcc)
    unsubscribe_option = unsubscribe.check_task_option(request.unsubscribe)
    try:
        rendering.check_template_data(request.variables)
    except rendering.TemplateDataError as error:
        raise InvalidInput(str(error), field="variables", code=ErrorCode.TEMPLATE_DATA_INVALID) from error
    attachments = messages.check_attachments(
        [
            messages.Attachment(
                filename=upload.filename,
                content_type=mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
                content=upload.content,
            )
            for upload in request.attachments
        ]
    )
    return messages.SingleSend(
        from_address=request.from_address.strip(),
        reply_to=messages.check_reply_to(request.reply_to),
        subject=subject,
        template_id=request.template_id,
        variables=dict(request.variables),
        recipients=recipients,
        attachments=attachments,
        unsubscribe=unsubscribe_option,
    )


async def store_single(
    repositories: SingleSendRepositories, *, account_id: int, owner_id: int, send: messages.SingleSend
) -> SentMessage:
    """One single send through `store_singles`."""
    (stored,) = await store_singles(repositories, [(account_id, owner_id, send)])
    return stored


async def store_singles(
    repositories: SingleSendRepositories, sends: Sequence[tuple[int, int, messages.SingleSend]]
) -> list[SentMessage]:
    """The one way single sends enter the ledger (SendEmail, SMTP submission): for each (account, owner, send)
    a task, its run, one delivery per address with suppressed ones skipped; the worker delivers it like any
    run. A group is written in a few statements."""
    owned = [
        messages.OwnedSingleSend(account_id=account_id, owner_id=owner_id, send=send, name=send.subject[:200])
        for account_id, owner_id, send in sends
    ]
    return [
        SentMessage(message_id=messages.message_id_of(task_id, created_at), task_id=task_id)
        for task_id, created_at in await repositories.single_sends.create(owned)
    ]
