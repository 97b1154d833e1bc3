"""Official clients in other languages, installed from their registries by `make test` (never vendored).

Where a client is missing the tests skip, unless MAILYARD_TEST_REQUIRE_CLIENTS=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
