"""Templates: CreateEmailTemplate, GetEmailTemplate, UpdateEmailTemplate, DeleteEmailTemplate,
ListEmailTemplates (spec 1.4 "Templates"). Content travels as Base64 (spec 1.3 "Content encoding").
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from mailyard.domain import paging, templates
from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields

MAX_TEMPLATES_PAGE = paging.MAX_PAGE_SIZE
REVIEW_REASONS = {
    templates.ReviewStatus.APPROVED: "approved",
    templates.ReviewStatus.PENDING: "under review",
    templates.ReviewStatus.REJECTED: "rejected",
}


def _decoded(content: Fields, key: str) -> str | None:
    """One Base64 part of ``TemplateContent`` as text; an empty part counts as absent."""
    encoded = content.optional_text(key)
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise TencentError(
            "InvalidParameterValue.TemplateContentIsWrong",
            f"{content.name(key)} is not Base64-encoded UTF-8 text.",
        ) from None


def _encoded(text: str | None) -> str | None:
    return None if text is None else base64.b64encode(text.encode("utf-8")).decode("ascii")


def _template_name(fields: Fields) -> str:
    return fields.text("TemplateName").strip()


def _content(fields: Fields) -> tuple[str | None, str | None]:
    """``(text, html)`` of the required ``TemplateContent``, decoded; the core checks them."""
    content = fields.nested("TemplateContent")
    assert content is not None
    return _decoded(content, "Text"), _decoded(content, "Html")


def _content_out(template: templates.Template) -> dict[str, Any]:
    parts = {"Html": _encoded(template.html), "Text": _encoded(template.text)}
    return {key: value for key, value in parts.items() if value is not None}


async def create_email_template(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    name = _template_name(fields)
    text, html = _content(fields)
    template = await services.templates.create(principal, name=name, subject=None, text=text, html=html)
    return {"TemplateID": template.id}


async def get_email_template(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    template = await services.templates.get(principal, Fields(params).id("TemplateID"))
    return {
        "TemplateContent": _content_out(template),
        "TemplateStatus": int(template.review_status),
        "TemplateName": template.name,
    }


async def update_email_template(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    template_id = fields.id("TemplateID")
    name = _template_name(fields)
    text, html = _content(fields)
    current = await services.templates.get(principal, template_id)
    await services.templates.update(principal, template_id, name=name, subject=current.subject, text=text, html=html)
    return {}


async def delete_email_template(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    await services.templates.delete(principal, Fields(params).id("TemplateID"))
    return {}


async def list_email_templates(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    # Limit and Offset are required here, and no maximum is documented: larger pages are cut.
    limit = min(fields.uint("Limit"), MAX_TEMPLATES_PAGE)
    page = await services.templates.list(principal, paging.Window(offset=fields.offset(), limit=limit))
    return {"TemplatesMetadata": [_metadata(item) for item in page.items], "TotalCount": page.total}


def _metadata(template: templates.Template) -> dict[str, Any]:
    return {
        "CreatedTimestamp": int(template.created_at.timestamp()),
        "TemplateName": template.name,
        "TemplateStatus": int(template.review_status),
        "TemplateID": template.id,
        "ReviewReason": REVIEW_REASONS[template.review_status],
    }


ACTIONS: ActionTable = {
    "CreateEmailTemplate": create_email_template,
    "GetEmailTemplate": get_email_template,
    "UpdateEmailTemplate": update_email_template,
    "DeleteEmailTemplate": delete_email_template,
    "ListEmailTemplates": list_email_templates,
}
