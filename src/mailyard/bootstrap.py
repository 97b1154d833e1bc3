"""The composition root: settings → engine → store → services → apps. The only module that wires adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from mailyard.domain.accounts import Principal
from mailyard.domain.recipients import ListLimits
from mailyard.domain.retries import RetryPolicy
from mailyard.domain.return_path import ReturnPathSettings
from mailyard.mail.composer import MimeComposer
from mailyard.mail.dkim import RsaDkimKeyMaker
from mailyard.mail.dns_records import DnsTxtResolver
from mailyard.mail.redis_rate_limits import RedisRateLimiter
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import parse_relays
from mailyard.ports.clock import Clock
from mailyard.ports.events import EventSink
from mailyard.ports.identities import DkimKeyMaker, DnsResolver
from mailyard.ports.mailer import Mailer, MessageComposer
from mailyard.ports.secrets import SecretCipher, TokenSigner
from mailyard.ports.webhooks import WebhookTransport
from mailyard.services.access import AccessService
from mailyard.services.bounces import DEFAULT_SOFT_BOUNCE_LIMIT, BounceService
from mailyard.services.container import Services
from mailyard.services.engagement import EngagementService
from mailyard.services.events import EventRecorder
from mailyard.services.identities import IdentityService
from mailyard.services.outbox import OutboxService
from mailyard.services.recipients import RecipientService
from mailyard.services.return_path import ReturnPaths
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import DEFAULT_LEASE, SendingService
from mailyard.services.single_sends import SingleSendService
from mailyard.services.statistics import StatisticsService
from mailyard.services.suppressions import SuppressionService
from mailyard.services.tasks import TaskService
from mailyard.services.templates import TemplateService
from mailyard.services.tracking import TrackingLinks, TrackingService
from mailyard.services.unsubscribe import UnsubscribeLinks, UnsubscribeService
from mailyard.services.webhooks import WebhookPoster, WebhookService, WebhookSink
from mailyard.settings import Settings
from mailyard.smtpd.inbound.listener import InboundListener, ListenerOptions
from mailyard.store import engine as engines
from mailyard.store import migrate
from mailyard.store.outbox import OutboxMailer
from mailyard.store.read_pool import open_read_pool
from mailyard.store.unit_of_work import SqlStore
from mailyard.system.clock import SystemClock
from mailyard.system.signing import HmacSigner
from mailyard.system.vault import FernetCipher, load_master_key
from mailyard.web.api.auth import current_principal
from mailyard.web.app import WebOptions, create_app
from mailyard.webhook_client.transport import HttpWebhookTransport
from mailyard.worker.runner import Worker, WorkerOptions


def create_mailer(settings: Settings, engine: AsyncEngine, clock: Clock) -> Mailer:
    """The relay pool when MAILYARD_RELAYS names relays, else the built-in outbox.

    With MAILYARD_REDIS_URL the relays' rates are shared by every process through Redis; without it each
    process keeps its own (exact when one process sends, as with SQLite).
    """
    relays = parse_relays(settings.relays or "")
    if not relays:
        return OutboxMailer(engine, clock)
    shared = RedisRateLimiter.for_relays(relays, redis_url=settings.redis_url) if settings.redis_url else None
    return RelayMailer(RelayPool(relays, limiter=shared))


@dataclass
class Runtime:
    """What a running process holds: its settings, database engine and services."""

    settings: Settings
    engine: AsyncEngine
    store: SqlStore
    services: Services
    closers: list[HttpWebhookTransport] = field(default_factory=list)  #: adapters to close with the runtime

    async def close(self) -> None:
        await self.services.sending.close()
        for closer in self.closers:
            await closer.close()
        await self.store.close()
        await self.engine.dispose()


async def open_runtime(settings: Settings, *, clock: Clock | None = None, upgrade_schema: bool = True) -> Runtime:
    """Connect to the database (bringing its schema up to date) and build every service."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engines.create_engine(settings.resolved_database_url)
    if upgrade_schema:
        await migrate.upgrade(engine)
    chosen_clock = clock or SystemClock()
    store = SqlStore(engine, chosen_clock, await open_read_pool(engine))
    master_key = load_master_key(settings.master_key, settings.data_dir)
    public_url = settings.public_url or _local_url(settings.host, settings.port)
    webhook_transport = HttpWebhookTransport(allow_private=settings.webhook_allow_private)
    services = build_services(
        store=store,
        clock=chosen_clock,
        cipher=FernetCipher(master_key),
        dkim_keys=RsaDkimKeyMaker(),
        dns=DnsTxtResolver(),
        trust_domains=settings.identity_verification == "trust",
        template_review=settings.template_review == "on",
        mailer=create_mailer(settings, engine, chosen_clock),
        composer=MimeComposer(),
        lease_for=timedelta(seconds=settings.lease_seconds),
        retry_policy=RetryPolicy(max_age=timedelta(hours=settings.retry_max_age_hours)),
        signer=HmacSigner(master_key, purpose="mailyard unsubscribe links"),
        public_url=public_url,
        list_limits=ListLimits(
            cloud_per_upload=settings.tencent_upload_max_recipients,
            cloud_per_list=settings.tencent_list_max_recipients,
            per_list=settings.list_max_recipients,
        ),
        return_path_signer=HmacSigner(master_key, purpose="mailyard return path"),
        tracking_signer=HmacSigner(master_key, purpose="mailyard tracking links"),
        webhook_transport=webhook_transport,
        return_path=ReturnPathSettings(
            label=settings.return_path_label,
            inbound_host=settings.inbound_hostname or urlsplit(public_url).hostname or settings.host,
        ),
        soft_bounce_limit=settings.soft_bounce_limit,
    )
    return Runtime(settings=settings, engine=engine, store=store, services=services, closers=[webhook_transport])


def build_services(
    *,
    store: SqlStore,
    clock: Clock,
    cipher: SecretCipher,
    dkim_keys: DkimKeyMaker,
    dns: DnsResolver,
    trust_domains: bool,
    template_review: bool,
    mailer: Mailer,
    composer: MessageComposer,
    signer: TokenSigner,
    public_url: str,
    lease_for: timedelta = DEFAULT_LEASE,
    retry_policy: RetryPolicy | None = None,
    list_limits: ListLimits | None = None,
    event_sinks: Sequence[EventSink] = (),
    return_path_signer: TokenSigner | None = None,
    return_path: ReturnPathSettings | None = None,
    soft_bounce_limit: int = DEFAULT_SOFT_BOUNCE_LIMIT,
    tracking_signer: TokenSigner | None = None,
    webhook_transport: WebhookTransport | None = None,
) -> Services:
    """Every service over one store; each takes only the ports it uses. Event sources record through one
    EventRecorder, whose sinks (webhooks) are given here."""
    links = UnsubscribeLinks(signer, public_url)
    recorder = EventRecorder((*event_sinks, WebhookSink()) if webhook_transport else tuple(event_sinks))
    tracking_links = TrackingLinks(tracking_signer, public_url) if tracking_signer else None
    task_service = TaskService(store, clock)
    return_path = return_path or ReturnPathSettings()
    return_paths = ReturnPaths(return_path_signer, return_path) if return_path_signer else None
    bounces = (
        BounceService(store, clock, return_paths, recorder, soft_bounce_limit=soft_bounce_limit)
        if return_paths
        else None
    )
    return Services(
        access=AccessService(store, cipher),
        templates=TemplateService(store, review_required=template_review),
        recipients=RecipientService(store, list_limits),
        identities=IdentityService(
            store, cipher=cipher, dkim_keys=dkim_keys, dns=dns, trust_domains=trust_domains, return_path=return_path
        ),
        tasks=task_service,
        scheduling=SchedulingService(store, clock),
        sending=SendingService(
            store,
            clock,
            mailer,
            composer,
            policy=retry_policy,
            lease_for=lease_for,
            unsubscribe_links=links,
            cipher=cipher,
            event_recorder=recorder,
            return_paths=return_paths,
            tracking_links=tracking_links,
        ),
        outbox=OutboxService(store),
        suppressions=SuppressionService(store),
        unsubscribe=UnsubscribeService(store, links, recorder, clock),
        single_sends=SingleSendService(store, clock),
        statistics=StatisticsService(store),
        engagement=EngagementService(store, task_service),
        event_recorder=recorder,
        return_paths=return_paths,
        bounces=bounces,
        tracking=TrackingService(store, clock, tracking_links, recorder) if tracking_links else None,
        webhooks=WebhookService(store, cipher, webhook_transport) if webhook_transport else None,
        webhook_poster=WebhookPoster(store, clock, cipher, webhook_transport, lease=lease_for)
        if webhook_transport
        else None,
        clock=clock,
    )


def _local_url(host: str, port: int) -> str:
    """This server's own address, for links when MAILYARD_PUBLIC_URL does not say how people reach it."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def upgrade_database(settings: Settings) -> None:
    """Bring the schema of the configured database up to date."""
    engine = engines.create_engine(settings.resolved_database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def create_web_app(runtime: Runtime, *, with_worker: bool = False) -> FastAPI:
    """The ASGI app serving every front door of one process; optionally sending mail in the same process."""
    settings = runtime.settings
    options = WebOptions(
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        redis_url=settings.redis_url,
        tencent_rate_limit=settings.tencent_rate_limit,
    )
    return create_app(runtime.services, options, lifespan=_background_lifespan(runtime, with_worker=with_worker))


def create_operator_api(runtime: Runtime, principal: Principal) -> FastAPI:
    """The native API of this process for a local operator (the CLI beside the database): every request acts
    as `principal`, without a key. Never served on a socket."""
    app = create_web_app(runtime)
    app.dependency_overrides[current_principal] = lambda: principal
    return app


def _background_lifespan(
    runtime: Runtime, *, with_worker: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs beside the server: writing tracking hits, and the sending loop when `with_worker`; on
    shutdown both stop gracefully (the last hits are written) before the process exits."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        loops = []
        if runtime.services.tracking is not None:
            loops.append(asyncio.create_task(runtime.services.tracking.run(stop), name="mailyard-tracking"))
        if with_worker:
            loops.append(asyncio.create_task(run_worker(runtime, stop), name="mailyard-worker"))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*loops)

    return lifespan


def create_worker(runtime: Runtime, *, name: str | None = None) -> Worker:
    """The sending loop of one process, over the runtime's services."""
    settings = runtime.settings
    options = WorkerOptions(
        concurrency=settings.worker_concurrency,
        batch_size=settings.worker_batch_size,
        poll_seconds=settings.poll_seconds,
    )
    return Worker(runtime.services.sending, runtime.services.scheduling, options, name=name)


async def run_worker(runtime: Runtime, stop: asyncio.Event) -> None:
    """Run the sending loop until `stop` is set (`mailyard worker`, and in-process under `mailyard serve`).

    The caller owns signals: see mailyard.worker.signals.stop_on_signals.
    """
    loops = [create_worker(runtime).run(stop)]
    if runtime.services.webhook_poster is not None:
        loops.append(runtime.services.webhook_poster.run(stop))
    await asyncio.gather(*loops)


def create_inbound_listener(runtime: Runtime, address: tuple[str, int]) -> InboundListener:
    """The inbound SMTP listener for bounces and complaints, on `address` (not started)."""
    settings, bounces = runtime.settings, runtime.services.bounces
    assert bounces is not None  # open_runtime always gives the services return paths
    options = ListenerOptions(
        host=address[0],
        port=address[1],
        hostname=settings.inbound_hostname or "localhost",
        max_message_bytes=settings.inbound_max_message_bytes,
        max_connections=settings.inbound_max_connections,
        timeout_seconds=settings.inbound_timeout_seconds,
    )
    return InboundListener(bounces, options)
