"""Offset/limit query parameters shared by every listing."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from mailyard.domain import paging


def window(
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=paging.MAX_PAGE_SIZE)] = 20,
) -> paging.Window:
    return paging.Window(offset=offset, limit=limit)


PageWindow = Annotated[paging.Window, Depends(window)]
