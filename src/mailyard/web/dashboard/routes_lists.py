"""Recipient lists: browse and create them; on a list's page upload a CSV, search recipients, delete."""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from mailyard.domain import paging, recipient_csv
from mailyard.domain.sign_in import SignedIn
from mailyard.services.recipients import RecipientFilter
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

PAGE_SIZE = 50
ListId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
Search = Annotated[str | None, Query(max_length=254)]


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/lists")
    async def lists_page(request: Request, session: SignedInDep, q: Search = None, page: PageNumber = 1) -> Response:
        window = paging.Window(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        found = await services_of(request).recipients.list_lists(session.principal, window, keyword=q or None)
        context = {"page": found, "q": q or "", "number": page, "size": PAGE_SIZE}
        return pages.render(request, "lists.html", context, signed_in=session)

    @router.post("/lists")
    async def create_list(
        request: Request,
        session: ChangeDep,
        name: Annotated[str, Form(max_length=200)],
        description: Annotated[str, Form(max_length=300)] = "",
    ) -> Response:
        created = await services_of(request).recipients.create_list(
            session.principal, name=name, description=description
        )
        return RedirectResponse(f"/lists/{created.id}", status_code=303)

    @router.get("/lists/{list_id}")
    async def list_page(
        request: Request, session: SignedInDep, list_id: ListId, q: Search = None, page: PageNumber = 1
    ) -> Response:
        return await _render_list(request, pages, session, list_id, q=q, page=page)

    @router.post("/lists/{list_id}/upload")
    async def upload(request: Request, session: ChangeDep, list_id: ListId, file: UploadFile) -> Response:
        """A CSV of any size (the browser's upload is spooled to disk), imported all or nothing."""
        lines = io.TextIOWrapper(file.file, encoding="utf-8", newline="")
        rows = recipient_csv.read_recipient_rows(lines)
        imported = await services_of(request).recipients.import_recipients(session.principal, list_id, rows)
        report = {
            "total": imported.total,
            "valid": imported.valid,
            "invalid_rows": [asdict(row) for row in imported.invalid_rows],
        }
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(report)
        return await _render_list(request, pages, session, list_id, report=report)

    @router.post("/lists/{list_id}/delete")
    async def delete_list(request: Request, session: ChangeDep, list_id: ListId) -> Response:
        await services_of(request).recipients.delete_list(session.principal, list_id)
        return RedirectResponse("/lists", status_code=303)


async def _render_list(
    request: Request,
    pages: Pages,
    session: SignedIn,
    list_id: int,
    *,
    q: str | None = None,
    page: int = 1,
    report: dict[str, Any] | None = None,
) -> Response:
    window = paging.Window(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    found, members = await services_of(request).recipients.list_recipients(
        session.principal, list_id, window, RecipientFilter(address_contains=q or None)
    )
    context = {"list": found, "members": members, "q": q or "", "number": page, "size": PAGE_SIZE, "report": report}
    return pages.render(request, "list.html", context, signed_in=session)
