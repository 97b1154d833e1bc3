"""Official clients in other languages, installed from their registries by `make test` (never vendored).

Where a client is missing the tests skip, unless MAILYARD_TEST_REQUIRE_CLIENTS=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.conftest import LiveService, start_service, stop_service

NODE_MODULES = Path(os.environ.get("MAILYARD_TEST_NODE_MODULES", ".venv/node/node_modules"))


def require_client(what: str, present: bool) -> None:
    if present:
        return
    message = f"{what} is not installed (make test installs it)"
    if os.environ.get("MAILYARD_TEST_REQUIRE_CLIENTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def tencent_node_sdk() -> Path:
    """The node_modules folder holding tencentcloud-sdk-nodejs-ses."""
    require_client("node", shutil.which("node") is not None)
    require_client("tencentcloud-sdk-nodejs-ses", (NODE_MODULES / "tencentcloud-sdk-nodejs-ses").is_dir())
    return NODE_MODULES.resolve()


@pytest.fixture(scope="session")
def tccli() -> Path:
    """Tencent Cloud's command line (PyPI `tccli`), in the virtual environment of its own that `make test`
    gives it (`.venv/tccli`)."""
    found = Path(sys.executable).parent.parent / "tccli" / "bin" / "tccli"
    require_client("tccli", found.is_file())
    return found


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """A `mailyard serve --api-only` of each test module's own, with the key of its admin."""
    live = start_service(tmp_path_factory.mktemp("client"), None, "--api-only")
    live.create_key("default", "admin")
    yield live
    stop_service(live)
