"""Recipient lists: browse and create them; on a list's page upload a CSV, search recipients, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from mailyard.domain import paging, recipient_csv, recipients
from mailyard.errors import ErrorCode, InvalidInput, LimitExceeded
from mailyard.services.recipients import RecipientFilter
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
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
        content = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise LimitExceeded("the file is larger than 16 MB", code=ErrorCode.UPLOAD_TOO_LARGE)
        rows = list(recipient_csv.read_numbered_recipients_csv(_decoded(content)))
        summary = await services_of(request).recipients.add_recipients(
            session.principal, list_id, [(address, variables) for _line, address, variables in rows]
        )
        report = _report(rows, summary)
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
    session: Any,
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


def _decoded(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB 18030, which spreadsheets in China save CSV files in."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor GB 18030 text", field="file")


def _report(rows: list[tuple[int, str, Any]], summary: recipients.UploadReport) -> dict[str, Any]:
    """The upload's totals and each invalid row with its line, address and reason."""
    invalid = []
    for line, address, _variables in rows:
        problem = recipients.address_problem(address.strip())
        if problem is not None:
            invalid.append({"line": line, "address": address, "reason": problem})
    return {"total": summary.total, "valid": summary.valid, "repeated": summary.repeated, "invalid_rows": invalid}
