"""The one shape both cloud doors share: module-level actions in an ``ACTIONS`` table, bound to the services."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import pytest

from mailyard.web import doors
from mailyard.web.aliyun import mail_tasks
from mailyard.web.tencent import front as tencent_front

ACTION_MODULES: list[ModuleType] = [*tencent_front.ACTION_MODULES, mail_tasks]


@pytest.mark.parametrize("module", ACTION_MODULES, ids=lambda module: module.__name__.rpartition(".")[2])
def test_every_action_is_a_module_function_importable_by_name(module: ModuleType) -> None:
    assert module.ACTIONS
    for name, action in module.ACTIONS.items():
        assert getattr(module, action.__name__) is action, name
        assert inspect.iscoroutinefunction(action)
        assert list(inspect.signature(action).parameters) == ["services", "principal", "params"]


async def test_bound_actions_pass_the_services_first() -> None:
    seen: list[Any] = []

    async def action(services: Any, principal: Any, params: dict[str, Any]) -> dict[str, Any]:
        seen.append((services, principal, params))
        return {}

    bound = doors.bind_actions([{"Act": action}], "the services")  # type: ignore[dict-item,arg-type]
    await bound["Act"]("caller", {"a": 1})  # type: ignore[arg-type]
    assert seen == [("the services", "caller", {"a": 1})]


def test_an_action_named_twice_is_a_programming_error() -> None:
    async def action(services: Any, principal: Any, params: dict[str, Any]) -> None: ...

    with pytest.raises(RuntimeError, match="Act"):
        doors.bind_actions([{"Act": action}, {"Act": action}], None)  # type: ignore[arg-type]


def test_a_failing_translation_counts_as_none() -> None:
    def broken(error: Exception) -> Exception | None:
        raise RuntimeError("broken table")

    assert doors.translated(broken, ValueError("x")) is None
    assert doors.translated(None, ValueError("x")) is None
    assert isinstance(doors.translated(lambda error: KeyError("k"), ValueError("x")), KeyError)
