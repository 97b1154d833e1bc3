"""Committing submitted messages in groups: the messages waiting when a transaction starts all go into it.

With many SMTP sessions at once, one transaction stores them all and
each session hears 250 once it has committed; a lone message is committed at once, alone. A message the daily
quota cannot take is refused on its own; a transaction that fails fails every message in it (nothing stored).
"""

from __future__ import annotations

import asyncio
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
    def __init__(self, store: Store[SubmissionRepositories], clock: Clock, *, most: int = MOST_PER_TRANSACTION) -> None:
        self._store = store
        self._clock = clock
        self._most = most
        self._waiting: list[tuple[CheckedSubmission, asyncio.Future[SentMessage]]] = []
        self._committing: asyncio.Task[None] | None = None

    async def commit(self, submission: CheckedSubmission) -> SentMessage:
        """Returns once the message is committed; raises LimitExceeded when the daily quota cannot take it."""
        done: asyncio.Future[SentMessage] = asyncio.get_running_loop().create_future()
        self._waiting.append((submission, done))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_waiting(), name="mailyard-submission-commits")
        # Shielded: a session that goes away while its message commits does not cancel the others'.
        return await asyncio.shield(done)

    async def _commit_waiting(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._most]
            del self._waiting[: self._most]
            try:
                outcomes = await self._commit([submission for submission, _ in batch])
            except Exception as error:  # every session of the batch hears it; the next batch still runs
                outcomes = [error] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)

    async def _commit(self, batch: Sequence[CheckedSubmission]) -> list[Outcome]:
        now = self._clock.now()
        async with self._store.transaction() as repositories:
            outcomes = await _within_quotas(repositories, batch, now)
            taken = [index for index, outcome in enumerate(outcomes) if outcome is None]
            sends = [
                (batch[index].submitter.account_id, batch[index].submitter.owner_id, batch[index].send)
                for index in taken
            ]
            stored = dict(zip(taken, await store_singles(repositories, sends), strict=True))
            await repositories.submissions.store_contents(
                [(stored[index].task_id, batch[index].envelope_from, batch[index].content) for index in taken]
            )
        return [stored[index] if outcome is None else outcome for index, outcome in enumerate(outcomes)]


async def _within_quotas(
    repositories: SubmissionRepositories, batch: Sequence[CheckedSubmission], now: datetime
) -> list[BaseException | None]:
    """None for each message its account's daily quota can take (in order), else the error to answer."""
    used: dict[int, int] = {}
    outcomes: list[BaseException | None] = []
    for item in batch:
        submitter, count = item.submitter, len(item.send.recipients.everyone)
        if submitter.daily_quota is None:
            outcomes.append(None)
            continue
        if submitter.account_id not in used:
            since = quotas.day_start(now, submitter.time_zone)
            used[submitter.account_id] = await repositories.submissions.committed_since(submitter.account_id, since)
        if used[submitter.account_id] + count > submitter.daily_quota:
            outcomes.append(LimitExceeded("the account's daily quota is used up", code=ErrorCode.QUOTA_EXHAUSTED))
            continue
        used[submitter.account_id] += count
        outcomes.append(None)
    return outcomes
