"""What the sending service needs to turn a run into messages and hand each copy over."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from mailyard.domain import quotas
from mailyard.domain.letters import DkimKey, Letter, MessageDraft, SubmittedChanges
from mailyard.domain.outcomes import DeliveryOutcome


class ComposedMessage(Protocol):
    """A message compiled once per run; rendering a recipient's copy only fills in its values."""

    def render(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes:
        """The copy as RFC 5322 bytes with CRLF line endings."""
        ...


class MessageComposer(Protocol):
    def compile(self, draft: MessageDraft) -> ComposedMessage:
        """Raises ValueError when the draft cannot make a valid message."""
        ...

    def keep(self, content: bytes, dkim: DkimKey | None, changes: SubmittedChanges | None = None) -> ComposedMessage:
        """A submitted message sent as it came (adding a Message-ID and Date if missing, and `changes`), signed
        with `dkim`.

        Raises ValueError when the key cannot be used."""
        ...


class RelayGate(Protocol):
    """Admits messages to relays with a daily quota: one send taken per message, given back if not accepted."""

    def take(self, relay: str) -> bool: ...
    def give(self, relay: str) -> None: ...


class Mailer(Protocol):
    """Delivers one letter, framing it for its transport; replies and faults come back classified, never raised."""

    @property
    def relay_quotas(self) -> Sequence[quotas.RelayQuota]:
        """Every relay's daily quota; empty when the mailer sends through no relay."""
        ...

    async def deliver(self, letter: Letter, gate: RelayGate | None = None) -> DeliveryOutcome:
        """With a `gate`, a relay with a quota is used only when the gate admits the message."""
        ...

    async def close(self) -> None: ...
