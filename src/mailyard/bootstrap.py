"""The composition root: settings → engine → store → services → apps. The only module that wires adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import redis.asyncio
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from mailyard.domain.accounts import Principal
from mailyard.domain.recipients import ListLimits
from mailyard.domain.retention import RetentionPolicy
from mailyard.domain.retries import RetryPolicy
from mailyard.domain.return_path import ReturnPathSettings
from mailyard.mail.composer import MimeComposer
from mailyard.mail.dkim import RsaDkimKeyMaker
from mailyard.mail.dns_records import DnsTxtResolver
from mailyard.mail.redis_rate_limits import RedisRateLimiter
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import parse_relays
from mailyard.observability.logs import RequestIds
from mailyard.observability.metrics import PrometheusMetrics
from mailyard.observability.probes import probe_routes
from mailyard.observability.requests import RequestMetrics
from mailyard.ports.clock import Clock
from mailyard.ports.events import EventSink
from mailyard.ports.identities import DkimKeyMaker, DnsResolver
from mailyard.ports.mailer import Mailer, MessageComposer
from mailyard.ports.metrics import Metrics
from mailyard.ports.secrets import PasswordHasher, SecretCipher, TokenSigner
from mailyard.ports.submissions import SubmissionCounts
from mailyard.ports.webhooks import WebhookTransport
from mailyard.services.access import AccessService
from mailyard.services.bounces import DEFAULT_SOFT_BOUNCE_LIMIT, BounceService
from mailyard.services.container import Services
from mailyard.services.engagement import EngagementService
from mailyard.services.engagement_reports import EngagementReportService
from mailyard.services.events import EventRecorder
from mailyard.services.identities import IdentityService
from mailyard.services.key_rotation import KeyRotation
from mailyard.services.outbox import OutboxService
from mailyard.services.recipients import RecipientService
from mailyard.services.retention import RetentionService
from mailyard.services.return_path import ReturnPaths
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import DEFAULT_LEASE, SendingService
from mailyard.services.sign_in import SignInService
from mailyard.services.single_sends import SingleSendService
from mailyard.services.statistics import StatisticsService
from mailyard.services.submissions import SubmissionLimits, SubmissionService
from mailyard.services.suppressions import SuppressionService
from mailyard.services.tasks import TaskService
from mailyard.services.templates import TemplateService
from mailyard.services.tracking import TrackingLinks, TrackingService
from mailyard.services.unsubscribe import UnsubscribeLinks, UnsubscribeService
from mailyard.services.webhooks import WebhookPoster, WebhookService, WebhookSink
from mailyard.settings import DEFAULT_INBOUND_SMTP, Settings
from mailyard.smtpd.inbound.door import InboundDoor
from mailyard.smtpd.listener import ListenerAddress, ListenerError, ListenerOptions, start_listener, stop_listener
from mailyard.smtpd.submission.door import SubmissionDoor, SubmissionPolicy, parse_networks
from mailyard.store import engine as engines
from mailyard.store import migrate
from mailyard.store.outbox import OutboxMailer
from mailyard.store.read_pool import open_read_pool
from mailyard.store.unit_of_work import SqlStore
from mailyard.system.certificates import TlsIdentity, load_tls_identity
from mailyard.system.clock import SystemClock
from mailyard.system.passwords import Argon2PasswordHasher
from mailyard.system.redis_counts import RedisCounts
from mailyard.system.signing import HmacSigner
from mailyard.system.vault import FernetCipher, MasterKeyRing, load_master_key, make_private_directory
from mailyard.web.access_log import redact_access_log
from mailyard.web.aliyun import front as aliyun_front
from mailyard.web.app import DOOR_SCOPE_KEY, WebOptions, create_app
from mailyard.web.request_account import ACCOUNT_SCOPE_KEY
from mailyard.web.tencent import front as tencent_front
from mailyard.webhook_client.transport import HttpWebhookTransport
from mailyard.worker.runner import Worker, WorkerOptions
from mailyard.worker.supervision import Supervisor


def create_mailer(
    settings: Settings, engine: AsyncEngine, clock: Clock, redis_client: redis.asyncio.Redis | None
) -> Mailer:
    """The relay pool when MAILYARD_RELAYS names relays, else the built-in outbox.

    With a Redis client (MAILYARD_REDIS_URL) the relays' rates are shared by every process through Redis;
    without it each process keeps its own (exact when one process sends, as with SQLite).
    """
    relays = parse_relays(settings.relays or "")
    if not relays:
        return OutboxMailer(engine, clock)
    shared = RedisRateLimiter.for_relays(relays, redis=redis_client) if redis_client is not None else None
    return RelayMailer(RelayPool(relays, limiter=shared))


# Short timeouts, no retries: a Redis outage must fail fast (the doors answer at once), not hang requests.
REDIS_TIMEOUT_SECONDS = 1.0


#: Redis connections a process opens at most: a burst of requests waits (up to REDIS_TIMEOUT_SECONDS) for one of
#: them instead of opening a connection per request in flight
REDIS_MAX_CONNECTIONS = 32


def create_redis(redis_url: str | None) -> redis.asyncio.Redis | None:
    """The process's Redis client when MAILYARD_REDIS_URL names one (connections open on first use, at most
    REDIS_MAX_CONNECTIONS; closing the client closes them)."""
    if not redis_url:
        return None
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        redis_url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=None,
    )
    return redis.asyncio.Redis.from_pool(pool)


@dataclass
class Runtime:
    """What a running process holds: its settings, database engine, services and what watches them."""

    settings: Settings
    engine: AsyncEngine
    store: SqlStore
    services: Services
    metrics: PrometheusMetrics
    supervisor: Supervisor
    closers: list[HttpWebhookTransport] = field(default_factory=list)  #: adapters to close with the runtime
    redis: redis.asyncio.Redis | None = None  #: shared by the doors' rate limits and nonces and the relays' rates

    async def close(self) -> None:
        await self.services.sending.close()
        await self.services.submissions.close()
        for closer in self.closers:
            await closer.close()
        await self.store.close()
        await self.engine.dispose()
        if self.redis is not None:
            await self.redis.aclose()


async def open_runtime(settings: Settings, *, clock: Clock | None = None, upgrade_schema: bool = True) -> Runtime:
    """Connect to the database (bringing its schema up to date) and build every service."""
    make_private_directory(settings.data_dir)
    engine = engines.create_engine(settings.resolved_database_url)
    keys = MasterKeyRing(settings.master_key, settings.data_dir)
    cipher, passwords = FernetCipher(keys), Argon2PasswordHasher()
    if upgrade_schema:
        await migrate.upgrade(engine, smtp_password_rehash=rehash_sealed(cipher, passwords))
    chosen_clock = clock or SystemClock()
    store = SqlStore(engine, chosen_clock, await open_read_pool(engine))
    public_url = settings.public_url or _local_url(settings.host, settings.port)
    webhook_transport = HttpWebhookTransport(allow_private=settings.webhook_allow_private)
    redis_client = create_redis(settings.redis_url)
    metrics = PrometheusMetrics(settings.prometheus_multiproc_dir)
    services = build_services(
        store=store,
        clock=chosen_clock,
        cipher=cipher,
        passwords=passwords,
        dkim_keys=RsaDkimKeyMaker(),
        dns=DnsTxtResolver(),
        trust_domains=settings.identity_verification == "trust",
        template_review=settings.template_review == "on",
        mailer=create_mailer(settings, engine, chosen_clock, redis_client),
        composer=MimeComposer(),
        lease_for=timedelta(seconds=settings.lease_seconds),
        retry_policy=RetryPolicy(max_age=timedelta(hours=settings.retry_max_age_hours)),
        signer=HmacSigner(keys, purpose="mailyard unsubscribe links"),
        public_url=public_url,
        list_limits=ListLimits(
            cloud_per_upload=settings.tencent_upload_max_recipients,
            cloud_per_list=settings.tencent_list_max_recipients,
            per_list=settings.list_max_recipients,
        ),
        return_path_signer=HmacSigner(keys, purpose="mailyard return path"),
        tracking_signer=HmacSigner(keys, purpose="mailyard tracking links"),
        webhook_transport=webhook_transport,
        return_path=ReturnPathSettings(
            label=settings.return_path_label,
            inbound_host=settings.inbound_hostname or urlsplit(public_url).hostname or settings.host,
        ),
        soft_bounce_limit=settings.soft_bounce_limit,
        submission_limits=SubmissionLimits(
            account_rate=settings.submission_account_rate, recipient_hourly=settings.submission_recipient_hourly
        ),
        submission_counts=RedisCounts(redis_client) if redis_client is not None else None,
        # PostgreSQL commits transactions side by side; SQLite's one writer would only make the next one wait.
        submission_transactions=2 if engine.dialect.name == "postgresql" else 1,
        password_hasher=Argon2PasswordHasher(),
        session_lifetime=timedelta(hours=settings.dashboard_session_hours),
        metrics=metrics,
        retention=RetentionPolicy(
            outbox_days=settings.retain_outbox_days,
            deliveries_days=settings.retain_deliveries_days,
            events_days=settings.retain_events_days,
        ),
    )
    return Runtime(
        settings=settings,
        engine=engine,
        store=store,
        services=services,
        metrics=metrics,
        supervisor=Supervisor(metrics),
        closers=[webhook_transport],
        redis=redis_client,
    )


def build_services(
    *,
    store: SqlStore,
    clock: Clock,
    cipher: SecretCipher,
    passwords: PasswordHasher,
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
    submission_limits: SubmissionLimits | None = None,
    submission_counts: SubmissionCounts | None = None,
    submission_transactions: int = 1,
    password_hasher: PasswordHasher,
    session_lifetime: timedelta = timedelta(hours=12),
    tracking_signer: TokenSigner | None = None,
    webhook_transport: WebhookTransport | None = None,
    metrics: Metrics | None = None,
    retention: RetentionPolicy | None = None,
) -> Services:
    """Every service over one store; each takes only the ports it uses. Event sources record through one
    EventRecorder, whose sinks (webhooks) are given here."""
    links = UnsubscribeLinks(signer, public_url)
    recorder = EventRecorder(
        (*event_sinks, WebhookSink()) if webhook_transport else tuple(event_sinks), metrics=metrics
    )
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
            store,
            cipher=cipher,
            passwords=passwords,
            dkim_keys=dkim_keys,
            dns=dns,
            trust_domains=trust_domains,
            return_path=return_path,
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
            metrics=metrics,
        ),
        outbox=OutboxService(store),
        suppressions=SuppressionService(store, per_request=(list_limits or ListLimits()).cloud_per_upload),
        unsubscribe=UnsubscribeService(store, links, recorder, clock),
        single_sends=SingleSendService(store, clock),
        statistics=StatisticsService(store),
        engagement=EngagementService(store, task_service),
        engagement_reports=EngagementReportService(store, task_service),
        event_recorder=recorder,
        return_paths=return_paths,
        bounces=bounces,
        submissions=SubmissionService(
            store, clock, passwords, submission_limits, submission_counts, transactions_at_once=submission_transactions
        ),
        sign_in=SignInService(store, clock, password_hasher, session_lifetime=session_lifetime),
        tracking=TrackingService(store, clock, tracking_links, recorder) if tracking_links else None,
        webhooks=WebhookService(store, cipher, webhook_transport) if webhook_transport else None,
        retention=RetentionService(store, clock, retention or RetentionPolicy()),
        webhook_poster=WebhookPoster(store, clock, cipher, webhook_transport, lease=lease_for, metrics=metrics)
        if webhook_transport
        else None,
        clock=clock,
    )


def _local_url(host: str, port: int) -> str:
    """This server's own address, for links when MAILYARD_PUBLIC_URL does not say how people reach it."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def rehash_sealed(cipher: SecretCipher, passwords: PasswordHasher) -> Callable[[str], str | None]:
    """For the migration that stops storing SMTP passwords encrypted: sealed password → hash."""

    def rehash(sealed: str) -> str | None:
        try:
            return passwords.hash(cipher.decrypt(sealed))
        except ValueError:
            return None

    return rehash


async def upgrade_database(settings: Settings) -> None:
    """Bring the schema of the configured database up to date."""
    engine = engines.create_engine(settings.resolved_database_url)
    master_key = load_master_key(settings.master_key, settings.data_dir)
    try:
        await migrate.upgrade(
            engine, smtp_password_rehash=rehash_sealed(FernetCipher(master_key), Argon2PasswordHasher())
        )
    finally:
        await engine.dispose()


async def rotate_master_key(settings: Settings) -> tuple[int, bool]:
    """Re-encrypt every stored secret under a new master key; (secrets rewritten, old keys dropped).

    Old keys are dropped from the key file only once every secret reads under the new key alone.
    """
    keys = MasterKeyRing(settings.master_key, settings.data_dir)
    keys.begin_rotation()
    engine = engines.create_engine(settings.resolved_database_url)
    try:
        rotation = KeyRotation(SqlStore(engine, SystemClock()), FernetCipher(keys))
        resealed = await rotation.reseal_all()
        finished = await rotation.stragglers() == 0 and keys.from_file
        if finished:
            keys.finish_rotation()
        return resealed, finished
    finally:
        await engine.dispose()


def forget_retired_master_keys(settings: Settings) -> bool:
    """Delete the master keys rotations retired (links signed under them stop working); True when some were."""
    return MasterKeyRing(settings.master_key, settings.data_dir).forget_retired()


def create_web_app(runtime: Runtime, *, with_worker: bool = False) -> FastAPI:
    """The ASGI app serving every front door of one process; optionally sending mail in the same process."""
    redact_access_log()  # uvicorn's configuring its loggers later keeps the filter
    lifespan = _background_lifespan(runtime, with_worker=with_worker)
    app = create_app(runtime.services, _web_options(runtime.settings), lifespan=lifespan, redis=runtime.redis)
    app.router.routes[:0] = _probe_routes(runtime)
    cloud_actions = {
        "tencent": tencent_front.action_table(runtime.services),
        "aliyun": aliyun_front.action_table(runtime.services),
    }
    app.add_middleware(RequestMetrics, metrics=runtime.metrics, door_key=DOOR_SCOPE_KEY, cloud_actions=cloud_actions)
    # outermost: the request id (and the account, once a door noted it) covers every log line of the request
    app.add_middleware(RequestIds, account_key=ACCOUNT_SCOPE_KEY)
    return app


def _web_options(settings: Settings) -> WebOptions:
    return WebOptions(
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        tencent_rate_limit=settings.tencent_rate_limit,
        aliyun_rate_limit=settings.aliyun_rate_limit,
        api_rate_limit=settings.api_rate_limit,
        client_rate_limit=settings.client_rate_limit,
        secure_cookies=(settings.public_url or "").startswith("https://"),
        session_seconds=int(settings.dashboard_session_hours * 3600),
    )


def create_probe_app(runtime: Runtime) -> Starlette:
    """/healthz, /readyz and /metrics alone, for `mailyard worker` on MAILYARD_WORKER_METRICS."""
    return Starlette(routes=_probe_routes(runtime))


def _probe_routes(runtime: Runtime) -> list[BaseRoute]:
    async def database() -> bool:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    async def loops() -> bool:
        return runtime.supervisor.healthy

    async def sample_queues() -> None:
        await runtime.services.sending.sample_queue()
        if runtime.services.webhook_poster is not None:
            await runtime.services.webhook_poster.sample_queue()

    checks = {"database": database, "schema": lambda: migrate.is_current(runtime.engine), "loops": loops}
    return probe_routes(checks, runtime.metrics, before_scrape=sample_queues)


def create_operator_api(runtime: Runtime, principal: Principal) -> FastAPI:
    """The native API of this process for a local operator (the CLI beside the database): every request acts
    as `principal`, without a key. Never served on a socket."""
    return create_app(runtime.services, _web_options(runtime.settings), operator=principal)


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
            loops.append(asyncio.create_task(_write_tracking_hits(runtime, stop), name="mailyard-tracking"))
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
    return Worker(
        runtime.services.sending,
        runtime.services.scheduling,
        options,
        name=name,
        supervisor=runtime.supervisor,
        retention=runtime.services.retention,
    )


async def run_worker(runtime: Runtime, stop: asyncio.Event) -> None:
    """Run the sending loop until `stop` is set (`mailyard worker`, and in-process under `mailyard serve`).

    The caller owns signals: see mailyard.worker.signals.stop_on_signals.
    """
    loops = [create_worker(runtime).run(stop)]
    poster = runtime.services.webhook_poster
    if poster is not None:
        loops.append(runtime.supervisor.run("webhooks", lambda: poster.post_round(stop), stop))
    await asyncio.gather(*loops)


async def _write_tracking_hits(runtime: Runtime, stop: asyncio.Event) -> None:
    """The supervised loop that writes open and click hits; on the way out it writes the last ones."""
    tracking = runtime.services.tracking
    assert tracking is not None
    await runtime.supervisor.run("tracking", lambda: tracking.flush_round(stop), stop)
    await tracking.flush()


@dataclass
class SmtpListeners:
    """The SMTP listeners one `mailyard serve` runs, and the TLS identity they present."""

    servers: list[asyncio.Server]
    tls: TlsIdentity | None

    async def close(self) -> None:
        for server in self.servers:
            await stop_listener(server)


def inbound_address(settings: Settings) -> ListenerAddress | None:
    """MAILYARD_INBOUND_SMTP (the default address when unset), or None when off; ListenerError when malformed."""
    return ListenerAddress.parse(
        settings.inbound_smtp or DEFAULT_INBOUND_SMTP,
        explicit=settings.inbound_smtp is not None,
        setting="MAILYARD_INBOUND_SMTP",
    )


async def start_inbound(runtime: Runtime, address: ListenerAddress) -> SmtpListeners:
    """The inbound listener for bounces and complaints on `address`, with the rules every SMTP door shares: an
    address set explicitly that cannot be bound raises ListenerError; the default one, when taken, is skipped
    (no server, a warning)."""
    settings, bounces = runtime.settings, runtime.services.bounces
    assert bounces is not None  # open_runtime always gives the services return paths
    options = ListenerOptions(
        name="inbound",
        hostname=settings.inbound_hostname or "localhost",
        max_message_bytes=settings.inbound_max_message_bytes,
        max_connections=settings.inbound_max_connections,
        timeout_seconds=settings.inbound_timeout_seconds,
        smtputf8=True,  # bounces about addresses that are not ASCII
    )
    server = await start_listener(address, InboundDoor(bounces), options)
    return SmtpListeners(servers=[server] if server is not None else [], tls=None)


async def start_submission(runtime: Runtime) -> SmtpListeners:
    """The submission listeners of MAILYARD_SUBMISSION_SMTP (STARTTLS) and _SMTPS (implicit TLS).

    An address set explicitly that cannot be bound raises ListenerError; the default one is skipped.
    """
    settings = runtime.settings
    explicit = settings.model_fields_set
    plain = ListenerAddress.parse(
        settings.submission_smtp, explicit="submission_smtp" in explicit, setting="MAILYARD_SUBMISSION_SMTP"
    )
    implicit = ListenerAddress.parse(settings.submission_smtps, explicit=True, setting="MAILYARD_SUBMISSION_SMTPS")
    if plain is None and implicit is None:
        return SmtpListeners(servers=[], tls=None)
    tls = load_tls_identity(settings.submission_tls_certificate, settings.submission_tls_key, settings.data_dir)
    servers: list[asyncio.Server] = []
    try:
        for address, implicit_tls in ((plain, False), (implicit, True)):
            if address is None:
                continue
            door = SubmissionDoor(runtime.services.submissions, _submission_policy(settings, address))
            options = ListenerOptions(
                name="submission",
                tls=tls.context,
                implicit_tls=implicit_tls,
                max_message_bytes=settings.submission_max_message_bytes,
                max_connections=settings.submission_max_connections,
                timeout_seconds=settings.submission_timeout_seconds,
                smtputf8=True,
            )
            server = await start_listener(address, door, options)
            if server is not None:
                servers.append(server)
    except BaseException:
        await SmtpListeners(servers=servers, tls=tls).close()
        raise
    return SmtpListeners(servers=servers, tls=tls)


def _submission_policy(settings: Settings, address: ListenerAddress) -> SubmissionPolicy:
    try:
        networks = parse_networks(settings.submission_trusted)
    except ValueError as error:
        raise ListenerError(f"MAILYARD_SUBMISSION_TRUSTED: {error}") from error
    if networks and not settings.submission_trusted_account:
        raise ListenerError("MAILYARD_SUBMISSION_TRUSTED needs MAILYARD_SUBMISSION_TRUSTED_ACCOUNT")
    return SubmissionPolicy(
        auth_needs_tls=settings.submission_require_tls or not address.loopback,
        trusted_networks=networks,
        trusted_account=settings.submission_trusted_account,
    )
