"""Templates and recipient lists."""

from __future__ import annotations

import csv
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from mailyard.domain import recipient_csv
from mailyard.errors import InvalidInput
from mailyard.services.recipients import RecipientFilter
from mailyard.web.api import mapping, schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter()
PositiveId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/templates", status_code=status.HTTP_201_CREATED, tags=["templates"])
async def create_template(
    body: schemas.TemplateIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.TemplateOut:
    template = await services.templates.create(
        principal, name=body.name, subject=body.subject, text=body.text, html=body.html
    )
    return mapping.template_out(template)


@router.get("/templates", tags=["templates"])
async def list_templates(
    principal: CurrentPrincipal, services: ServicesDep, window: PageWindow
) -> schemas.PageOut[schemas.TemplateOut]:
    page = await services.templates.list(principal, window)
    items = [mapping.template_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.get("/templates/{template_id}", tags=["templates"])
async def get_template(
    template_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.TemplateOut:
    return mapping.template_out(await services.templates.get(principal, template_id))


@router.put("/templates/{template_id}", tags=["templates"])
async def update_template(
    template_id: PositiveId, body: schemas.TemplateIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.TemplateOut:
    template = await services.templates.update(
        principal, template_id, name=body.name, subject=body.subject, text=body.text, html=body.html
    )
    return mapping.template_out(template)


@router.delete("/templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["templates"])
async def delete_template(template_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await services.templates.delete(principal, template_id)


@router.post("/templates/{template_id}/preview", tags=["templates"])
async def preview_template(
    template_id: PositiveId, body: schemas.PreviewIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.PreviewOut:
    preview = await services.templates.preview(principal, template_id, body.variables)
    return schemas.PreviewOut(subject=preview.subject, text=preview.text, html=preview.html, missing=preview.missing)


@router.post("/lists", status_code=status.HTTP_201_CREATED, tags=["recipient lists"])
async def create_list(body: schemas.ListIn, principal: CurrentPrincipal, services: ServicesDep) -> schemas.ListOut:
    created = await services.recipients.create_list(principal, name=body.name, description=body.description)
    return mapping.list_out(created)


@router.get("/lists", tags=["recipient lists"])
async def list_lists(
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    keyword: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.PageOut[schemas.ListOut]:
    page = await services.recipients.list_lists(principal, window, keyword=keyword)
    items = [mapping.list_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.get("/lists/{list_id}", tags=["recipient lists"])
async def get_list(list_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> schemas.ListOut:
    return mapping.list_out(await services.recipients.get_list(principal, list_id))


@router.delete("/lists/{list_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["recipient lists"])
async def delete_list(list_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await services.recipients.delete_list(principal, list_id)


@router.post("/lists/{list_id}/recipients", tags=["recipient lists"])
async def add_recipients(
    list_id: PositiveId, body: schemas.RecipientsIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.UploadOut:
    entries = [(item.address, item.variables) for item in body.recipients]
    report = await services.recipients.add_recipients(principal, list_id, entries)
    return schemas.UploadOut(total=report.total, valid=report.valid, invalid=report.invalid, repeated=report.repeated)


CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "CSV with an address (or email) column; every other column is a variable",
    }
}


@router.post("/lists/{list_id}/recipients.csv", tags=["recipient lists"], openapi_extra=CSV_BODY)
async def import_recipients_csv(
    list_id: PositiveId, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.UploadOut:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput("the CSV must be UTF-8 text", field="body") from error
    if "\x00" in text:
        raise InvalidInput("the CSV must not contain NUL characters", field="body")
    try:
        entries = list(recipient_csv.read_recipients_csv(text))
    except csv.Error as error:
        raise InvalidInput(f"not a readable CSV file: {error}", field="body") from error
    report = await services.recipients.add_recipients(principal, list_id, entries)
    return schemas.UploadOut(total=report.total, valid=report.valid, invalid=report.invalid, repeated=report.repeated)


@router.get("/lists/{list_id}/recipients", tags=["recipient lists"])
async def list_recipients(
    list_id: PositiveId,
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    address: Annotated[str | None, Query(max_length=254)] = None,
    valid: bool | None = None,
) -> schemas.PageOut[schemas.RecipientOut]:
    chosen = RecipientFilter(address_contains=address, valid=valid)
    _found, page = await services.recipients.list_recipients(principal, list_id, window, chosen)
    items = [mapping.recipient_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)
