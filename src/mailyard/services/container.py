"""Every service of one Mailyard process, built once by bootstrap and handed to the drivers."""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.ports.clock import Clock
from mailyard.services.access import AccessService
from mailyard.services.bounces import BounceService
from mailyard.services.engagement import EngagementService
from mailyard.services.engagement_reports import EngagementReportService
from mailyard.services.events import EventRecorder
from mailyard.services.identities import IdentityService
from mailyard.services.outbox import OutboxService
from mailyard.services.recipients import RecipientService
from mailyard.services.retention import RetentionService
from mailyard.services.return_path import ReturnPaths
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import SendingService
from mailyard.services.sign_in import SignInService
from mailyard.services.single_sends import SingleSendService
from mailyard.services.statistics import StatisticsService
from mailyard.services.submissions import SubmissionService
from mailyard.services.suppressions import SuppressionService
from mailyard.services.tasks import TaskService
from mailyard.services.templates import TemplateService
from mailyard.services.tracking import TrackingService
from mailyard.services.unsubscribe import UnsubscribeService
from mailyard.services.webhooks import WebhookPoster, WebhookService


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
    single_sends: SingleSendService
    statistics: StatisticsService
    engagement: EngagementService
    engagement_reports: EngagementReportService  #: the dashboard's chart of one task's days
    event_recorder: EventRecorder
    return_paths: ReturnPaths | None  #: None when copies go out without VERP (no signer given)
    bounces: BounceService | None  #: what the inbound listener hands returned mail to; needs return paths
    submissions: SubmissionService
    sign_in: SignInService
    tracking: TrackingService | None  #: opens and clicks; None when no tracking signer is given
    webhooks: WebhookService | None  #: None when no webhook transport is given
    webhook_poster: WebhookPoster | None
    retention: RetentionService
    clock: Clock
