"""Fixtures for the Tencent front door tests: a live server on 127.0.0.1 and a movable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from tencent_server import FakeActions, SkewedClock, build_door, serve

_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def door_clock() -> SkewedClock:
    return SkewedClock()


@pytest.fixture
def fake_actions() -> FakeActions:
    return FakeActions()


@pytest.fixture
def start_door(
    monkeypatch: pytest.MonkeyPatch, door_clock: SkewedClock, fake_actions: FakeActions
) -> Iterator[Callable[..., int]]:
    """``start_door(**door_options) -> port``; every server is stopped after the test.

    Proxies are cleared and NO_PROXY names ``127.0.0.1:PORT`` as the SDK needs (spec 1.7.6).
    """
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:

        def start(**options: Any) -> int:
            port = stack.enter_context(serve(build_door(fake_actions, door_clock, **options)))
            monkeypatch.setenv("NO_PROXY", f"127.0.0.1:{port},127.0.0.1")
            monkeypatch.setenv("no_proxy", f"127.0.0.1:{port},127.0.0.1")
            return port

        yield start


@pytest.fixture
def door_port(start_door: Callable[..., int]) -> int:
    return start_door()
