"""`mailyard inbound`: the inbound SMTP listener alone (bounces and complaints), for scale-out; and the
listener's start under `mailyard serve`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Annotated

import typer

from mailyard import bootstrap
from mailyard.cli import context, output
from mailyard.cli.output import OffsetOption
from mailyard.domain import paging
from mailyard.smtpd.listener import ListenerError
from mailyard.worker.signals import stop_on_signals

log = logging.getLogger(__name__)


def inbound(
    kept: Annotated[
        bool, typer.Option("--kept", help="List the messages kept unattributed instead of serving.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=paging.MAX_PAGE_SIZE, help="How many to list.")] = 20,
    offset: OffsetOption = 0,
    as_json: Annotated[bool, typer.Option("--json", help="With --kept: print the page as JSON.")] = False,
) -> None:
    """Run the inbound SMTP listener for bounces and complaints (MAILYARD_INBOUND_SMTP) until stopped."""
    context.require_local("inbound")
    settings = context.settings()
    if not kept:  # a listing prints nothing but itself
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def work() -> None:
        runtime = await bootstrap.open_runtime(settings)
        try:
            if kept:
                await _list_kept(runtime, paging.Window(offset=offset, limit=limit), as_json)
                return
            try:
                listeners = await _start_alone(runtime)
            except ListenerError as error:
                context.fail(str(error))
            stop = asyncio.Event()
            stop_on_signals(stop)
            try:
                await stop.wait()
            finally:
                await listeners.close()
        finally:
            await runtime.close()

    context.run(work)


async def start_beside_serve(runtime: bootstrap.Runtime) -> bootstrap.SmtpListeners | None:
    """Start the listener under `mailyard serve`: an address set explicitly that cannot be bound (or a malformed
    one) raises ListenerError; the default one, when taken, is skipped with a warning."""
    address = bootstrap.inbound_address(runtime.settings)
    if address is None:
        return None
    listeners = await bootstrap.start_inbound(runtime, address)
    if not listeners.servers:
        log.warning("bounces and complaints are not received (set MAILYARD_INBOUND_SMTP)")
        return None
    return listeners


async def _start_alone(runtime: bootstrap.Runtime) -> bootstrap.SmtpListeners:
    """Alone, the listener is the whole command: any address that cannot be bound ends it."""
    address = bootstrap.inbound_address(runtime.settings)
    if address is None:
        context.fail("the inbound listener is off (MAILYARD_INBOUND_SMTP=off)")
    return await bootstrap.start_inbound(runtime, replace(address, explicit=True))


async def _list_kept(runtime: bootstrap.Runtime, window: paging.Window, as_json: bool) -> None:
    bounces = runtime.services.bounces
    assert bounces is not None
    page = await bounces.kept(window)
    if as_json:
        items = [
            {
                "id": item.id,
                "received_at": item.received_at.isoformat(),
                "kind": item.kind.value,
                "mail_from": item.mail_from,
                "recipient": item.recipient,
                "problem": item.problem,
                "size": item.size,
            }
            for item in page.items
        ]
        output.print_json({"items": items, "total": page.total, "offset": window.offset, "limit": window.limit})
        return
    context.console.print(f"{page.total} message(s) kept unattributed", highlight=False)
    for item in page.items:
        line = f"{item.id}\t{item.received_at:%Y-%m-%d %H:%M:%S}\t{item.kind.value}\t{item.recipient}\t{item.problem}"
        context.console.print(line, highlight=False, soft_wrap=True)
    if window.offset + len(page.items) < page.total:
        context.console.print(f"next page: --offset {window.offset + len(page.items)}", style="dim")
