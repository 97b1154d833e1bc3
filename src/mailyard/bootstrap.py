"""The composition root: settings → engine → store → services → apps. The only module that wires adapters."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from mailyard import ports
from mailyard.clock import SystemClock
from mailyard.mail import dkim
from mailyard.mail.dns_records import DnsTxtResolver
from mailyard.services.container import Services, build_services
from mailyard.settings import Settings
from mailyard.store import engine as engines
from mailyard.store import migrate
from mailyard.store.unit_of_work import SqlStore
from mailyard.vault import FernetCipher, load_master_key
from mailyard.web.app import WebOptions, create_app


class DkimKeyMaker:
    """The `DkimKeyMaker` port over mail.dkim."""

    def generate(self) -> tuple[str, str]:
        private_pem, public_value = dkim.generate_dkim_key()
        return private_pem.decode(), public_value


@dataclass
class Runtime:
    """What a running process holds: its settings, database engine and services."""

    settings: Settings
    engine: AsyncEngine
    store: SqlStore
    services: Services
    closers: list[object] = field(default_factory=list)

    async def close(self) -> None:
        await self.engine.dispose()


async def open_runtime(
    settings: Settings, *, clock: ports.Clock | None = None, upgrade_schema: bool = True
) -> Runtime:
    """Connect to the database (bringing its schema up to date) and build every service."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engines.create_engine(settings.resolved_database_url)
    if upgrade_schema:
        await migrate.upgrade(engine)
    chosen_clock = clock or SystemClock()
    store = SqlStore(engine, chosen_clock)
    services = build_services(
        store=store,
        clock=chosen_clock,
        cipher=FernetCipher(load_master_key(settings.master_key, settings.data_dir)),
        dkim_keys=DkimKeyMaker(),
        dns=DnsTxtResolver(),
        trust_domains=settings.identity_verification == "trust",
        template_review=settings.template_review == "on",
    )
    return Runtime(settings=settings, engine=engine, store=store, services=services)


async def upgrade_database(settings: Settings) -> None:
    """Bring the schema of the configured database up to date."""
    engine = engines.create_engine(settings.resolved_database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def create_web_app(runtime: Runtime) -> FastAPI:
    """The ASGI app serving every front door of one process."""
    options = WebOptions(max_body_bytes=runtime.settings.max_body_bytes, redis_url=runtime.settings.redis_url)
    return create_app(runtime.services, options)
