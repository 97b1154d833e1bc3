"""Settings: the only reader of the environment (MAILYARD_ prefix) and of the optional config file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_INBOUND_SMTP = "127.0.0.1:2525"


class Settings(BaseSettings):
    """Every knob of a Mailyard process; read once at the edge and passed down as plain values."""

    model_config = SettingsConfigDict(env_prefix="MAILYARD_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    master_key: str | None = Field(default=None, repr=False)
    redis_url: str | None = None
    relays: str | None = Field(default=None, repr=False)
    identity_verification: Literal["dns", "trust"] = "dns"
    template_review: Literal["on", "off"] = "off"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None  #: how recipients reach this server (unsubscribe links); default http://host:port
    max_body_bytes: int = 8 * 1024 * 1024
    #: Tencent front door: requests per second per action per account (the real service's default is 20)
    tencent_rate_limit: int = Field(default=20, ge=1)
    # Door guards: rate limits of the Alibaba door and /v1 (per action per account), and per client address
    aliyun_rate_limit: int = Field(default=20, ge=1)
    api_rate_limit: int = Field(default=20, ge=1)
    client_rate_limit: int = Field(default=100, ge=1)
    worker_concurrency: int = Field(default=32, ge=1, le=1024)
    worker_batch_size: int = Field(default=128, ge=1, le=10_000)
    lease_seconds: float = Field(default=60.0, ge=1.0)
    #: a delivery that keeps getting temporary failures (4xx, connection faults) fails after this many hours
    retry_max_age_hours: float = Field(default=24.0, gt=0.0, le=24.0 * 30)
    poll_seconds: float = Field(default=1.0, gt=0.0)

    # --- webhooks: never to internal addresses unless allowed (a user's URL must not reach internal services)
    webhook_allow_private: bool = False

    # --- the CLI: steer a remote server through its native API instead of the local database
    url: str | None = None  #: e.g. https://mailyard.example.com (MAILYARD_URL)
    secret_id: str | None = None
    secret_key: str | None = Field(default=None, repr=False)

    # --- recipient lists: the Tencent door keeps Tencent's limits (its contract); the native API and CLI import
    # one streamed CSV of up to list_max_recipients into one list.
    list_max_recipients: int = Field(default=10_000_000, ge=1)
    max_import_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    tencent_list_max_recipients: int = Field(default=50_000, ge=1)
    tencent_upload_max_recipients: int = Field(default=20_000, ge=1)
    # Operations: probes and metrics, logs, retention (unset keeps records forever)
    #: HOST:PORT where `mailyard worker` serves /healthz, /readyz and /metrics; unset, it serves none
    worker_metrics: str | None = None
    log_format: Literal["text", "json"] = "text"
    #: prometheus-client's own variable: a directory shared by processes that serve metrics on one port
    prometheus_multiproc_dir: Path | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    retain_outbox_days: int | None = Field(default=None, ge=1)
    retain_deliveries_days: int | None = Field(default=None, ge=1)
    retain_events_days: int | None = Field(default=None, ge=1)  #: events, and the webhooks posted for them

    # Hearing back: each copy's return path (VERP) and the inbound SMTP listener for bounces and complaints
    return_path_label: str = Field(default="bounce", pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    inbound_smtp: str | None = None  #: HOST:PORT of the inbound listener, or "off"; unset: DEFAULT_INBOUND_SMTP
    inbound_hostname: str | None = None  #: the listener's public host name (MX target); default: the public URL's
    inbound_max_message_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    inbound_max_connections: int = Field(default=100, ge=1)
    inbound_timeout_seconds: float = Field(default=60.0, gt=0.0)
    soft_bounce_limit: int = Field(default=3, ge=1, le=100)  #: soft bounces in a row that suppress an address

    # SMTP submission: applications send over SMTP (AUTH with a sender address and its SMTP password)
    submission_smtp: str = "127.0.0.1:2587"  #: HOST:PORT with STARTTLS, or off
    submission_smtps: str = "off"  #: HOST:PORT with implicit TLS (Tencent's port 465), or off
    submission_tls_certificate: Path | None = None  #: PEM; without it a self-signed one in the data directory
    submission_tls_key: Path | None = Field(default=None, repr=False)
    submission_require_tls: bool = False  #: AUTH only after TLS on a loopback listener too
    submission_trusted: str = ""  #: networks that may submit without AUTH, e.g. 127.0.0.1/32,10.0.0.0/8
    submission_trusted_account: str | None = None  #: the account trusted networks submit for
    submission_max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    submission_account_rate: int = Field(default=20, ge=1)  #: submissions a second per account
    submission_recipient_hourly: int = Field(default=10, ge=1)  #: messages an hour from one sender to one recipient
    submission_max_connections: int = Field(default=200, ge=1)
    submission_timeout_seconds: float = Field(default=300.0, gt=0.0)

    # --- the dashboard: how long a browser stays signed in
    dashboard_session_hours: float = Field(default=12.0, gt=0.0, le=24.0 * 90)

    @property
    def resolved_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mailyard.db').resolve()}"


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings from the environment, with an optional `KEY=value` file underneath it.

    The file (``--config`` or ``MAILYARD_CONFIG``) holds MAILYARD_* lines; the environment wins over it.
    """
    path = config_file or (Path(os.environ["MAILYARD_CONFIG"]) if os.environ.get("MAILYARD_CONFIG") else None)
    if path is None:
        return Settings()
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    return Settings(_env_file=path)
