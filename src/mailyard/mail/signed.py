"""A compiled message whose every copy is DKIM-signed.

Signing covers the recipient's own headers and body, so it happens per copy, after rendering and before
the mailer frames it; the key itself is parsed once, when the run's message is compiled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from mailyard.mail.dkim import DkimSigner


class Renderable(Protocol):
    def render(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes: ...


class SignedMessage:
    """Renders like the wrapped message, with a DKIM-Signature header in front."""

    __slots__ = ("_message", "_signer")

    def __init__(self, message: Renderable, signer: DkimSigner) -> None:
        self._message = message
        self._signer = signer

    def render(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes:
        plain = self._message.render(recipient=recipient, values=values, message_id=message_id, date=date)
        return self._signer.sign(plain, signed_at=date)
