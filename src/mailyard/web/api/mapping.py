"""Domain objects → native API wire schemas."""

from __future__ import annotations

from typing import Literal

from mailyard.domain import accounts, identities, recipients, runs, tasks, templates
from mailyard.web.api import schemas

REVIEW_NAMES: dict[templates.ReviewStatus, Literal["approved", "pending", "rejected"]] = {
    templates.ReviewStatus.APPROVED: "approved",
    templates.ReviewStatus.PENDING: "pending",
    templates.ReviewStatus.REJECTED: "rejected",
}
TYPE_NAMES: dict[tasks.TaskType, Literal["immediate", "scheduled", "recurring"]] = {
    tasks.TaskType.IMMEDIATE: "immediate",
    tasks.TaskType.SCHEDULED: "scheduled",
    tasks.TaskType.RECURRING: "recurring",
}
TYPES_BY_NAME = {name: kind for kind, name in TYPE_NAMES.items()}


def template_out(template: templates.Template) -> schemas.TemplateOut:
    return schemas.TemplateOut(
        id=template.id,
        name=template.name,
        subject=template.subject,
        text=template.text,
        html=template.html,
        review_status=REVIEW_NAMES[template.review_status],
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


def list_out(found: recipients.RecipientList) -> schemas.ListOut:
    return schemas.ListOut(
        id=found.id,
        name=found.name,
        description=found.description,
        total_count=found.total_count,
        valid_count=found.valid_count,
        invalid_count=found.invalid_count,
        status="complete" if found.total_count else "empty",
        created_at=found.created_at,
    )


def import_out(report: recipients.ImportReport) -> schemas.ImportOut:
    return schemas.ImportOut(
        total=report.total,
        valid=report.valid,
        invalid=report.invalid,
        invalid_rows=[
            schemas.InvalidRowOut(line=row.line, address=row.address, reason=row.reason) for row in report.invalid_rows
        ],
    )


def recipient_out(recipient: recipients.Recipient) -> schemas.RecipientOut:
    return schemas.RecipientOut(
        id=recipient.id,
        address=recipient.address,
        variables=recipient.variables,
        valid=recipient.valid,
        reason=recipient.reason,
        created_at=recipient.created_at,
    )


def dns_record_out(record: identities.DnsRecord) -> schemas.DnsRecordOut:
    return schemas.DnsRecordOut(
        type=record.type,
        name=record.name,
        expected_value=record.expected_value,
        current_value=record.current_value,
        verified=record.verified,
    )


def domain_out(
    domain: identities.SendingDomain, records: list[identities.DnsRecord] | None = None
) -> schemas.DomainOut:
    return schemas.DomainOut(
        id=domain.id,
        domain=domain.domain,
        verified=domain.verified,
        dns_records=[dns_record_out(record) for record in (records or domain.dns_records())],
        created_at=domain.created_at,
    )


def sender_out(sender: identities.SenderAddress) -> schemas.SenderOut:
    return schemas.SenderOut(
        id=sender.id,
        address=sender.address,
        display_name=sender.display_name,
        domain_id=sender.domain_id,
        created_at=sender.created_at,
    )


def task_out(task: tasks.Task) -> schemas.TaskOut:
    counters = task.counters
    return schemas.TaskOut(
        id=task.id,
        name=task.name,
        owner=task.owner_nickname,
        from_address=task.from_address,
        reply_to=task.reply_to,
        subject=task.subject,
        template_id=task.template_id,
        variables=task.variables,
        recipient_list_id=task.recipient_list_id,
        schedule=schemas.ScheduleOut(
            type=TYPE_NAMES[task.schedule.type],
            begin_at=task.schedule.begin_at,
            interval_hours=task.schedule.interval_hours,
            terminated=task.schedule.terminated,
        ),
        paused=task.paused,
        state=task.state.value,
        error_message=task.error_message,
        counters=schemas.CountersOut(
            requested=counters.requested,
            sent=counters.sent,
            cached=counters.cached,
            failed=counters.failed,
            skipped=counters.skipped,
        ),
        next_fire_at=task.next_fire_at,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def run_out(run: runs.Run) -> schemas.RunOut:
    return schemas.RunOut(
        id=run.id,
        task_id=run.task_id,
        kind=run.kind.value,
        status=run.status.value,
        fire_at=run.fire_at,
        requested=run.requested,
        sent=run.sent,
        failed=run.failed,
        skipped=run.skipped,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def delivery_out(delivery: runs.Delivery) -> schemas.DeliveryOut:
    return schemas.DeliveryOut(
        id=delivery.id,
        run_id=delivery.run_id,
        address=delivery.address,
        state=delivery.state.value,
        attempts=delivery.attempts,
        message_id=delivery.message_id,
        smtp_code=delivery.smtp_code,
        reason=delivery.reason,
        updated_at=delivery.updated_at,
    )


def user_out(user: accounts.User) -> schemas.UserOut:
    return schemas.UserOut(id=user.id, nickname=user.nickname, role=user.role.value, created_at=user.created_at)


def issued_key_out(issued: accounts.IssuedKey) -> schemas.IssuedKeyOut:
    return schemas.IssuedKeyOut(SecretId=issued.secret_id, SecretKey=issued.secret_key, user=user_out(issued.user))
