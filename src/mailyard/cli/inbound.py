"""`mailyard inbound`: the inbound SMTP listener alone (bounces and complaints), for scale-out; and the
listener's start under `mailyard serve`."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from mailyard import bootstrap
from mailyard.cli import context
from mailyard.domain import paging
from mailyard.smtpd.inbound.listener import InboundListener, InboundListenerError
from mailyard.worker.signals import stop_on_signals

log = logging.getLogger(__name__)


def inbound(
    kept: Annotated[
        bool, typer.Option("--kept", help="List the messages kept unattributed instead of serving.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=paging.MAX_PAGE_SIZE, help="How many to list.")] = 20,
) -> None:
    """Run the inbound SMTP listener for bounces and complaints (MAILYARD_INBOUND_SMTP) until stopped."""
    settings = context.settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def work() -> None:
        runtime = await bootstrap.open_runtime(settings)
        try:
            if kept:
                await _list_kept(runtime, limit)
                return
            address = settings.inbound_address
            if address is None:
                context.fail("the inbound listener is off (MAILYARD_INBOUND_SMTP=off)")
            listener = bootstrap.create_inbound_listener(runtime, (address[0], address[1]))
            stop = asyncio.Event()
            stop_on_signals(stop)
            await listener.start()
            try:
                await stop.wait()
            finally:
                await listener.close()
        finally:
            await runtime.close()

    context.run(work)


async def start_beside_serve(runtime: bootstrap.Runtime) -> InboundListener | None:
    """Start the listener under `mailyard serve`: an address set explicitly that cannot be bound stops the
    start; the default one, when taken, is skipped with a warning."""
    address = runtime.settings.inbound_address
    if address is None:
        return None
    host, port, explicit = address
    listener = bootstrap.create_inbound_listener(runtime, (host, port))
    try:
        await listener.start()
    except InboundListenerError as error:
        if explicit:
            raise
        log.warning("%s; bounces and complaints are not received (set MAILYARD_INBOUND_SMTP)", error)
        return None
    return listener


async def _list_kept(runtime: bootstrap.Runtime, limit: int) -> None:
    bounces = runtime.services.bounces
    assert bounces is not None
    page = await bounces.kept(paging.Window(offset=0, limit=limit))
    context.console.print(f"{page.total} message(s) kept unattributed", highlight=False)
    for item in page.items:
        line = f"{item.id}\t{item.received_at:%Y-%m-%d %H:%M:%S}\t{item.kind.value}\t{item.recipient}\t{item.problem}"
        context.console.print(line, highlight=False, soft_wrap=True)
