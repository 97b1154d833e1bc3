"""Property-based checks of the native API against its own OpenAPI schema: whatever schemathesis sends,
positive or negative, the server never answers with a 5xx, and its responses match the schema.

Schemathesis calls an ASGI app synchronously, on a fresh event loop each time, while the runtime's database
engine must stay on the loop that opened it. So the runtime lives on one long-lived loop (a blocking portal)
and `PortalApp` carries each request over to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from types import SimpleNamespace
from typing import Any

import anyio
import anyio.to_thread
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from schemathesis import openapi
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tests.web import fuzzing

from mailyard import bootstrap
from mailyard.domain import accounts
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.services.tasks import TaskRequest
from mailyard.settings import Settings
from mailyard.web.app import WebOptions, create_app

PHASES = ["examples", "fuzzing"]


class PortalApp:
    """An ASGI app that runs `target` on the portal's event loop: the request body is read on the caller's
    loop, the app runs on the portal's, and the response messages it sent are replayed to the caller."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None
        self.portal: BlockingPortal | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the runtime is opened and closed by the fixture
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        assert self.portal is not None, "the `served` fixture attaches the app"
        for message in await anyio.to_thread.run_sync(self.portal.call, self._run, scope, body):
            await send(message)

    async def _run(self, scope: Scope, body: bytes) -> list[Message]:
        assert self.target is not None
        sent: list[Message] = []
        answered = anyio.Event()
        request = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Message:
            if request:
                return request.pop()
            await answered.wait()
            return {"type": "http.disconnect"}

        async def collect(message: Message) -> None:
            sent.append(message)

        try:
            await self.target(scope, receive, collect)
        finally:
            answered.set()
        return sent


def native_api_schema(app: PortalApp) -> Any:
    """The OpenAPI document of /v1 as the app publishes it (building it needs no database), served by `app`."""
    no_services = SimpleNamespace(access=SimpleNamespace(lookup_secret=None))
    document = create_app(no_services, WebOptions(), doors=()).openapi()  # type: ignore[arg-type]
    loaded = openapi.from_dict(document)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    loaded.config.phases.update(phases=PHASES)
    loaded.app = app
    return loaded


portal_app = PortalApp()
schema = native_api_schema(portal_app)
OPERATIONS = sum(1 for _ in schema.get_all_operations())
#: 25 cases per operation in `make test`; `make fuzz` spreads its total over the operations
MAX_EXAMPLES = max(25, fuzzing.examples(25 * OPERATIONS) // OPERATIONS)


async def seed(runtime: bootstrap.Runtime) -> None:
    """Something behind the small ids schemathesis likes: users, a domain, sender, template, list and task."""
    services = runtime.services
    key = await services.access.issue_key(account_name="acme", nickname="alice")
    alice = await services.access.authenticate(key.secret_id, key.secret_key)
    await services.access.issue_key(account_name="acme", nickname="bob", role=accounts.Role.MEMBER)
    await services.identities.create_domain(alice, "news.example.com")
    await services.identities.create_sender(alice, address="hello@news.example.com")
    template = await services.templates.create(alice, name="t", subject="Hi {{name}}", text="Hello {{name}}", html=None)
    target = await services.recipients.create_list(alice, name="readers")
    await services.recipients.add_recipients(alice, target.id, [("ann@example.org", {"name": "Ann"}), ("bad", None)])
    request = TaskRequest(
        name=None,
        from_address="hello@news.example.com",
        reply_to=None,
        subject="Hello",
        template_id=template.id,
        variables={},
        recipient_list_id=target.id,
        schedule=Schedule(type=TaskType.IMMEDIATE),
    )
    await services.tasks.create(alice, request)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bootstrap.Runtime]:
    """A seeded runtime on SQLite, reachable through `portal_app`."""
    configured = Settings(
        data_dir=tmp_path_factory.mktemp("schemathesis"),
        identity_verification="trust",
        # Schemathesis fires far faster than any client: the limits have tests of their own.
        api_rate_limit=1_000_000,
        client_rate_limit=1_000_000,
    )
    with start_blocking_portal() as portal:
        runtime = portal.call(bootstrap.open_runtime, configured)
        try:
            portal.call(seed, runtime)
            portal_app.target, portal_app.portal = bootstrap.create_web_app(runtime), portal
            yield runtime
        finally:
            portal_app.target = portal_app.portal = None
            portal.call(runtime.close)


@pytest.fixture
def admin_auth(served: bootstrap.Runtime) -> tuple[str, str]:
    """A fresh admin key for each operation, so an operation deleting keys locks out no other, and alice an admin
    again should a fuzzed role change have made her a member (with another admin left)."""
    portal, access = portal_app.portal, served.services.access
    assert portal is not None
    key = portal.call(partial(access.issue_key, account_name="acme", nickname="alice"))
    alice = portal.call(access.authenticate, key.secret_id, key.secret_key)
    if not alice.is_admin:
        operator = portal.call(access.operator, "acme")
        portal.call(access.set_role, operator, alice.user_id, accounts.Role.ADMIN)
    return key.secret_id, key.secret_key


@schema.parametrize()
@fuzzing.timeout(120, 25 * OPERATIONS)
@pytest.mark.fuzz
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: Any, admin_auth: tuple[str, str]) -> None:
    response = case.call_and_validate(auth=admin_auth, checks=[not_a_server_error, response_schema_conformance])
    if response.status_code >= 400:  # a success may echo what the client stored, whatever it says
        fuzzing.assert_no_internal_details(response.text)
