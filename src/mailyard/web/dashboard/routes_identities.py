"""Domains and senders: the DNS records to publish with their state, "check now", sender SMTP passwords."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse

from mailyard.domain.sign_in import SignedIn
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

DomainName = Annotated[str, Path(min_length=1, max_length=253)]


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/domains")
    async def domains_page(request: Request, session: SignedInDep) -> Response:
        return await _render(request, pages, session)

    @router.post("/domains")
    async def create_domain(
        request: Request, session: ChangeDep, domain: Annotated[str, Form(max_length=253)]
    ) -> Response:
        await services_of(request).identities.create_domain(session.principal, domain)
        return RedirectResponse("/domains", status_code=303)

    @router.post("/domains/{domain}/check")
    async def check_domain(request: Request, session: ChangeDep, domain: DomainName) -> Response:
        found, records = await services_of(request).identities.verify_domain(session.principal, domain)
        return await _render(request, pages, session, checked={found.domain: records})

    @router.post("/senders")
    async def create_sender(
        request: Request,
        session: ChangeDep,
        address: Annotated[str, Form(max_length=254)],
        display_name: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        await services_of(request).identities.create_sender(
            session.principal, address=address, display_name=display_name
        )
        return RedirectResponse("/domains", status_code=303)

    @router.post("/senders/{address}/password")
    async def set_sender_password(
        request: Request,
        session: ChangeDep,
        address: Annotated[str, Path(max_length=254)],
        password: Annotated[str, Form(min_length=8, max_length=1024)],
    ) -> Response:
        await services_of(request).identities.set_smtp_password(session.principal, address, password)
        return RedirectResponse("/domains?saved=" + address, status_code=303)


async def _render(
    request: Request, pages: Pages, session: SignedIn, *, checked: dict[str, Any] | None = None
) -> Response:
    services, principal = services_of(request), session.principal
    domains = await services.identities.list_domains(principal)
    senders = await services.identities.list_senders(principal)
    context = {
        "domains": domains,
        "senders": senders,
        "checked": checked or {},
        "saved": request.query_params.get("saved", ""),
    }
    return pages.render(request, "domains.html", context, signed_in=session)
