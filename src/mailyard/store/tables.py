"""Table definitions (SQLAlchemy Core); never imported outside store/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite has no 64-bit autoincrement BIGINT; INTEGER PRIMARY KEY is its 64-bit rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every database; read back as UTC-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def _id() -> Column[Any]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _created() -> Column[Any]:
    return Column("created_at", UtcDateTime(), nullable=False)


def _created_by() -> Column[Any]:
    """The user who made a shared resource; only they (or an admin) change it. Empty for older rows.
    No foreign key: users are never deleted, and SQLite adds one only by copying the table (migration 0008)."""
    return Column("created_by", Id, nullable=True)


accounts = Table(
    "accounts",
    metadata,
    _id(),
    Column("name", String(100), nullable=False, unique=True),
    Column("time_zone", String(64), nullable=False),
    Column("daily_quota", Integer, nullable=True),
    _created(),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    _created(),
    Column("password_hash", Text, nullable=True),  #: argon2; None until a password is set (dashboard sign-in)
    UniqueConstraint("account_id", "nickname", name="uq_users_account_nickname"),
)

# A signed-in browser; the cookie holds the token, the table only its SHA-256, so a copy of the database
# cannot be replayed as a session.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    _id(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    _created(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_dashboard_sessions_user_id", "user_id"),
)

# Failed sign-ins of the last minutes, per user and per client address, for throttling.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    _id(),
    Column("subject", String(400), nullable=False),
    _created(),
    Index("ix_sign_in_failures_subject_created_at", "subject", "created_at"),
)

access_keys = Table(
    "access_keys",
    metadata,
    _id(),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("secret_id", String(64), nullable=False, unique=True),
    Column("sealed_secret", Text, nullable=False),
    _created(),
)

sending_domains = Table(
    "sending_domains",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("domain", String(253), nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("dkim_selector", String(63), nullable=False),
    Column("dkim_public_value", Text, nullable=False),
    Column("sealed_dkim_key", Text, nullable=False),
    _created(),
    _created_by(),
    UniqueConstraint("account_id", "domain", name="uq_sending_domains_account_domain"),
)

sender_addresses = Table(
    "sender_addresses",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("domain_id", Id, ForeignKey("sending_domains.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(254), nullable=False),
    Column("display_name", String(200), nullable=False, default=""),
    Column("smtp_password_hash", Text, nullable=True),  # argon2; the address signs in to SMTP submission
    _created(),
    _created_by(),
    UniqueConstraint("account_id", "address", name="uq_sender_addresses_account_address"),
)

templates = Table(
    "templates",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("subject", Text, nullable=True),
    Column("text", Text, nullable=True),
    Column("html", Text, nullable=True),
    Column("review_status", Integer, nullable=False),
    _created(),
    _created_by(),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_templates_account_id_id", "account_id", "id"),
)

recipient_lists = Table(
    "recipient_lists",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("total_count", Integer, nullable=False, default=0),
    Column("valid_count", Integer, nullable=False, default=0),
    _created(),
    _created_by(),
    Index("ix_recipient_lists_account_id_id", "account_id", "id"),
)

recipients = Table(
    "recipients",
    metadata,
    _id(),
    Column("list_id", Id, ForeignKey("recipient_lists.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(320), nullable=False),
    Column("variables", Text, nullable=True),
    Column("valid", Boolean, nullable=False),
    Column("reason", String(200), nullable=True),
    _created(),
    Index("ix_recipients_list_id_id", "list_id", "id"),
)

tasks = Table(
    "tasks",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("from_address", String(400), nullable=False),
    Column("reply_to", String(400), nullable=True),
    Column("subject", String(400), nullable=False),
    # Empty for a message submitted over SMTP: it brings its own content (submitted_messages).
    Column("template_id", Id, ForeignKey("templates.id", ondelete="RESTRICT"), nullable=True),
    Column("variables", Text, nullable=False, default="{}"),
    # Single sends (SendEmail) have no list: their deliveries are written directly.
    Column("recipient_list_id", Id, ForeignKey("recipient_lists.id", ondelete="RESTRICT"), nullable=True),
    Column("task_type", Integer, nullable=False),
    Column("kind", String(16), nullable=False, server_default="batch"),  # batch | single
    Column("cc", Text, nullable=True),  # JSON list of Cc addresses of a single send
    Column("bcc", Text, nullable=True),  # JSON list of Bcc addresses of a single send
    Column("begin_at", UtcDateTime(), nullable=True),
    Column("interval_hours", Integer, nullable=True),
    Column("terminated", Boolean, nullable=False, default=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False),
    Column("error_message", Text, nullable=True),
    Column("unsubscribe", String(8), nullable=True),
    Column("requested_count", BigInteger, nullable=False, default=0),
    Column("sent_count", BigInteger, nullable=False, default=0),
    Column("cached_count", BigInteger, nullable=False, default=0),
    Column("failed_count", BigInteger, nullable=False, default=0),
    Column("skipped_count", BigInteger, nullable=False, default=0),
    Column("next_fire_at", UtcDateTime(), nullable=True),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Listing by account with a filter, newest first, must stay fast at 10^6 rows: a page's ids come from an
    # index-only scan, so every listed column (kind included: single sends are never listed) is in the index.
    Index("ix_tasks_account_kind_id", "account_id", "kind", "id"),
    Index("ix_tasks_account_kind_state_id", "account_id", "kind", "state", "id"),
    Index("ix_tasks_account_kind_type_id", "account_id", "kind", "task_type", "id"),
    Index("ix_tasks_account_kind_list_id", "account_id", "kind", "recipient_list_id", "id"),
    Index("ix_tasks_owner_id_id", "owner_id", "id"),
    # A member's own tasks in one state, in id order, whatever share of the account they are.
    Index("ix_tasks_owner_kind_state_id", "owner_id", "kind", "state", "id"),
    Index("ix_tasks_next_fire_at", "next_fire_at"),
)

# How many batch tasks each (account, owner, state, type, list, paused) has: a listing's total without counting
# 10^6 rows. Kept by triggers on `tasks` (migration 0003) in the same transaction as every change of these
# columns; a task without a list counts under recipient_list_id 0.
task_counts = Table(
    "task_counts",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("task_type", Integer, primary_key=True, autoincrement=False),
    Column("recipient_list_id", Id, primary_key=True, autoincrement=False),
    Column("paused", Boolean, primary_key=True),
    Column("task_count", BigInteger, nullable=False),
)

# How many batch tasks each account has per facet ("all", "state:done", "type:3", "list:7", "owner:2"), in all
# and per block of task ids: a listing's total, and its deep page's block, found by adding these up
# (store/task_blocks.py). Kept by triggers on `tasks` (migration 0006) in the transaction of every change.
task_facets = Table(
    "task_facets",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("facet", String(48), primary_key=True),
    Column("task_count", BigInteger, nullable=False),
)

task_blocks = Table(
    "task_blocks",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("facet", String(48), primary_key=True),
    Column("block_size", Integer, primary_key=True, autoincrement=False),  #: 65,536 or 1,024 ids
    Column("block", BigInteger, primary_key=True, autoincrement=False),  #: task id // block_size
    Column("task_count", BigInteger, nullable=False),
)

task_grants = Table(
    "task_grants",
    metadata,
    Column("task_id", Id, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_task_grants_user_task", "user_id", "task_id"),
)

runs = Table(
    "runs",
    metadata,
    _id(),
    Column("task_id", Id, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("fire_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_count", BigInteger, nullable=False, default=0),
    Column("sent_count", BigInteger, nullable=False, default=0),
    Column("failed_count", BigInteger, nullable=False, default=0),
    Column("skipped_count", BigInteger, nullable=False, default=0),
    _created(),
    Column("finished_at", UtcDateTime(), nullable=True),
    # The random part of the run's Message-IDs (domain/message_ids.py); NULL for runs from before 0007.
    Column("message_key", String(32), nullable=True),
    # No fire time runs twice, whatever crashes or however many schedulers run.
    UniqueConstraint("task_id", "fire_at", name="uq_runs_task_fire_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    _id(),
    Column("run_id", Id, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", Id, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Id, nullable=False),
    Column("address", String(320), nullable=False),
    Column("variables", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UtcDateTime(), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", UtcDateTime(), nullable=True),
    Column("smtp_code", Integer, nullable=True),
    Column("reason", Text, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_deliveries_run_id_id", "run_id", "id"),
    Index("ix_deliveries_task_id_id", "task_id", "id"),
    Index("ix_deliveries_state_not_before", "state", "not_before"),
    # The open deliveries only, in id order: a claim's cost does not grow with what was already sent.
    Index(
        "ix_deliveries_open_id",
        "id",
        postgresql_where=text("state IN ('queued', 'sending')"),
        sqlite_where=text("state IN ('queued', 'sending')"),
    ),
)

suppressions = Table(
    "suppressions",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(320), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("description", Text, nullable=True),  # why: the bounce diagnostic, or that it was a complaint
    _created(),
    UniqueConstraint("account_id", "address", "reason", name="uq_suppressions_account_address_reason"),
)

task_attachments = Table(
    "task_attachments",
    metadata,
    _id(),
    Column("task_id", Id, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(127), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_task_attachments_task_id", "task_id"),
)

submitted_messages = Table(
    "submitted_messages",
    metadata,
    Column("task_id", Id, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("envelope_from", String(254), nullable=False),  # MAIL FROM as given; empty for a null sender
    Column("content", LargeBinary, nullable=False),  # the RFC 5322 message as the client sent it
)

unsubscribe_configs = Table(
    "unsubscribe_configs",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(254), nullable=False),  # a sender address of the account
    Column("language", String(8), nullable=False),  # Tencent's Unsubscribe enum, "0".."12"
    Column("enabled", Boolean, nullable=False),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "address", name="uq_unsubscribe_configs_account_address"),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    _id(),
    Column("account_id", Id, nullable=False),
    Column("task_id", Id, nullable=True),
    Column("delivery_id", Id, nullable=True),
    Column("envelope_from", String(320), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("content", LargeBinary, nullable=False),
    _created(),
    Index("ix_outbox_messages_account_id_id", "account_id", "id"),
    # The retention purge's oldest copies first: without it each round scans the table even when none is old.
    Index("ix_outbox_messages_created_at_id", "created_at", "id"),
)

# A relay's daily quota, shared by every worker: the sends handed out for each day (relay names come from
# MAILYARD_RELAYS). Workers reserve blocks and give back what they did not use.
relay_days = Table(
    "relay_days",
    metadata,
    Column("relay", String(200), nullable=False),
    Column("day", Date, nullable=False),
    Column("reserved", Integer, nullable=False),
    PrimaryKeyConstraint("relay", "day", name="pk_relay_days"),
)

# One row per event of a delivery (domain/events.py). No foreign keys: events outlive nothing they name, and
# 10^7 rows are written at sending speed.
events = Table(
    "events",
    metadata,
    _id(),
    Column("account_id", Id, nullable=False),
    Column("task_id", Id, nullable=False),
    Column("delivery_id", Id, nullable=False),
    Column("address", String(320), nullable=False),
    Column("type", String(16), nullable=False),
    Column("bounce_type", String(16), nullable=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=True),
    Column("link", Text, nullable=True),
    Column("user_agent", String(400), nullable=True),
    Column("machine", Boolean, nullable=True),
    Index("ix_events_task_id_id", "task_id", "id"),
    Index("ix_events_delivery_id_type", "delivery_id", "type"),
    # An address's latest deliveries and bounces, for runs of soft bounces across tasks.
    Index("ix_events_account_address_id", "account_id", "address", "id"),
    # Complaints by time for GetAbuseReport: rare rows, so a partial index costs the other events nothing.
    Index(
        "ix_events_complaints",
        "account_id",
        "occurred_at",
        postgresql_where=text("type = 'spamreport'"),
        sqlite_where=text("type = 'spamreport'"),
    ),
    # The retention purge's oldest events first: without it each round scans the table even when none is old.
    Index("ix_events_occurred_at_id", "occurred_at", "id"),
)

# Daily counters kept as events are recorded: a report adds up these rows instead of scanning events. The day
# is the account's local day of the event; the recipient domain serves GetStatisticsReport's filter.
event_counts = Table(
    "event_counts",
    metadata,
    Column("task_id", Id, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("recipient_domain", String(253), primary_key=True),
    Column("counter", String(24), primary_key=True),
    Column("account_id", Id, nullable=False),
    Column("event_count", BigInteger, nullable=False),
    Index("ix_event_counts_account_day", "account_id", "day"),
)

# Mail the inbound listener received but could not attribute to a delivery of this installation: kept for
# inspection (never lost), counted by the native API.
inbound_messages = Table(
    "inbound_messages",
    metadata,
    _id(),
    Column("mail_from", String(320), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("kind", String(16), nullable=False),  #: bounce, complaint, auto_reply or unknown
    Column("problem", Text, nullable=False),  #: why it could not be used
    Column("content", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

# Open and click tracking settings: the account's (task_id 0) and a task's own, when either was set.
tracking_settings = Table(
    "tracking_settings",
    metadata,
    Column("account_id", Id, primary_key=True, autoincrement=False),
    Column("task_id", Id, primary_key=True, autoincrement=False),
    Column("opens", Boolean, nullable=False),
    Column("clicks", Boolean, nullable=False),
)

# Webhook endpoints of an account (sender_address NULL) or of one of its sender addresses; the secret sealed.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  #: event types, comma-separated
    Column("custom", Text, nullable=True),
    Column("sender_address", String(254), nullable=True),
    Column("secret_sealed", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_webhook_endpoints_account_id", "account_id"),
)

# What is to be posted to an endpoint: an event's facts, queued in the transaction that records the event, and
# its tries. The body is built when it is posted, from these facts and the delivery's task.
webhook_messages = Table(
    "webhook_messages",
    metadata,
    _id(),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Id, nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("delivery_id", Id, nullable=True),  #: NULL for a test message
    Column("task_id", Id, nullable=True),
    Column("address", String(320), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=True),
    Column("bounce_type", String(16), nullable=True),
    Column("link", Text, nullable=True),
    Column("user_agent", String(400), nullable=True),
    Column("machine", Boolean, nullable=True),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("leased_until", UtcDateTime(), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_answer", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_webhook_messages_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_webhook_messages_endpoint_id_id", "endpoint_id", "id"),
)
