"""Builds the Quick BI front door of a running service."""

from __future__ import annotations

import time

import redis.asyncio

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.aliyun.door import AliyunFrontDoor
from mailyard.web.aliyun.failures import translate_error
from mailyard.web.aliyun.mail_tasks import MailTaskActions
from mailyard.web.aliyun.nonces import MemoryNonceGuard, NonceGuard, RedisNonceGuard

REDIS_TIMEOUT_SECONDS = 1.0


def nonce_guard(redis_url: str | None) -> NonceGuard:
    """Across processes with Redis; in memory for the single embedded process."""
    if not redis_url:
        return MemoryNonceGuard()
    # Short timeouts, no retries: a Redis outage must fail fast (503), not hang the request.
    client = redis.asyncio.from_url(
        redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, retry=None
    )
    return RedisNonceGuard(client)


def create_door(services: Services, *, redis_url: str | None) -> AliyunFrontDoor[Principal]:
    return AliyunFrontDoor(
        lookup_secret=services.access.lookup_secret,
        actions=MailTaskActions(services).table(),
        nonce_guard=nonce_guard(redis_url),
        clock=time.time,
        translate_error=translate_error,
    )
