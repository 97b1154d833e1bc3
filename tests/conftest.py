"""Fixtures shared by the foundation tests: a fixed clock, a fresh database per test on SQLite and PostgreSQL,
a runtime over it, the native API as an httpx client, and accounts with an admin and members holding keys.

PostgreSQL tests (marker `postgres`) use MAILYARD_TEST_POSTGRES_URL (default: the local trust-auth server).
They skip when the server cannot be reached, unless MAILYARD_TEST_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from mailyard import bootstrap
from mailyard.domain import accounts
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.services.tasks import TaskRequest
from mailyard.settings import Settings
from mailyard.store import engine as engines
from mailyard.store import migrate

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TEST_SETTINGS_PREFIX = "MAILYARD_TEST_"
T = TypeVar("T")


def run_outside_loop(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on its own event loop in a helper thread.

    Session fixtures are synchronous; a private thread keeps their loops away from pytest-asyncio's.
    """
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, make_coroutine()).result()  # type: ignore[arg-type]


async def _migrate(url: str) -> None:
    engine = engines.create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


# --- environment and clock ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _scrub_mailyard_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MAILYARD_* setting of the developer's shell leaks into a test (the test-suite's own are kept)."""
    for name in list(os.environ):
        if name.startswith("MAILYARD_") and not name.startswith(TEST_SETTINGS_PREFIX):
            monkeypatch.delenv(name)


class FixedClock:
    """The `Clock` port standing still until a test moves it; always UTC-aware."""

    def __init__(self, moment: datetime) -> None:
        self._now = moment
        self.set(moment)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


# --- databases ---------------------------------------------------------------------------------------------


class PostgresServer:
    """Creates and drops throw-away databases on one server.

    Creating a database costs a good part of a second (it is synced to disk), so copies of the template are
    made ahead of need and dropped in the background, on a few helper threads.
    """

    COPIES_AHEAD = 2

    def __init__(self, url: str) -> None:
        self.url = url  #: SQLAlchemy URL of the maintenance database
        self.template: str | None = None
        self._executor = ThreadPoolExecutor(max_workers=self.COPIES_AHEAD + 1, thread_name_prefix="postgres-admin")
        self._copies: deque[Future[str]] = deque()
        self._drops: list[Future[None]] = []

    def url_of(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    async def _execute(self, statement: str) -> None:
        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def _submit(self, statement: str) -> Future[None]:
        return self._executor.submit(asyncio.run, self._execute(statement))

    def ping(self) -> None:
        self._submit("SELECT 1").result()

    def _create(self, template: str) -> Future[str]:
        name = f"mailyard_test_{uuid.uuid4().hex[:16]}"

        def create() -> str:
            asyncio.run(self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            return self.url_of(name)

        return self._executor.submit(create)

    def create_empty(self) -> str:
        """A new database without any table; its SQLAlchemy URL."""
        return self._create("template0").result()

    def copy_of_template(self) -> str:
        """A new database holding the migrated schema; its SQLAlchemy URL."""
        assert self.template is not None
        while len(self._copies) <= self.COPIES_AHEAD:
            self._copies.append(self._create(self.template))
        return self._copies.popleft().result()

    def drop(self, url: str) -> None:
        """Drop a database soon, without waiting for it."""
        self._drops.append(self._submit(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

    def close(self) -> None:
        """Drop the copies made ahead and the template; wait for every drop."""
        while self._copies:
            self.drop(self._copies.popleft().result())
        if self.template is not None:
            self.drop(self.url_of(self.template))
        for dropping in self._drops:
            dropping.result()
        self._executor.shutdown()


def without_redis(reason: str) -> NoReturn:
    """A test that needs Redis skips where none runs, and fails where it is required (CI sets
    MAILYARD_TEST_REQUIRE_REDIS=1)."""
    if os.environ.get("MAILYARD_TEST_REQUIRE_REDIS") == "1":
        pytest.fail(f"{reason} (MAILYARD_TEST_REQUIRE_REDIS=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server with a migrated template database, or a skip (a failure when it is required)."""
    server = PostgresServer(os.environ.get("MAILYARD_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    try:
        server.ping()
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        shown = make_url(server.url).render_as_string(hide_password=True)
        reason = f"PostgreSQL unreachable at {shown}: {error!r}"
        if os.environ.get("MAILYARD_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (MAILYARD_TEST_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(f"{reason}; set MAILYARD_TEST_POSTGRES_URL to run the postgres tests")
    template_url = server.create_empty()
    server.template = make_url(template_url).database
    try:
        run_outside_loop(lambda: _migrate(template_url))
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test instead of migrating again."""
    path = tmp_path_factory.mktemp("sqlite-template") / "mailyard.db"
    run_outside_loop(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test: a copied SQLite file or a PostgreSQL copy of the template."""
    if database_kind == "sqlite":
        path = tmp_path / "db" / "mailyard.db"
        path.parent.mkdir()
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.copy_of_template()
    yield url
    server.drop(url)


@pytest.fixture
def empty_database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any table, to migrate from scratch."""
    if database_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty' / 'mailyard.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_empty()
    yield url
    server.drop(url)


# --- runtime, API and people -------------------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Tests fire requests faster than any client; the rate limits have tests of their own.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        identity_verification="trust",
        api_rate_limit=1_000_000,
        client_rate_limit=1_000_000,
    )


@pytest.fixture
async def runtime(settings: Settings, clock: FixedClock) -> AsyncIterator[bootstrap.Runtime]:
    opened = await bootstrap.open_runtime(settings, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def api(runtime: bootstrap.Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The whole web app in-process; pass `auth=person.auth` per request."""
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
        yield client


@dataclass(frozen=True)
class Person:
    """A user with one access key."""

    key: accounts.IssuedKey
    principal: accounts.Principal

    @property
    def auth(self) -> tuple[str, str]:
        return self.key.secret_id, self.key.secret_key

    @property
    def nickname(self) -> str:
        return self.principal.nickname


@dataclass(frozen=True)
class Team:
    """An account with its admin and some members."""

    admin: Person
    members: list[Person]

    @property
    def account_id(self) -> int:
        return self.admin.principal.account_id


MakeTeam = Callable[..., Awaitable[Team]]


@pytest.fixture
def make_team(runtime: bootstrap.Runtime) -> MakeTeam:
    """`await make_team("acme", members=("bob",))`: an account with admin `alice` and the named members."""
    access = runtime.services.access

    async def person(account: str, nickname: str, role: accounts.Role) -> Person:
        key = await access.issue_key(account_name=account, nickname=nickname, role=role)
        return Person(key=key, principal=await access.authenticate(key.secret_id, key.secret_key))

    async def make(account: str, *, admin: str = "alice", members: tuple[str, ...] = ("bob", "carol")) -> Team:
        chief = await person(account, admin, accounts.Role.ADMIN)
        return Team(admin=chief, members=[await person(account, name, accounts.Role.MEMBER) for name in members])

    return make


@pytest.fixture
async def team(make_team: MakeTeam) -> Team:
    """Account `acme`: admin alice, members bob and carol."""
    return await make_team("acme")


@pytest.fixture
async def rival(make_team: MakeTeam) -> Team:
    """Account `globex`, which must never see anything of acme (and the other way round)."""
    return await make_team("globex", admin="gina", members=("hank",))


@dataclass(frozen=True)
class Content:
    """What a task needs: a sender on a verified domain, a template and a recipient list."""

    sender: str
    template_id: int
    list_id: int

    def task_request(self, **changes: Any) -> TaskRequest:
        values: dict[str, Any] = {
            "name": None,
            "from_address": f"News <{self.sender}>",
            "reply_to": None,
            "subject": "Hello {{name}}",
            "template_id": self.template_id,
            "variables": {},
            "recipient_list_id": self.list_id,
            "schedule": Schedule(type=TaskType.IMMEDIATE),
        }
        values.update(changes)
        return TaskRequest(**values)


MakeContent = Callable[..., Awaitable[Content]]


@pytest.fixture
def make_content(runtime: bootstrap.Runtime) -> MakeContent:
    """`await make_content(principal, addresses=[...])`: domain, sender, template and a filled list."""
    services = runtime.services

    async def make(
        principal: accounts.Principal,
        *,
        addresses: tuple[str, ...] = ("ann@example.org", "ben@example.org", "cy@example.org"),
        domain: str = "news.example.com",
        list_name: str = "readers",
    ) -> Content:
        domains = {found.domain for found in await services.identities.list_domains(principal)}
        if domain not in domains:
            await services.identities.create_domain(principal, domain)
        sender = f"hello@{domain}"
        if sender not in {found.address for found in await services.identities.list_senders(principal)}:
            await services.identities.create_sender(principal, address=sender, display_name="News")
        template = await services.templates.create(
            principal, name="greeting", subject="Hi {{name}}", text="Hello {{name}}", html="<p>{{name}}</p>"
        )
        target = await services.recipients.create_list(principal, name=list_name)
        if addresses:
            await services.recipients.add_recipients(principal, target.id, [(address, None) for address in addresses])
        return Content(sender=sender, template_id=template.id, list_id=target.id)

    return make


@pytest.fixture(scope="module", autouse=True)
def _collect_garbage_after_each_module() -> Iterator[None]:
    """Objects a module's tests leave to the garbage collector warn in that module, not in whichever runs next.
    (After each test it was more precise, but a full collection per test took most of the suite's time.)"""
    yield
    gc.collect()
