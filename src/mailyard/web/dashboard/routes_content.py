"""Templates: browse, create and edit, with a live preview for one recipient of a list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from mailyard.domain import accounts, paging, templates
from mailyard.services.container import Services
from mailyard.services.recipients import RecipientFilter
from mailyard.web.dashboard import labels
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

PAGE_SIZE = 50
LISTS_OFFERED = 200
TemplateId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


class TemplateForm(BaseModel):
    name: str = Field(max_length=templates.MAX_NAME_LENGTH)
    subject: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=templates.MAX_CONTENT_BYTES)
    html: str = Field(default="", max_length=templates.MAX_CONTENT_BYTES)


class PreviewRequest(BaseModel):
    subject: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=templates.MAX_CONTENT_BYTES)
    html: str = Field(default="", max_length=templates.MAX_CONTENT_BYTES)
    recipient_list: int | None = Field(default=None, ge=1, le=2**63 - 1)
    recipient: str = Field(default="", max_length=254)


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/templates")
    async def templates_page(request: Request, session: SignedInDep, page: PageNumber = 1) -> Response:
        window = paging.Window(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        found = await services_of(request).templates.list(session.principal, window)
        context = {"page": found, "number": page, "size": PAGE_SIZE, "labels": labels}
        return pages.render(request, "templates.html", context, signed_in=session)

    @router.get("/templates/new")
    async def new_template(request: Request, session: SignedInDep) -> Response:
        lists = await _lists(services_of(request), session.principal)
        context = {"template": None, "lists": lists, "labels": labels}
        return pages.render(request, "template.html", context, signed_in=session)

    @router.post("/templates")
    async def create_template(request: Request, session: ChangeDep, form: Annotated[TemplateForm, Form()]) -> Response:
        created = await services_of(request).templates.create(
            session.principal,
            name=form.name,
            subject=form.subject or None,
            text=form.text or None,
            html=form.html or None,
        )
        return RedirectResponse(f"/templates/{created.id}", status_code=303)

    @router.get("/templates/{template_id}")
    async def template_page(request: Request, session: SignedInDep, template_id: TemplateId) -> Response:
        services = services_of(request)
        found = await services.templates.get(session.principal, template_id)
        context = {"template": found, "lists": await _lists(services, session.principal), "labels": labels}
        return pages.render(request, "template.html", context, signed_in=session)

    @router.post("/templates/{template_id}")
    async def update_template(
        request: Request, session: ChangeDep, template_id: TemplateId, form: Annotated[TemplateForm, Form()]
    ) -> Response:
        await services_of(request).templates.update(
            session.principal,
            template_id,
            name=form.name,
            subject=form.subject or None,
            text=form.text or None,
            html=form.html or None,
        )
        return RedirectResponse(f"/templates/{template_id}", status_code=303)

    @router.post("/templates/{template_id}/review")
    async def review_template(
        request: Request,
        session: ChangeDep,
        template_id: TemplateId,
        decision: Annotated[Literal["approve", "reject"], Form()],
    ) -> Response:
        """An admin's decision on a template waiting for review (MAILYARD_TEMPLATE_REVIEW=on)."""
        service = services_of(request).templates
        if decision == "approve":
            await service.approve(session.principal, template_id)
        else:
            await service.reject(session.principal, template_id)
        return RedirectResponse(f"/templates/{template_id}", status_code=303)

    @router.post("/templates/{template_id}/delete")
    async def delete_template(request: Request, session: ChangeDep, template_id: TemplateId) -> Response:
        await services_of(request).templates.delete(session.principal, template_id)
        return RedirectResponse("/templates", status_code=303)

    @router.post("/preview")
    async def preview(request: Request, session: ChangeDep, body: PreviewRequest) -> Response:
        """The editor's content rendered with the chosen recipient's variables (a script asks as you type)."""
        services = services_of(request)
        variables = await _recipient_variables(services, session.principal, body.recipient_list, body.recipient)
        rendered = services.templates.preview_content(
            subject=body.subject or None, text=body.text or None, html=body.html or None, variables=variables or {}
        )
        return JSONResponse(
            {
                "subject": rendered.subject,
                "text": rendered.text,
                "html": rendered.html,
                "missing": rendered.missing,
                "recipient_found": variables is not None,
            }
        )


async def _lists(services: Services, principal: accounts.Principal) -> list[Any]:
    return (await services.recipients.list_lists(principal, paging.Window(limit=LISTS_OFFERED))).items


async def _recipient_variables(
    services: Services, principal: accounts.Principal, list_id: int | None, address: str
) -> dict[str, Any] | None:
    """The variables of `address` in the list; None when it is not in it."""
    wanted = address.strip().lower()
    if list_id is None or not wanted:
        return None
    _found, page = await services.recipients.list_recipients(
        principal, list_id, paging.Window(limit=20), RecipientFilter(address_contains=wanted)
    )
    for recipient in page.items:
        if recipient.address.lower() == wanted:
            return dict(recipient.variables or {})
    return None
