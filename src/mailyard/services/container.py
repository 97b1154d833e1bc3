"""Every service of one Mailyard process, built once by bootstrap and handed to the drivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mailyard import ports
from mailyard.domain.recipients import ListLimits
from mailyard.domain.sending import RetryPolicy
from mailyard.services.access import AccessService
from mailyard.services.identities import IdentityService
from mailyard.services.messages import MessageService
from mailyard.services.outbox import OutboxService
from mailyard.services.recipients import RecipientService
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import DEFAULT_LEASE, SendingService
from mailyard.services.statistics import StatisticsService
from mailyard.services.suppressions import SuppressionService
from mailyard.services.tasks import TaskService
from mailyard.services.templates import TemplateService
from mailyard.services.unsubscribe import UnsubscribeLinks, UnsubscribeService


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
    suppressions: SuppressionService
    unsubscribe: UnsubscribeService
    messages: MessageService
    statistics: StatisticsService
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
    signer: ports.TokenSigner,
    public_url: str,
    lease_for: timedelta = DEFAULT_LEASE,
    retry_policy: RetryPolicy | None = None,
    list_limits: ListLimits | None = None,
) -> Services:
    links = UnsubscribeLinks(signer, public_url)
    return Services(
        access=AccessService(store, cipher),
        templates=TemplateService(store, review_required=template_review),
        recipients=RecipientService(store, list_limits),
        identities=IdentityService(store, cipher=cipher, dkim_keys=dkim_keys, dns=dns, trust_domains=trust_domains),
        tasks=TaskService(store, clock),
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
        ),
        outbox=OutboxService(store),
        suppressions=SuppressionService(store),
        unsubscribe=UnsubscribeService(store, links),
        messages=MessageService(store, clock),
        statistics=StatisticsService(store),
        clock=clock,
    )
