"""What a task or a single send refers to: a sender address of the account and an approved template.

Checked once, the same way, whichever of the two is created.
"""

from __future__ import annotations

from mailyard.domain import tasks, templates
from mailyard.errors import ErrorCode, InvalidInput, NotFound
from mailyard.ports.identities import SenderLookup
from mailyard.ports.templates import TemplateLookup


def sender_of(from_address: str) -> str:
    """The bare, lower-case sender address of a From field (`Name <addr>` or `addr`)."""
    address = tasks.sender_address(from_address)
    if not address:
        raise InvalidInput(f"not a valid sender: {from_address!r}", field="from_address", code=ErrorCode.SENDER_INVALID)
    return address


async def check_sender_and_template(
    senders: SenderLookup, stored_templates: TemplateLookup, account_id: int, sender: str, template_id: int | None
) -> None:
    """The sender must be one of the account's addresses, the template one of its templates and approved."""
    if await senders.get(account_id, sender) is None:
        raise NotFound(f"sender address {sender} not found", code=ErrorCode.SENDER_NOT_FOUND)
    template = await stored_templates.get(account_id, template_id) if template_id is not None else None
    if template is None:
        raise NotFound(f"template {template_id} not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
    templates.require_approved(template)
