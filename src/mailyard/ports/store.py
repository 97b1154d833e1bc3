"""Units of work: each service names the repositories it needs; the store hands them out per transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

Repositories = TypeVar("Repositories", covariant=True)


class Store(Protocol[Repositories]):
    def transaction(self) -> AbstractAsyncContextManager[Repositories]:
        """A unit of work: committed when the block exits normally, rolled back on an exception."""
        ...


class AfterCommit(Protocol):
    """What a unit of work does once it is committed (never when it rolls back): reports about the change."""

    def after_commit(self, action: Callable[[], None]) -> None: ...
