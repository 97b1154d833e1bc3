"""Delivering a run's messages: claim leased deliveries, render each copy, hand it to the mailer, record.

The message of a run is compiled once and cached here; a recipient's copy only fills in its values. The
worker drives these steps and owns concurrency; this service owns the transactions.
"""

from __future__ import annotations

import dataclasses
import email.utils
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from mailyard.domain import (
    addresses,
    events,
    message_ids,
    paging,
    rendering,
    runs,
    sending,
    suppressions,
    tasks,
    templates,
    tracking,
    unsubscribe_texts,
)
from mailyard.domain.letters import Letter, MessageDraft, SubmittedChanges
from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.domain.retries import RetryPolicy
from mailyard.domain.return_path import AddressTemplate, template_for
from mailyard.domain.runs import DeliveryState
from mailyard.domain.tracking import CopyRef
from mailyard.errors import Conflict
from mailyard.ports.clock import Clock
from mailyard.ports.mailer import ComposedMessage, Mailer, MessageComposer
from mailyard.ports.metrics import Metrics
from mailyard.ports.secrets import SecretCipher
from mailyard.ports.sending import SendingRepositories
from mailyard.ports.store import Store
from mailyard.services.dkim_keys import dkim_key_for
from mailyard.services.events import EventRecorder
from mailyard.services.firing import settled_state
from mailyard.services.monitoring import Unmonitored
from mailyard.services.quotas import claim_within_quotas
from mailyard.services.relay_quotas import RelayAllowances, RelayUsage
from mailyard.services.return_path import ReturnPaths
from mailyard.services.submitted_changes import submitted_changes
from mailyard.services.tracking import TrackingLinks
from mailyard.services.unsubscribe import UnsubscribeLinks

# Compiled messages of this many runs stay cached; a worker rarely serves more runs at once.
CACHED_RUNS = 256
# Messages submitted over SMTP are kept whole (up to 4 MB each): their runs are cached within this many bytes.
CACHED_SUBMITTED_BYTES = 64 * 1024 * 1024
DEFAULT_LEASE = timedelta(seconds=60)
_SINGLE_SEND_WINDOW = paging.Window(offset=0, limit=200)  # a single send has at most 90 recipients


@dataclass(frozen=True, slots=True)
class _RunMessage:
    """What every copy of one run shares, or why the run cannot make messages at all."""

    message: ComposedMessage | None
    envelope_from: str
    variables: Mapping[str, object]
    problem: str | None = None
    unsubscribe: bool = False  #: copies carry a List-Unsubscribe link with the recipient's token
    return_path: AddressTemplate | None = None  #: each copy's envelope sender is made from this
    size: int = 0  #: bytes of a submitted message held by `message`
    tracked: bool = False  #: the HTML carries the open pixel or tracked links: copies fill in their token


class SendingService:
    def __init__(
        self,
        store: Store[SendingRepositories],
        clock: Clock,
        mailer: Mailer,
        composer: MessageComposer,
        *,
        policy: RetryPolicy | None = None,
        lease_for: timedelta = DEFAULT_LEASE,
        unsubscribe_links: UnsubscribeLinks | None = None,
        cipher: SecretCipher | None = None,
        event_recorder: EventRecorder | None = None,
        return_paths: ReturnPaths | None = None,
        tracking_links: TrackingLinks | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._mailer = mailer
        self._composer = composer
        self._policy = policy or RetryPolicy()
        self.lease_for = lease_for
        self._messages: OrderedDict[int, _RunMessage] = OrderedDict()
        self._links = unsubscribe_links
        self._events = event_recorder or EventRecorder()
        self._return_paths = return_paths  # without it copies go out with the sender as envelope sender
        self._tracking = tracking_links  # without it nothing is tracked
        self._cipher = cipher  # opens the DKIM keys of sending domains; without it nothing is signed
        self._relays = RelayAllowances(store, clock, mailer.relay_quotas)
        self._gate = self._relays if self._relays.limited else None
        self._relays_open = False  # the first claim that finds a relay able to send resumes waiting tasks
        self._outstanding = 0  # deliveries claimed and not yet recorded or released
        self._cached_bytes = 0  # submitted messages held in `_messages`
        self._metrics = metrics or Unmonitored()

    async def claim(self, owner: str, limit: int) -> list[sending.ClaimedDelivery]:
        """Lease a batch and make sure the message of each of its runs is compiled.

        When every relay has used up its daily quota nothing is claimed and the sending tasks show
        "suspended"; the first claim that finds a relay able to send again puts them back to "sending".
        """
        room = await self._relays.top_up(limit)
        async with self._store.transaction() as repositories:
            if room.count == 0:
                if room.asked or self._relays_open:
                    await repositories.quotas.suspend_all()
                self._relays_open = False
                return []
            if not self._relays_open:
                await repositories.quotas.resume_unlimited()
                self._relays_open = True
            while True:  # a batch whose every address was suppressed meanwhile is no sign the queue is empty
                claimed = await claim_within_quotas(
                    repositories, owner=owner, limit=min(limit, room.count or limit), lease_for=self.lease_for
                )
                batch = await self._skip_suppressed(repositories, owner, claimed)
                if batch or not claimed:
                    break
        self._outstanding += len(batch)
        if not self._outstanding:
            await self._relays.give_back()  # idle: let busier workers have this worker's share
        await self._prepare(batch)
        return batch

    async def _skip_suppressed(
        self, repositories: SendingRepositories, owner: str, batch: list[sending.ClaimedDelivery]
    ) -> list[sending.ClaimedDelivery]:
        """Never send to an address suppressed since its run began: a hard bounce or a complaint about another
        copy stops this one, even between its retries. The skipped ones are dropped events."""
        outcome = await repositories.queue.skip_suppressed(owner=owner, claimed=batch)
        if not outcome.skipped:
            return batch
        now = self._clock.now()
        dropped = [events.of_late_suppression(delivery, reason, now) for delivery, reason in outcome.skipped]
        await self._events.record(repositories, dropped)
        for run in outcome.finished:
            await _settle(repositories, run)
        gone = {delivery.id for delivery, _reason in outcome.skipped}
        return [delivery for delivery in batch if delivery.id not in gone]

    async def renew(self, owner: str, delivery_ids: Sequence[int]) -> int:
        async with self._store.transaction() as repositories:
            return await repositories.queue.renew(owner=owner, delivery_ids=delivery_ids, lease_for=self.lease_for)

    async def release(self, owner: str, delivery_ids: Sequence[int]) -> int:
        if not delivery_ids:
            return 0
        self._outstanding = max(self._outstanding - len(delivery_ids), 0)
        async with self._store.transaction() as repositories:
            return await repositories.queue.release(owner=owner, delivery_ids=delivery_ids)

    async def attempt(self, delivery: sending.ClaimedDelivery) -> DeliveryOutcome:
        """Render one copy and deliver it; every problem comes back as an outcome, never as an exception."""
        run_message = self._messages.get(delivery.run_id)
        if run_message is None:  # left the cache meanwhile: back to the queue, the next claim prepares it again
            return DeliveryOutcome(OutcomeKind.WAIT, 0, "the run's message was not prepared")
        if run_message.message is None:
            return DeliveryOutcome(OutcomeKind.TASK_ERROR, 0, run_message.problem or "no message")
        recipient = addresses.for_sending(delivery.address)  # an IDN domain goes out as A-labels
        try:
            values = rendering.merge_variables(run_message.variables, delivery.variables)
            if run_message.unsubscribe and self._links:
                values = self._links.with_token(values, delivery.account_id, delivery.address)
            if run_message.tracked and self._tracking:
                values = self._tracking.copy_values(values, CopyRef(delivery_id=delivery.id, run_id=delivery.run_id))
            data = run_message.message.render(
                recipient=recipient,
                values=values,
                message_id=delivery.message_id,
                date=self._clock.now(),
            )
        except ValueError as error:  # this recipient's values cannot make a valid message
            return DeliveryOutcome(OutcomeKind.FAILED, 0, f"message: {error}")
        envelope_from = run_message.envelope_from
        if run_message.return_path and self._return_paths:
            envelope_from = self._return_paths.address(run_message.return_path, delivery.id)
        letter = Letter(
            delivery_id=delivery.id,
            task_id=delivery.task_id,
            account_id=delivery.account_id,
            envelope_from=envelope_from,
            recipient=recipient,
            message_id=delivery.message_id,
            data=data,
        )
        started = time.monotonic()
        outcome = await self._mailer.deliver(letter, self._gate)
        self._metrics.relay_answered(_reply_class(outcome), time.monotonic() - started)
        return outcome

    async def record(
        self, owner: str, attempts: Sequence[tuple[sending.ClaimedDelivery, DeliveryOutcome]]
    ) -> list[sending.FinishedRun]:
        """Write a batch of outcomes, suppress hard bounces, stop tasks in error and settle finished runs,
        all in one transaction so counters and ledger agree."""
        if not attempts:
            return []
        self._outstanding = max(self._outstanding - len(attempts), 0)
        now = self._clock.now()
        results = [sending.result_of(delivery, outcome, self._policy, now) for delivery, outcome in attempts]
        errors = {
            result.delivery.task_id: (result.delivery.account_id, result.reason or "refused")
            for result, (_, outcome) in zip(results, attempts, strict=True)
            if outcome.kind is OutcomeKind.TASK_ERROR
        }
        async with self._store.transaction() as repositories:
            batch = await repositories.queue.record(owner=owner, results=results)
            finished = batch.finished
            outcomes = {delivery.id: outcome for delivery, outcome in attempts}
            happened = (events.of_sending(result, outcomes[result.delivery.id], now) for result in batch.written)
            await self._events.record(repositories, [event for event in happened if event is not None])
            await _suppress_hard_bounces(repositories, batch.written)
            for task_id, (account_id, message) in sorted(errors.items()):
                await _stop_with_error(repositories, account_id, task_id, message)
            for run in finished:
                await _settle(repositories, run)
        for kind, count in Counter(outcome.kind.value for _, outcome in attempts).items():
            self._metrics.deliveries_recorded(kind, count)
        return finished

    async def sample_queue(self) -> sending.QueueDepth:
        """Report the queue's depth and its oldest delivery's age to the metrics."""
        async with self._store.transaction() as repositories:
            depth = await repositories.queue.depth()
        self._metrics.queue_sampled(depth.open, depth.oldest_age_seconds(self._clock.now()))
        return depth

    async def relay_usage(self) -> list[RelayUsage]:
        """Every relay with today's use of its daily quota."""
        return await self._relays.usage(self._mailer.relay_quotas)

    async def close(self) -> None:
        await self._mailer.close()
        await self._relays.give_back()

    async def _prepare(self, batch: Sequence[sending.ClaimedDelivery]) -> None:
        # A run whose message could not be built is tried again: its task may have been resumed since.
        missing = {delivery.run_id: delivery for delivery in batch if self._unprepared(delivery.run_id)}
        if not missing:
            for delivery in batch:
                self._messages.move_to_end(delivery.run_id)
            return
        async with self._store.transaction() as repositories:
            for run_id, delivery in missing.items():
                compiled = self._messages[run_id] = await self._compile(repositories, delivery)
                self._cached_bytes += compiled.size
        while len(self._messages) > CACHED_RUNS or (
            self._cached_bytes > CACHED_SUBMITTED_BYTES and len(self._messages) > len(missing)
        ):
            self._cached_bytes -= self._messages.popitem(last=False)[1].size

    def _unprepared(self, run_id: int) -> bool:
        prepared = self._messages.get(run_id)
        return prepared is None or prepared.message is None

    async def _compile(self, repositories: SendingRepositories, delivery: sending.ClaimedDelivery) -> _RunMessage:
        task = await repositories.tasks.get(delivery.account_id, delivery.task_id)
        if task is None:
            return _RunMessage(None, "", {}, problem=f"task {delivery.task_id} is gone")
        display_name, envelope_from = email.utils.parseaddr(task.from_address)
        if task.template_id is None:
            return await self._keep_submitted(repositories, task, envelope_from, delivery.run_id)
        template = await repositories.templates.get(task.account_id, task.template_id)
        if template is None:
            return _RunMessage(None, envelope_from, {}, problem=f"template {task.template_id} is gone")
        try:
            templates.require_approved(template)
        except Conflict as error:
            return _RunMessage(None, envelope_from, {}, problem=error.message)
        if not display_name:
            sender = await repositories.senders.get(task.account_id, envelope_from.lower())
            display_name = sender.display_name if sender else ""
        option = await self._links.link_option(repositories, task, envelope_from) if self._links else None
        link = self._links.url_template(option) if self._links and option else None
        tracking_rewrite = await self._tracking_rewrite(repositories, task, delivery.run_id)
        tracked = tracking_rewrite is not None and bool(template.html)
        html = tracking_rewrite(template.html) if tracking_rewrite and template.html else template.html
        text = template.text
        if link and option:  # the footer follows the tracking rewrite: its link is never tracked
            text = text + unsubscribe_texts.text_footer(option, link) if text else None
            footer = unsubscribe_texts.html_footer(option, link)
            html = unsubscribe_texts.with_html_footer(html, footer) if html else None
        draft = MessageDraft(
            from_address=envelope_from,
            from_name=display_name or None,
            reply_to=task.reply_to or None,
            subject=task.subject,
            text=text,
            html=html,
            list_unsubscribe=link,
            message_id_domain=message_ids.domain_of(envelope_from),
        )
        if task.kind is tasks.TaskKind.SINGLE:
            draft = await _single_send_draft(repositories, draft, task, delivery.run_id)
        try:
            # Inside the try: a key that cannot be decrypted or parsed stops the task with a message.
            draft = dataclasses.replace(
                draft, dkim=await dkim_key_for(repositories, self._cipher, task.account_id, envelope_from)
            )
            message = self._composer.compile(draft)
        except ValueError as error:
            return _RunMessage(None, envelope_from, {}, problem=f"cannot build the message: {error}")
        return_path = template_for(envelope_from, self._return_paths.settings) if self._return_paths else None
        return _RunMessage(
            message,
            envelope_from,
            task.variables,
            unsubscribe=link is not None,
            return_path=return_path,
            tracked=tracked,
        )

    async def _keep_submitted(
        self, repositories: SendingRepositories, task: tasks.Task, sender: str, run_id: int
    ) -> _RunMessage:
        """A message submitted over SMTP goes out as it came, signed with the key of its From domain, with the
        account's tracking and unsubscribe link applied as for any single send."""
        submitted = await repositories.submissions.content(task.id)
        if submitted is None:
            return _RunMessage(None, sender, {}, problem=f"the message of task {task.id} is gone")
        envelope_from, content = submitted
        changes = await self._submitted_changes(repositories, task, sender, run_id)
        try:
            key = await dkim_key_for(repositories, self._cipher, task.account_id, sender)
            message = self._composer.keep(content, key, changes)
        except ValueError as error:
            return _RunMessage(None, envelope_from, {}, problem=f"cannot sign the message: {error}")
        return_path = template_for(sender, self._return_paths.settings) if self._return_paths else None
        return _RunMessage(
            message,
            envelope_from,
            {},
            return_path=return_path,
            size=len(content),
            unsubscribe=changes.list_unsubscribe is not None,
            tracked=tracking.TRACK_VARIABLE in changes.variables,
        )

    async def _submitted_changes(
        self, repositories: SendingRepositories, task: tasks.Task, sender: str, run_id: int
    ) -> SubmittedChanges:
        """Tracking of the HTML parts, then the unsubscribe footer and header."""
        track = await self._tracking_rewrite(repositories, task, run_id)
        option = await self._links.link_option(repositories, task, sender) if self._links else None
        link = self._links.url_template(option) if self._links and option else None
        return submitted_changes(track, option, link)

    async def _tracking_rewrite(
        self, repositories: SendingRepositories, task: tasks.Task, run_id: int
    ) -> Callable[[str], str] | None:
        """How the run's HTML gets its open pixel and tracked links (once for every copy); None when the
        account and task track nothing."""
        if self._tracking is None:
            return None
        account_options = await repositories.tracking.options(task.account_id)
        options = tracking.options_for(account_options, await repositories.tracking.options(task.account_id, task.id))
        if not options.any:
            return None
        links = self._tracking
        return lambda html: links.rewrite(html, run_id, options)


async def _single_send_draft(
    repositories: SendingRepositories, draft: MessageDraft, task: tasks.Task, run_id: int
) -> MessageDraft:
    """A single send shows its Destination addresses in To and its Cc in Cc (never Bcc), with attachments."""
    ledger = await repositories.runs.deliveries(task.id, _SINGLE_SEND_WINDOW, run_id=run_id, state=None)
    hidden = set(task.cc) | set(task.bcc)
    return dataclasses.replace(
        draft,
        to=tuple(delivery.address for delivery in ledger.items if delivery.address not in hidden),
        cc=task.cc,
        attachments=tuple(await repositories.single_sends.attachments(task.id)),
    )


def _reply_class(outcome: DeliveryOutcome) -> str:
    """`2xx`, `4xx` or `5xx`; `none` when no reply came (connection fault, timeout, quota wait)."""
    return f"{outcome.code // 100}xx" if 200 <= outcome.code < 600 else "none"


async def _suppress_hard_bounces(repositories: SendingRepositories, results: Sequence[sending.DeliveryResult]) -> None:
    for result in results:
        if result.hard_bounce and result.state is DeliveryState.FAILED:
            await repositories.suppressions.add(
                account_id=result.delivery.account_id,
                address=result.delivery.address,
                reason=suppressions.SuppressionReason.HARD_BOUNCE,
                expires_at=None,
                description=result.reason,
            )


async def _stop_with_error(repositories: SendingRepositories, account_id: int, task_id: int, message: str) -> None:
    """Stop a task that cannot send (credentials, sender, content) instead of burning through its list."""
    task = await repositories.tasks.get(account_id, task_id)
    if task is not None and task.state is not tasks.TaskState.CANCELLED:
        await repositories.tasks.set_state(task_id, tasks.TaskState.ERROR, error_message=message[:1000])


async def _settle(repositories: SendingRepositories, run: sending.FinishedRun) -> None:
    """A task whose last run just finished waits for its next fire time, or is done."""
    task = await repositories.tasks.get(run.account_id, run.task_id)
    if task is None or task.state not in (tasks.TaskState.SENDING, tasks.TaskState.SUSPENDED):
        return
    if await repositories.runs.active(task.id) is None:
        kind = runs.RunKind.MANUAL if run.manual else runs.RunKind.SCHEDULED
        await repositories.tasks.set_state(task.id, settled_state(task, kind))
