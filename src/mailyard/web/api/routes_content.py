"""Templates and recipient lists."""

from __future__ import annotations

import io
import tempfile
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import StreamingResponse

from mailyard.domain import identifiers, recipient_csv
from mailyard.services.recipients import RecipientFilter
from mailyard.web.api import mapping, schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter()
PositiveId = Annotated[int, Path(ge=1, le=identifiers.MAX_ID)]


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


@router.post("/templates/{template_id}/approve", tags=["templates"])
async def approve_template(
    template_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.TemplateOut:
    """Admins only: the template may be sent (with MAILYARD_TEMPLATE_REVIEW=on)."""
    return mapping.template_out(await services.templates.approve(principal, template_id))


@router.post("/templates/{template_id}/reject", tags=["templates"])
async def reject_template(
    template_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.TemplateOut:
    """Admins only: nothing sends the template until it is changed and approved."""
    return mapping.template_out(await services.templates.reject(principal, template_id))


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


@router.get("/lists", tags=["recipient lists"], responses=schemas.page_example(schemas.ListOut))
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
) -> schemas.ImportOut:
    """Add recipients given as JSON; all of them or none."""
    rows = ((number, item.address, item.variables) for number, item in enumerate(body.recipients, start=1))
    return mapping.import_out(await services.recipients.import_recipients(principal, list_id, rows))


CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}, "example": "email,name\nada@example.org,Ada\n"}},
        "description": "CSV with an address (or email) column; every other column is a variable",
    }
}
SPOOL_IN_MEMORY_BYTES = 1 << 20
CSV_EXPORT_EXAMPLE = 'email,variables\nada@example.org,"{""name"": ""Ada""}"\nalan@example.org,"{""name"": ""Alan""}"\n'


@router.post("/lists/{list_id}/recipients.csv", tags=["recipient lists"], openapi_extra=CSV_BODY)
async def import_recipients_csv(
    list_id: PositiveId, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.ImportOut:
    """Import a CSV of any size in one streamed upload: all rows or none (atomic). Invalid addresses are kept,
    marked invalid, and the first of them are named with their line."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        lines = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        rows = recipient_csv.read_recipient_rows(lines)
        report = await services.recipients.import_recipients(principal, list_id, rows)
    return mapping.import_out(report)


@router.get(
    "/lists/{list_id}/recipients.csv",
    tags=["recipient lists"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXPORT_EXAMPLE}},
            "description": "The list as CSV, importable again",
        }
    },
)
async def export_recipients_csv(
    list_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep
) -> StreamingResponse:
    """Every recipient of the list as CSV (email, variables as a JSON object), streamed; importable again."""
    await services.recipients.get_list(principal, list_id)  # refuse before the response starts
    batches = services.recipients.export_recipients(principal, list_id)
    return StreamingResponse(
        recipient_csv.write_recipients_csv(batches),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="list-{list_id}.csv"'},
    )


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
