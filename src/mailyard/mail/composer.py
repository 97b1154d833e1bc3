"""The `MessageComposer` port over mail.mime: a run's message compiled once into bytes with slots, and
DKIM-signed per copy when the sending domain has a key."""

from __future__ import annotations

from mailyard.domain.letters import DkimKey, MessageDraft, SubmittedChanges
from mailyard.mail import dkim, mime
from mailyard.mail.signed import SignedMessage
from mailyard.mail.submitted import SubmittedMessage
from mailyard.ports.mailer import ComposedMessage


class MimeComposer:
    def compile(self, draft: MessageDraft) -> ComposedMessage:
        """Raises ValueError (DkimError included) when the draft or its DKIM key cannot be used."""
        compiled = mime.compile_message(
            mime.MessageBlueprint(
                from_address=draft.from_address,
                from_name=draft.from_name,
                reply_to=draft.reply_to,
                subject=draft.subject,
                text=draft.text,
                html=draft.html,
                list_unsubscribe=draft.list_unsubscribe,
                message_id_domain=draft.message_id_domain,
                to=draft.to,
                cc=draft.cc,
                attachments=tuple(
                    mime.FilePart(filename=item.filename, content_type=item.content_type, content=item.content)
                    for item in draft.attachments
                ),
            )
        )
        return _signed(compiled, draft.dkim)

    def keep(self, content: bytes, dkim: DkimKey | None, changes: SubmittedChanges | None = None) -> ComposedMessage:
        """A message submitted over SMTP, sent as it came (Message-ID and Date added if missing, `changes`
        applied), signed."""
        return _signed(SubmittedMessage(content, changes), dkim)


def _signed(message: mime.CompiledMessage | SubmittedMessage, key: DkimKey | None) -> ComposedMessage:
    if key is None:
        return message
    signer = dkim.DkimSigner(domain=key.domain, selector=key.selector, private_pem=key.private_pem.encode())
    return SignedMessage(message, signer)
