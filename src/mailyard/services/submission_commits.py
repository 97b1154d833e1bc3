"""Committing submitted messages in groups: the messages waiting once a transaction has begun all go into it
(taken after BEGIN, so those that arrive while it begins join it too).

With many SMTP sessions at once, one transaction stores them all and
each session hears 250 once it has committed; a lone message is committed at once, alone. A message the daily
quota cannot take is refused on its own; a transaction that fails fails every message in it (nothing stored).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mailyard.domain import messages, quotas
from mailyard.domain.submissions import Submitter
from mailyard.errors import ErrorCode, LimitExceeded
from mailyard.ports.clock import Clock
from mailyard.ports.store import Store
from mailyard.ports.submissions import SubmissionRepositories
from mailyard.services.single_sends import SentMessage, store_singles

MOST_PER_TRANSACTION = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedSubmission:
    """A submitted message that passed every check but the daily quota."""

    submitter: Submitter
    envelope_from: str
    send: messages.SingleSend
    content: bytes


Outcome = SentMessage | BaseException


class SubmissionCommits:
    """`at_once` transactions may be under way together (pipelined): while one commits, the messages that
    arrived meanwhile are already written by the next. More than one helps a database that commits
    transactions side by side (PostgreSQL); SQLite has one writer, and a second transaction would only wait."""

    def __init__(
        self,
        store: Store[SubmissionRepositories],
        clock: Clock,
        *,
        most: int = MOST_PER_TRANSACTION,
        at_once: int = 1,
    ) -> None:
        self._store = store
        self._clock = clock
        self._most = most
        self._at_once = at_once
        self._waiting: list[tuple[CheckedSubmission, asyncio.Future[SentMessage]]] = []
        self._committers: set[asyncio.Task[None]] = set()
        # Recipients of the transactions under way, per account: a transaction does not see another's rows
        # before they are committed, so the daily quota counts them from here (never letting it overshoot).
        self._in_flight: Counter[int] = Counter()

    async def commit(self, submission: CheckedSubmission) -> SentMessage:
        """Returns once the message is committed; raises LimitExceeded when the daily quota cannot take it."""
        done: asyncio.Future[SentMessage] = asyncio.get_running_loop().create_future()
        self._waiting.append((submission, done))
        if len(self._committers) < self._at_once:
            committer = asyncio.create_task(self._commit_waiting(), name="mailyard-submission-commits")
            self._committers.add(committer)
        # A session that goes away while its message commits cancels only its own future, which the group's
        # committer then passes over: the others' are not touched (nor is the message, committed all the same).
        return await done

    async def close(self) -> None:
        """Wait for the transactions under way. A committer that began after another took every message still
        ends its own (empty) transaction after the last answer; the engine must outlive it."""
        while self._committers:
            await asyncio.gather(*self._committers, return_exceptions=True)

    async def _commit_waiting(self) -> None:
        try:
            await self._commit_while_waiting()
        finally:
            # Gone from the committers at once, with no await after the last look at `_waiting`: a done
            # callback would run later, and a message arriving meanwhile would find no committer to take it.
            task = asyncio.current_task()
            assert task is not None
            self._committers.discard(task)

    async def _commit_while_waiting(self) -> None:
        while self._waiting:
            batch: list[tuple[CheckedSubmission, asyncio.Future[SentMessage]]] = []
            try:
                outcomes = await self._commit(batch)
            except Exception as error:  # every session of the batch hears it; the next batch still runs
                if not batch:  # the transaction did not even begin: the messages waiting for it hear why
                    batch = self._take()
                outcomes = [error] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)

    def _take(self) -> list[tuple[CheckedSubmission, asyncio.Future[SentMessage]]]:
        batch = self._waiting[: self._most]
        del self._waiting[: self._most]
        return batch

    async def _commit(self, batch: list[tuple[CheckedSubmission, asyncio.Future[SentMessage]]]) -> list[Outcome]:
        """Commit the messages waiting once the transaction has begun (put into `batch`): those that arrived
        while it began join it rather than wait for the next one."""
        now = self._clock.now()
        reserved: Counter[int] = Counter()
        try:
            async with self._store.transaction() as repositories:
                batch.extend(self._take())
                submissions = [submission for submission, _ in batch]
                outcomes = await _within_quotas(repositories, submissions, now, self._in_flight)
                for item, outcome in zip(submissions, outcomes, strict=True):
                    if outcome is None and item.submitter.daily_quota is not None:
                        reserved[item.submitter.account_id] += len(item.send.recipients.everyone)
                self._in_flight.update(reserved)
                return await _store_taken(repositories, submissions, outcomes)
        finally:
            self._in_flight.subtract(reserved)


async def _store_taken(
    repositories: SubmissionRepositories, batch: Sequence[CheckedSubmission], outcomes: list[BaseException | None]
) -> list[Outcome]:
    """The messages the quota took, written as one group of single sends with their contents."""
    taken = [index for index, outcome in enumerate(outcomes) if outcome is None]
    sends = [(batch[index].submitter.account_id, batch[index].submitter.owner_id, batch[index].send) for index in taken]
    stored = dict(zip(taken, await store_singles(repositories, sends), strict=True))
    await repositories.submissions.store_contents(
        [(stored[index].task_id, batch[index].envelope_from, batch[index].content) for index in taken]
    )
    return [stored[index] if outcome is None else outcome for index, outcome in enumerate(outcomes)]


async def _within_quotas(
    repositories: SubmissionRepositories, batch: Sequence[CheckedSubmission], now: datetime, in_flight: Counter[int]
) -> list[BaseException | None]:
    """None for each message its account's daily quota can take (in order), counting what is committed and
    what other transactions under way hold (`in_flight`), else the error to answer."""
    used: dict[int, int] = {}
    outcomes: list[BaseException | None] = []
    for item in batch:
        submitter, count = item.submitter, len(item.send.recipients.everyone)
        if submitter.daily_quota is None:
            outcomes.append(None)
            continue
        if submitter.account_id not in used:
            since = quotas.day_start(now, submitter.time_zone)
            committed = await repositories.submissions.committed_since(submitter.account_id, since)
            used[submitter.account_id] = committed + in_flight[submitter.account_id]
        if used[submitter.account_id] + count > submitter.daily_quota:
            outcomes.append(LimitExceeded("the account's daily quota is used up", code=ErrorCode.QUOTA_EXHAUSTED))
            continue
        used[submitter.account_id] += count
        outcomes.append(None)
    return outcomes
