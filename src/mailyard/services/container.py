"""Every service of one Mailyard process, built once by bootstrap and handed to the drivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mailyard import ports
from mailyard.services.access import AccessService
from mailyard.services.identities import IdentityService
from mailyard.services.outbox import OutboxService
from mailyard.services.recipients import RecipientService
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import DEFAULT_LEASE, SendingService
from mailyard.services.tasks import TaskService
from mailyard.services.templates import TemplateService


@dataclass(frozen=True, kw_only=True)
class Services:
    access: AccessService
    templates: TemplateService
    recipients: RecipientService
    identities: IdentityService
    tasks: TaskService
    scheduling: SchedulingService
    sending: SendingService
    outbox: OutboxService
    clock: ports.Clock


def build_services(
    *,
    store: ports.Store,
    clock: ports.Clock,
    cipher: ports.SecretCipher,
    dkim_keys: ports.DkimKeyMaker,
    dns: ports.DnsResolver,
    trust_domains: bool,
    template_review: bool,
    mailer: ports.Mailer,
    composer: ports.MessageComposer,
    lease_for: timedelta = DEFAULT_LEASE,
) -> Services:
    return Services(
        access=AccessService(store, cipher),
        templates=TemplateService(store, review_required=template_review),
        recipients=RecipientService(store),
        identities=IdentityService(store, cipher=cipher, dkim_keys=dkim_keys, dns=dns, trust_domains=trust_domains),
        tasks=TaskService(store, clock),
        scheduling=SchedulingService(store, clock),
        sending=SendingService(store, clock, mailer, composer, lease_for=lease_for),
        outbox=OutboxService(store),
        clock=clock,
    )
