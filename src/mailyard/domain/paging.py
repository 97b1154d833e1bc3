"""Pages of results: the items asked for and the total that matched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


@dataclass(frozen=True)
class Window:
    """Offset and limit of a page request."""

    offset: int = 0
    limit: int = 20
