"""`mailyard serve` (API, front doors and engine in one process) and `mailyard worker` (engine only)."""

from __future__ import annotations

import asyncio
import gc
from typing import Annotated

import typer
import uvicorn

from mailyard import bootstrap
from mailyard.cli import context, inbound
from mailyard.domain.accounts import IssuedKey
from mailyard.observability.logs import configure_logging
from mailyard.smtpd.listener import ListenerError
from mailyard.worker.signals import stop_on_signals

FIRST_ACCOUNT = "default"
FIRST_USER = "admin"


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
    api_only: Annotated[
        bool, typer.Option("--api-only", help="Serve HTTP only; leave sending to `mailyard worker` processes.")
    ] = False,
) -> None:
    """Serve the native API and both cloud APIs on one port, send mail, and take bounces and complaints over
    SMTP (MAILYARD_INBOUND_SMTP), all in one process."""
    settings = context.settings()
    chosen_host, chosen_port = host or settings.host, port or settings.port
    # Links in mail (tracking, unsubscribe) point here unless MAILYARD_PUBLIC_URL says otherwise.
    settings = settings.model_copy(update={"host": chosen_host, "port": chosen_port})
    configure_logging(settings.log_format)

    async def work() -> None:
        runtime = await bootstrap.open_runtime(settings)
        listener = None
        try:
            issued = await runtime.services.access.first_start_key(account_name=FIRST_ACCOUNT, nickname=FIRST_USER)
            if issued is not None:
                password = await runtime.services.sign_in.initial_password(
                    account_name=issued.account.name, nickname=issued.user.nickname
                )
                _announce_first_key(issued, password, f"http://{chosen_host}:{chosen_port}")
            try:
                listener = await inbound.start_beside_serve(runtime)
            except ListenerError as error:
                context.fail(str(error))
            app = bootstrap.create_web_app(runtime, with_worker=not api_only)
            config = uvicorn.Config(app, host=chosen_host, port=chosen_port, log_config=None, log_level="info")
            listeners = await _start_smtp(runtime)
            try:
                _spare_the_start_up_from_the_collector()
                await uvicorn.Server(config).serve()
            finally:
                await listeners.close()
        finally:
            if listener is not None:
                await listener.close()
            await runtime.close()

    context.run(work)


async def _start_smtp(runtime: bootstrap.Runtime) -> bootstrap.SmtpListeners:
    """The SMTP submission listeners; a listener set explicitly that cannot start ends the command."""
    try:
        listeners = await bootstrap.start_submission(runtime)
    except ListenerError as error:
        context.fail(str(error))
    if listeners.tls is not None and listeners.servers:
        made = "generated a self-signed" if listeners.tls.generated else "using the"
        context.console.print(
            f"SMTP submission: {made} TLS certificate {listeners.tls.certificate}, "
            f"SHA-256 fingerprint {listeners.tls.fingerprint}",
            highlight=False,
            soft_wrap=True,
        )
    return listeners


def worker() -> None:
    """Run the scheduler and the sending loop without serving the API (probes and metrics aside)."""
    settings = context.settings()
    configure_logging(settings.log_format)
    probes = _address(settings.worker_metrics) if settings.worker_metrics else None

    async def work() -> None:
        runtime = await bootstrap.open_runtime(settings)
        stop = asyncio.Event()
        stop_on_signals(stop)
        try:
            _spare_the_start_up_from_the_collector()
            if probes is None:
                await bootstrap.run_worker(runtime, stop)
            else:
                await _with_probes(runtime, stop, *probes)
        finally:
            await runtime.close()

    context.run(work)


async def _with_probes(runtime: bootstrap.Runtime, stop: asyncio.Event, host: str, port: int) -> None:
    """The worker beside a small HTTP server for /healthz, /readyz and /metrics; both end on `stop`."""
    config = uvicorn.Config(bootstrap.create_probe_app(runtime), host=host, port=port, log_config=None)
    server = uvicorn.Server(config)
    # uvicorn takes SIGTERM/SIGINT while it serves, then hands them back and raises them again: the probes
    # stop first, then the worker stops gracefully.
    serving = asyncio.create_task(server.serve(), name="mailyard-probes")
    try:
        await bootstrap.run_worker(runtime, stop)
    finally:
        server.should_exit = True
        await serving


def _address(value: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 hosts in brackets) as a host and a port."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"MAILYARD_WORKER_METRICS must be HOST:PORT, not {value!r}")
    return host.strip("[]"), int(port)


def _spare_the_start_up_from_the_collector() -> None:
    """Move everything built so far (modules, the app, the services) out of the cyclic collector's reach.

    Its full collections walk every tracked object: with the frameworks loaded that took 60-90 ms, about twice
    a second under load, and set the latency of whichever requests were in flight. What start-up built lives
    as long as the process, so it is frozen; the collector keeps walking what requests create.
    """
    gc.collect()
    gc.freeze()


def _announce_first_key(issued: IssuedKey, password: str | None, url: str) -> None:
    console = context.console
    console.print(f"[bold]Mailyard is ready at {url}[/bold]  (API docs: {url}/docs)", soft_wrap=True)
    console.print(f"First account {issued.account.name!r}, admin user {issued.user.nickname!r}; its access key:")
    console.print(f"  SecretId  {issued.secret_id}\n  SecretKey {issued.secret_key}", highlight=False)
    if password is not None:
        console.print(f"  Dashboard password {password}  (sign in at {url}/)", highlight=False, soft_wrap=True)
    console.print(
        "[yellow]These secrets are shown once. Create more keys with `mailyard keys create`; "
        "set passwords with `mailyard users passwd`.[/yellow]"
    )
