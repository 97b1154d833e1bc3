"""`/healthz` (the process answers), `/readyz` (it can do its work) and `/metrics`, as plain ASGI routes.

The same routes are served by `serve` (beside the API) and by `worker` (on its metrics port).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mailyard.observability.metrics import CONTENT_TYPE, PrometheusMetrics

logger = logging.getLogger(__name__)

Check = Callable[[], Awaitable[bool]]
CHECK_TIMEOUT_SECONDS = 5.0


async def _passes(name: str, check: Check) -> bool:
    """A check that raises or hangs fails; the reason goes to the log, not to the caller."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            return await check()
    except Exception as error:
        logger.warning("readiness check %r failed: %s", name, type(error).__name__)
        return False


def probe_routes(
    checks: Mapping[str, Check],
    metrics: PrometheusMetrics,
    *,
    before_scrape: Callable[[], Awaitable[object]] | None = None,
) -> list[BaseRoute]:
    """The three probe routes; `before_scrape` refreshes sampled values (queue depth) before a scrape."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        results = {name: await _passes(name, check) for name, check in checks.items()}
        ready = all(results.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": results}, 200 if ready else 503)

    async def scrape(_request: Request) -> Response:
        if before_scrape is not None:
            try:
                await before_scrape()
            except Exception as error:  # the other series are still worth serving
                logger.warning("sampling the queue for metrics failed: %s", type(error).__name__)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", scrape, methods=["GET"]),
    ]
