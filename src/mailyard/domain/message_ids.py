"""Message-IDs of the copies a run sends (RFC 5322 section 3.6.4).

Receivers drop a message whose Message-ID they have already seen, so an ID must be unique across every
Mailyard installation, not only within one database: each run draws a random key when it starts, kept with
the run. A resent copy of a delivery (its worker died in flight) is built from the same run key and delivery
id, so it keeps its Message-ID and receivers can tell it is the same message.
"""

from __future__ import annotations

import secrets

_KEY_BYTES = 10  # 80 random bits per run
FALLBACK_DOMAIN = "mailyard.invalid"


def new_run_key() -> str:
    """A fresh random key for a run's Message-IDs."""
    return secrets.token_hex(_KEY_BYTES)


def domain_of(from_address: str) -> str:
    """The right-hand side of Message-IDs: the sender's domain (`Name <a@b>` or `a@b`)."""
    _local, at, domain = from_address.rpartition("@")
    domain = domain.rstrip(">").strip()
    return domain if at and domain else FALLBACK_DOMAIN


def message_id(*, run_key: str | None, run_id: int, delivery_id: int, from_address: str) -> str:
    """The Message-ID (without angle brackets) of a delivery's copies, on the sender's domain.

    Runs started before run keys existed have none; theirs stay `run.delivery@domain`, as when they started.
    """
    domain = domain_of(from_address)
    if run_key is None:
        return f"{run_id}.{delivery_id}@{domain}"
    return f"{run_id}.{delivery_id}.{run_key}@{domain}"


def parse(value: str) -> tuple[int, int, str | None, str] | None:
    """(run id, delivery id, run key, domain) of a Message-ID made by `message_id`, brackets allowed; None when
    it is not shaped like one. A complaint names its copy this way, so the key is what makes it unguessable."""
    local, at, domain = value.strip().strip("<>").rpartition("@")
    parts = local.split(".")
    if not at or not domain or len(parts) not in (2, 3):
        return None
    run, delivery = parts[0], parts[1]
    if not all(part.isascii() and part.isdigit() and len(part) <= 19 for part in (run, delivery)):
        return None
    return int(run), int(delivery), parts[2] if len(parts) == 3 else None, domain.lower()
