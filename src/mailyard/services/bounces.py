"""What returned mail does: bounces and complaints become events on their delivery, suppress addresses, and
mark hard-bounced deliveries failed; what cannot be attributed is kept for inspection.

Every message is handled in one transaction per recipient, so the event, the ledger change and the
suppression are one change. Handling is idempotent: a second report of a bounce or complaint the delivery
already has changes nothing, and an address suppressed already stays as it was.
"""

from __future__ import annotations

import logging

from mailyard.domain import events, inbound, paging
from mailyard.domain.suppressions import SuppressionReason
from mailyard.ports.clock import Clock
from mailyard.ports.inbound import InboundRepositories
from mailyard.ports.store import Store
from mailyard.services.events import EventRecorder
from mailyard.services.return_path import ReturnPaths

log = logging.getLogger(__name__)
DEFAULT_SOFT_BOUNCE_LIMIT = 3


class BounceService:
    def __init__(
        self,
        store: Store[InboundRepositories],
        clock: Clock,
        return_paths: ReturnPaths,
        recorder: EventRecorder,
        *,
        soft_bounce_limit: int = DEFAULT_SOFT_BOUNCE_LIMIT,
    ) -> None:
        self._store = store
        self._clock = clock
        self._return_paths = return_paths
        self._recorder = recorder
        self._soft_bounce_limit = soft_bounce_limit

    async def accepts(self, recipient: str) -> bool:
        """Whether the listener takes mail for an address: a copy's return path with an authentic token, or
        the complaint address of a domain some account sends from. Nothing else: never an open relay."""
        found = self._return_paths.read(recipient)
        if found is None:
            return False
        async with self._store.transaction() as repositories:
            if found.delivery_id is None:
                return await repositories.inbound.domain_in_use(found.complaints_for or "")
            delivery = await repositories.inbound.delivery(found.delivery_id)
        domain = recipient.rpartition("@")[2].lower()
        return delivery is not None and self._return_paths.settings.domain_for(delivery.sending_domain) == domain

    async def receive(self, mail: inbound.InboundMail) -> None:
        """Apply what a received message says, for each recipient; keep it when it says nothing usable."""
        for recipient in mail.recipients:
            async with self._store.transaction() as repositories:
                problem = await self._apply(repositories, mail, recipient)
                if problem is not None:
                    log.info("inbound: kept a %s message for %s: %s", mail.report.kind.value, recipient, problem)
                    await repositories.inbound.keep(
                        mail_from=mail.mail_from,
                        recipient=recipient,
                        kind=mail.report.kind,
                        problem=problem,
                        content=mail.content,
                    )

    async def kept(self, window: paging.Window) -> paging.Page[inbound.KeptMessage]:
        """Messages that could not be attributed, newest first."""
        async with self._store.transaction() as repositories:
            return await repositories.inbound.kept(window)

    async def _apply(self, repositories: InboundRepositories, mail: inbound.InboundMail, recipient: str) -> str | None:
        """Apply the report for one recipient; the reason it could not be, or None."""
        report = mail.report
        if report.kind is inbound.ReportKind.AUTO_REPLY:
            return None  # RFC 3834: an out-of-office says nothing about delivery
        if report.kind is inbound.ReportKind.UNKNOWN:
            return "neither a bounce nor a complaint"
        delivery = await self._delivery_of(repositories, recipient, report)
        if delivery is None:
            return "names no delivery of this installation"
        if report.kind is inbound.ReportKind.COMPLAINT:
            await self._complaint(repositories, delivery, report)
            return None
        failure = inbound.failure_for(report, delivery.ref.address)
        if failure is None:
            return "a bounce without a failed recipient"
        await self._bounce(repositories, delivery, failure)
        return None

    async def _delivery_of(
        self, repositories: InboundRepositories, recipient: str, report: inbound.InboundReport
    ) -> inbound.BouncedDelivery | None:
        """The copy a report is about: from the return path it came to, else (at the complaint address) from
        the enclosed original's return path, else from its Message-ID."""
        found = self._return_paths.read(recipient)
        if found is None:
            return None
        if found.delivery_id is not None:
            return await repositories.inbound.delivery(found.delivery_id)
        for return_path in report.enclosed_return_paths:
            enclosed = self._return_paths.read(return_path)
            if enclosed is not None and enclosed.delivery_id is not None:
                return await repositories.inbound.delivery(enclosed.delivery_id)
        if report.enclosed_message_id and found.complaints_for:
            return await repositories.inbound.delivery_by_message_id(report.enclosed_message_id, found.complaints_for)
        return None

    async def _bounce(
        self, repositories: InboundRepositories, delivery: inbound.BouncedDelivery, failure: inbound.Failure
    ) -> None:
        seen = await repositories.events.bounces_of(delivery.ref.delivery_id)
        kind = events.BounceType.HARD if failure.permanent else events.BounceType.SOFT
        if events.BounceType.HARD in seen or (kind is events.BounceType.SOFT and seen):
            return  # reported already: nothing changes twice
        event = events.NewEvent(
            type=events.EventType.BOUNCE,
            delivery=delivery.ref,
            occurred_at=self._clock.now(),
            reason=failure.diagnostic,
            bounce_type=kind,
        )
        await self._recorder.record(repositories, [event])
        if kind is events.BounceType.HARD:
            await repositories.inbound.mark_bounced(delivery.ref.delivery_id, failure.diagnostic)
            await _suppress(repositories, delivery.ref, SuppressionReason.HARD_BOUNCE, failure.diagnostic)
        elif await self._soft_run_complete(repositories, delivery.ref):
            description = f"{self._soft_bounce_limit} soft bounces in a row, the last: {failure.diagnostic}"
            await _suppress(repositories, delivery.ref, SuppressionReason.HARD_BOUNCE, description)

    async def _soft_run_complete(self, repositories: InboundRepositories, ref: events.DeliveryRef) -> bool:
        latest = await repositories.events.latest_of_address(
            ref.account_id, ref.address, (events.EventType.BOUNCE,), self._soft_bounce_limit * 4
        )
        bounces = [(event.delivery.delivery_id, event.bounce_type is events.BounceType.HARD) for event in latest]
        return inbound.soft_run_is_complete(bounces, self._soft_bounce_limit)

    async def _complaint(
        self, repositories: InboundRepositories, delivery: inbound.BouncedDelivery, report: inbound.InboundReport
    ) -> None:
        if await repositories.events.having([delivery.ref.delivery_id], events.EventType.SPAMREPORT):
            return
        feedback = report.feedback_type or "abuse"
        event = events.NewEvent(
            type=events.EventType.SPAMREPORT,
            delivery=delivery.ref,
            occurred_at=self._clock.now(),
            reason=f"complaint: feedback report ({feedback})",
        )
        await self._recorder.record(repositories, [event])
        await _suppress(repositories, delivery.ref, SuppressionReason.COMPLAINT, f"complaint ({feedback} report)")


async def _suppress(
    repositories: InboundRepositories, ref: events.DeliveryRef, reason: SuppressionReason, description: str
) -> None:
    """Suppress the address for the account, unless it is already (its first description stays)."""
    if await repositories.suppressions.find(ref.account_id, ref.address, reason) is None:
        await repositories.suppressions.add(
            account_id=ref.account_id, address=ref.address, reason=reason, expires_at=None, description=description
        )
