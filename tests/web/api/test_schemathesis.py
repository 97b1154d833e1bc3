"""Property-based checks of the native API against its own OpenAPI schema: whatever schemathesis sends,
positive or negative, the server never answers with a 5xx, and its responses match the schema.

The app is served by uvicorn on a real socket, with its runtime on one long-lived event loop (a blocking
portal): schemathesis calls synchronously, while the database engine must stay on the loop that opened it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from mailyard import bootstrap
from mailyard.domain import accounts
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.services.tasks import TaskRequest
from mailyard.settings import Settings
from mailyard.web.app import WebOptions, create_app

MAX_EXAMPLES = 25


async def seed(runtime: bootstrap.Runtime) -> None:
    """Something behind the small ids schemathesis likes: a domain, sender, template, list and task."""
    services = runtime.services
    key = await services.access.issue_key(account_name="acme", nickname="alice")
    alice = await services.access.authenticate(key.secret_id, key.secret_key)
    await services.access.issue_key(account_name="acme", nickname="bob", role=accounts.Role.MEMBER)
    await services.identities.create_domain(alice, "news.example.com")
    await services.identities.create_sender(alice, address="hello@news.example.com")
    template = await services.templates.create(alice, name="t", subject="Hi {{name}}", text="Hello {{name}}", html=None)
    target = await services.recipients.create_list(alice, name="readers")
    await services.recipients.add_recipients(alice, target.id, [("ann@example.org", {"name": "Ann"}), ("bad", None)])
    await services.tasks.create(
        alice,
        TaskRequest(
            name=None,
            from_address="hello@news.example.com",
            reply_to=None,
            subject="Hello",
            template_id=template.id,
            variables={},
            recipient_list_id=target.id,
            schedule=Schedule(type=TaskType.IMMEDIATE),
        ),
    )


@dataclass
class Served:
    base_url: str
    portal: BlockingPortal
    runtime: bootstrap.Runtime

    def session(self) -> requests.Session:
        """A session with a fresh admin key, so a case that deletes keys cannot lock the next one out."""
        key = self.portal.call(partial(self.runtime.services.access.issue_key, account_name="acme", nickname="alice"))
        session = requests.Session()
        session.trust_env = False  # no proxy between us and 127.0.0.1
        session.auth = (key.secret_id, key.secret_key)
        return session


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir: Path = tmp_path_factory.mktemp("schemathesis")
    configured = Settings(data_dir=data_dir, identity_verification="trust")
    listening = socket.create_server(("127.0.0.1", 0))  # accepts (into the backlog) before uvicorn runs
    port = listening.getsockname()[1]
    with start_blocking_portal() as portal:
        runtime = portal.call(bootstrap.open_runtime, configured)
        portal.call(seed, runtime)
        app = bootstrap.create_web_app(runtime)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        serving = portal.start_task_soon(partial(server.serve, sockets=[listening]))
        try:
            yield Served(base_url=f"http://127.0.0.1:{port}", portal=portal, runtime=runtime)
        finally:
            server.should_exit = True
            serving.result(timeout=30)
            portal.call(runtime.close)
            listening.close()


def native_api_schema() -> Any:
    """The OpenAPI document of /v1, as the app publishes it (building it needs no database)."""
    document = create_app(None, WebOptions(), doors=()).openapi()  # type: ignore[arg-type]
    loaded = schemathesis.openapi.from_dict(document)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return loaded


schema = native_api_schema()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: Any, served: Served) -> None:
    with served.session() as session:
        case.call_and_validate(
            base_url=served.base_url,
            session=session,
            checks=[not_a_server_error, response_schema_conformance],
        )
