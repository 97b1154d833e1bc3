"""One relay's share of the pool: its persistent connections, idle closing and back-off after failures."""

from __future__ import annotations

import asyncio
import ssl

from mailyard.domain.outcomes import (
    DeliveryOutcome,
    OutcomeKind,
    SmtpStage,
    classify_fault,
    classify_reply,
    classify_transaction,
)
from mailyard.mail.relays import RelayConfig
from mailyard.mail.smtp_client import (
    SendReply,
    SmtpClient,
    SmtpConnectionError,
    SmtpError,
    SmtpRefusedError,
    SmtpUnsupportedError,
    SmtpUtf8Unsupported,
)

_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 30.0


class RelayLane:
    """Connections to one relay: at most ``relay.connections`` open, reused LIFO, closed when idle too long.

    Callers hold one of ``slots`` while they use a connection, which bounds the open connections.
    """

    def __init__(self, relay: RelayConfig, ssl_context: ssl.SSLContext | None) -> None:
        self.relay = relay
        self.slots = asyncio.Semaphore(relay.connections)
        self.load = 0  # deliveries waiting for or holding a slot
        self._ssl_context = ssl_context
        self._idle: list[tuple[SmtpClient, float]] = []  # (client, idle since); the newest last
        self._reaper: asyncio.TimerHandle | None = None
        self._quitting: set[asyncio.Task[None]] = set()
        self._failures = 0
        self._down_until = 0.0
        self._closed = False

    def is_down(self, now: float) -> bool:
        """True while backing off after the relay failed to give us a session."""
        return now < self._down_until

    async def deliver(self, envelope_from: str, recipient: str, data: bytes) -> DeliveryOutcome:
        """Send one message to one recipient; the caller holds a slot. Never raises for SMTP trouble."""
        for attempt in (1, 2):
            try:
                client, reused = await self._checkout()
            except SmtpError as error:
                return self._session_failed(error)
            try:
                reply = await client.send(envelope_from, [recipient], data)
            except SmtpUtf8Unsupported as missing:
                # This copy only: the relay takes every ASCII address, and retrying will not add the extension.
                return DeliveryOutcome(OutcomeKind.FAILED, 0, f"{missing} ({recipient})")
            except SmtpError as fault:
                # A reused connection the server dropped while idle: nothing was delivered before the body,
                # so one more try on a fresh connection cannot duplicate the message.
                if reused and attempt == 1 and _is_stale(fault):
                    continue
                return classify_fault(fault.stage, str(fault))
            finally:
                self._checkin(client)
            if reused and attempt == 1 and reply.mail.code == 421:
                continue  # RFC 5321 3.8: the server closed an idle session; a fresh one may well work
            return _outcome(reply)
        raise AssertionError("unreachable: the second attempt always returns")

    async def close(self) -> None:
        """Quit idle connections and wait for every QUIT in progress; later check-ins are quit at once."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        while self._idle:
            self._quit(self._idle.pop()[0])
        if self._quitting:
            await asyncio.gather(*self._quitting, return_exceptions=True)

    # -- connections ---------------------------------------------------------------------------------

    async def _checkout(self) -> tuple[SmtpClient, bool]:
        """An open session, reused if possible: (client, reused)."""
        while self._idle:
            client, _ = self._idle.pop()
            if client.is_usable:
                return client, True
            client.abort()
        client = SmtpClient(self.relay, ssl_context=self._ssl_context)
        await client.connect()
        self._failures, self._down_until = 0, 0.0
        return client, False

    def _checkin(self, client: SmtpClient) -> None:
        if not client.is_usable:
            client.abort()
        elif self._closed:
            self._quit(client)
        else:
            loop = asyncio.get_running_loop()
            self._idle.append((client, loop.time()))
            if self._reaper is None:
                self._reaper = loop.call_later(self.relay.idle_timeout, self._reap)

    def _reap(self) -> None:
        """Quit connections idle longer than ``idle_timeout``; re-arm for the oldest remaining one."""
        self._reaper = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - self.relay.idle_timeout
        while self._idle and self._idle[0][1] <= cutoff:
            self._quit(self._idle.pop(0)[0])
        if self._idle:
            self._reaper = loop.call_at(self._idle[0][1] + self.relay.idle_timeout, self._reap)

    def _quit(self, client: SmtpClient) -> None:
        task = asyncio.get_running_loop().create_task(client.quit())
        self._quitting.add(task)
        task.add_done_callback(self._quitting.discard)

    def _session_failed(self, error: SmtpError) -> DeliveryOutcome:
        """Map a failure to open a session to an outcome and back off from this relay for a while."""
        self._failures += 1
        backoff = min(_MAX_BACKOFF, _FIRST_BACKOFF * 2 ** (self._failures - 1))
        self._down_until = asyncio.get_running_loop().time() + backoff
        if isinstance(error, SmtpRefusedError):
            return classify_reply(error.stage, error.reply.code, error.reply.text)
        if isinstance(error, SmtpUnsupportedError):
            return DeliveryOutcome(OutcomeKind.TASK_ERROR, 0, f"{error.stage.value}: {error}")
        return classify_fault(error.stage, str(error))


def _is_stale(fault: SmtpError) -> bool:
    return isinstance(fault, SmtpConnectionError) and fault.stage is not SmtpStage.MESSAGE


def _outcome(reply: SendReply) -> DeliveryOutcome:
    if not reply.mail.is_positive:
        return classify_reply(SmtpStage.MAIL, reply.mail.code, reply.mail.text)
    recipient_replies = [rcpt for _, rcpt in reply.recipients]
    return classify_transaction(reply.mail, recipient_replies, reply.data, reply.final)[0]
