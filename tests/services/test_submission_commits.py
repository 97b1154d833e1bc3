"""Submitted messages are committed in groups, and on PostgreSQL two groups' transactions may be under way at
once (pipelined): while one commits, the next is written. The daily quota still never overshoots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.domain import messages
from mailyard.errors import ErrorCode, LimitExceeded
from mailyard.services.single_sends import SentMessage
from mailyard.services.submission_commits import CheckedSubmission, SubmissionCommits
from mailyard.services.submissions import SubmissionService
from mailyard.system.passwords import Argon2PasswordHasher

pytestmark = pytest.mark.timeout(60)
CONTENT = b"From: news@news.example.com\r\nTo: ann@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


class WatchedStore:
    """The runtime's store, noting how many transactions are open at once. Once armed, the first transaction
    waits (a few seconds at most) for a second to open: one only opens if the service starts one alongside."""

    def __init__(self, runtime: bootstrap.Runtime) -> None:
        self._store = runtime.store
        self.armed = False
        self.open = 0
        self.most = 0
        self.opened = 0
        self.first_open = asyncio.Event()
        self._second = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self._store.transaction() as repositories:
            self.open += 1
            self.opened += 1
            self.most = max(self.most, self.open)
            try:
                if self.armed and self.open == 1:
                    self.first_open.set()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._second.wait(), 3)
                elif self.armed:
                    self._second.set()
                yield repositories
            finally:
                self.open -= 1


def submission(service: SubmissionService, submitter: Any, to: str) -> Any:
    return service.submit(submitter, mail_from="", recipients=[to], content=CONTENT)


async def submit_all(service: SubmissionService, account: str, count: int) -> list[SentMessage | BaseException]:
    submitter = await service.for_account(account)
    recipients = [f"r{index}@example.org" for index in range(count)]
    return await asyncio.gather(*(submission(service, submitter, to) for to in recipients), return_exceptions=True)


MakeService = Callable[..., SubmissionService]


@pytest.fixture
async def make_service(runtime: bootstrap.Runtime) -> AsyncIterator[MakeService]:
    """`make_service(store=None, **options)`: a service over the runtime's store (or `store`); its commits under
    way end before the runtime closes, as the runtime's own service's do."""
    made: list[SubmissionService] = []

    def make(store: Any = None, **options: Any) -> SubmissionService:
        service = SubmissionService(store or runtime.store, runtime.services.clock, Argon2PasswordHasher(), **options)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


@pytest.fixture
async def account(runtime: bootstrap.Runtime, team: Any) -> str:
    await runtime.services.identities.create_domain(team.admin.principal, "news.example.com")
    return "acme"


async def test_two_transactions_are_under_way_at_once_on_postgresql(
    runtime: bootstrap.Runtime, make_service: MakeService, account: str, database_kind: str
) -> None:
    if database_kind != "postgres":
        pytest.skip("SQLite has one writer: its transactions follow each other")
    store = WatchedStore(runtime)
    service = make_service(store, transactions_at_once=2)
    submitter = await service.for_account(account)
    store.armed = True
    first = asyncio.create_task(submission(service, submitter, "first@example.org"))
    await store.first_open.wait()  # the first message's transaction is under way; more messages arrive
    later = await asyncio.gather(*(submission(service, submitter, f"r{index}@example.org") for index in range(19)))
    outcomes = [await first, *later]
    assert len({outcome.task_id for outcome in outcomes}) == 20
    assert store.most == 2


async def test_pipelined_transactions_keep_the_daily_quota(
    runtime: bootstrap.Runtime, make_service: MakeService, account: str, team: Any
) -> None:
    await runtime.services.access.update_account(team.admin.principal, daily_quota=7)
    service = make_service(transactions_at_once=3)
    outcomes = await submit_all(service, account, 20)
    assert sum(isinstance(outcome, SentMessage) for outcome in outcomes) == 7
    refused = [outcome for outcome in outcomes if isinstance(outcome, LimitExceeded)]
    assert len(refused) == 13 and {error.code for error in refused} == {ErrorCode.QUOTA_EXHAUSTED}


async def first_transaction_begun(
    runtime: bootstrap.Runtime, make_service: MakeService, account: str
) -> tuple[WatchedStore, SubmissionService, Any, asyncio.Task[SentMessage]]:
    """A service over a watched store whose first message's transaction has begun and waits (3 s at most)
    before it takes the messages waiting; transactions are counted from that one on."""
    store = WatchedStore(runtime)
    service = make_service(store)
    submitter = await service.for_account(account)
    store.armed, store.opened = True, 0
    first = asyncio.create_task(submission(service, submitter, "first@example.org"))
    await store.first_open.wait()
    return store, service, submitter, first


async def test_a_session_that_goes_away_while_its_group_commits_leaves_the_others_alone(
    runtime: bootstrap.Runtime, make_service: MakeService, account: str
) -> None:
    _store, service, submitter, first = await first_transaction_begun(runtime, make_service, account)
    leaving = asyncio.create_task(submission(service, submitter, "leaving@example.org"))
    staying = asyncio.create_task(submission(service, submitter, "staying@example.org"))
    await asyncio.sleep(0)
    leaving.cancel()
    outcomes = [await first, await staying]
    with suppress(asyncio.CancelledError):
        await leaving
    assert leaving.cancelled() and len({outcome.task_id for outcome in outcomes}) == 2
    async with runtime.engine.connect() as connection:  # the message of the session that left is kept too
        stored = await connection.execute(text("SELECT count(*) FROM submitted_messages"))
        assert stored.scalar_one() == 3


async def test_messages_that_arrive_while_a_transaction_begins_join_it(
    runtime: bootstrap.Runtime, make_service: MakeService, account: str
) -> None:
    store, service, submitter, first = await first_transaction_begun(runtime, make_service, account)
    later = [asyncio.create_task(submission(service, submitter, f"r{index}@example.org")) for index in range(5)]
    outcomes = [await first, *[await task for task in later]]
    assert len({outcome.task_id for outcome in outcomes}) == 6
    assert store.opened == 1  # one transaction for all six


class FailingStore:
    """A store whose transactions cannot begin (the database is gone)."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        raise ConnectionError("database unreachable")
        yield


async def test_a_transaction_that_cannot_begin_fails_the_messages_waiting_for_it(
    make_service: MakeService, account: str
) -> None:
    submitter = await make_service().for_account(account)
    service = make_service(FailingStore())
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(submission(service, submitter, f"r{index}@example.org") for index in range(3)), return_exceptions=True
        ),
        10,
    )
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)


async def test_a_message_right_after_a_group_committed_is_committed_too(
    runtime: bootstrap.Runtime, make_service: MakeService, account: str
) -> None:
    """The committer that has just finished is no longer counted: a message given in the same turn of the
    event loop as the last one's answer starts a new committer instead of waiting for the finished one."""
    submitter = await make_service().for_account(account)
    commits = SubmissionCommits(runtime.store, runtime.services.clock)

    def checked(to: str) -> CheckedSubmission:
        recipients = messages.Recipients(to=(to,), cc=(), bcc=())
        send = messages.SingleSend(
            from_address="news@news.example.com",
            reply_to=None,
            subject="hi",
            template_id=None,
            variables={},
            recipients=recipients,
        )
        return CheckedSubmission(submitter=submitter, envelope_from="", send=send, content=CONTENT)

    first = await commits.commit(checked("first@example.org"))
    # Awaited directly: asyncio.wait_for would start it in a task of its own, one turn of the loop later.
    second = await commits.commit(checked("second@example.org"))
    await commits.close()
    assert first.task_id != second.task_id


async def test_closing_waits_for_the_transactions_under_way(
    make_service: MakeService, runtime: bootstrap.Runtime, account: str
) -> None:
    """The runtime closes its submission service before the database. Transactions may still be under way once
    every message has its answer (pipelined committers that began after another took every message end their
    own, empty, transaction); closing waits for them, so no connection is left in use."""
    service = make_service(transactions_at_once=3)
    outcomes = await submit_all(service, account, 20)
    assert all(isinstance(outcome, SentMessage) for outcome in outcomes)
    await service.close()
    assert runtime.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
