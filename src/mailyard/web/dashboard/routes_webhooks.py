"""Webhooks: the account's endpoints (everyone sees them, as in the native API; admins add, delete and test
them), the secret shown once, and each endpoint's recent deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from mailyard.domain import paging, webhooks
from mailyard.domain.events import EventType
from mailyard.domain.sign_in import SignedIn
from mailyard.errors import ErrorCode, MailyardError, NotFound
from mailyard.services.webhooks import WebhookService
from mailyard.web.dashboard.labels import translatable
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

ATTEMPTS_PAGE_SIZE = 20
EndpointId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
EVENT_LABELS = {
    EventType.DELIVERED: translatable("Delivered"),
    EventType.DEFERRED: translatable("Deferred"),
    EventType.DROPPED: translatable("Dropped"),
    EventType.BOUNCE: translatable("Bounced"),
    EventType.OPEN: translatable("Opened"),
    EventType.CLICK: translatable("Clicked"),
    EventType.SPAMREPORT: translatable("Complained"),
    EventType.UNSUBSCRIBE: translatable("Unsubscribed"),
}
ATTEMPT_STATES = {
    webhooks.MessageState.PENDING: translatable("Waiting"),
    webhooks.MessageState.DONE: translatable("Done"),
    webhooks.MessageState.FAILED: translatable("Failed"),
}
# The service's reason is technical English; the person reads what the rule is in their own language first.
URL_REFUSED = translatable(
    "This URL cannot receive webhooks. Only http:// and https:// addresses on the public internet are accepted: "
    "internal addresses (this machine, private networks, link-local) are refused."
)


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/webhooks")
    async def webhooks_page(request: Request, session: SignedInDep) -> Response:
        return await _render_list(request, pages, session)

    @router.post("/webhooks")
    async def create_webhook(
        request: Request,
        session: ChangeDep,
        url: Annotated[str, Form(max_length=webhooks.MAX_URL_LENGTH)],
        events: Annotated[list[EventType], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
        custom: Annotated[str, Form(max_length=webhooks.MAX_CUSTOM_LENGTH)] = "",
        sender: Annotated[str, Form(max_length=254)] = "",
    ) -> Response:
        form = {"url": url.strip(), "events": set(events), "custom": custom, "sender": sender}
        try:
            created = await _service(request).create(
                session.principal,
                url=url.strip(),
                event_names=[event.value for event in events],
                custom=custom or None,
                sender=sender or None,
            )
        except MailyardError as error:
            if error.code is not ErrorCode.WEBHOOK_URL_REFUSED:
                raise
            problem = {"message": pages.gettext(request, URL_REFUSED), "detail": error.message}
            return await _render_list(request, pages, session, form=form, problem=problem, status_code=400)
        return await _render_list(request, pages, session, created=created)

    @router.get("/webhooks/{endpoint_id}")
    async def webhook_page(
        request: Request, session: SignedInDep, endpoint_id: EndpointId, page: PageNumber = 1
    ) -> Response:
        service, principal = _service(request), session.principal
        window = paging.Window(offset=(page - 1) * ATTEMPTS_PAGE_SIZE, limit=ATTEMPTS_PAGE_SIZE)
        attempts = await service.attempts(principal, endpoint_id, window)
        endpoint = next((item for item in await service.list(principal) if item.id == endpoint_id), None)
        if endpoint is None:  # deleted since its deliveries were read
            raise NotFound(f"webhook endpoint {endpoint_id} not found", code=ErrorCode.WEBHOOK_NOT_FOUND)
        context = {
            "endpoint": endpoint,
            "attempts": attempts,
            "number": page,
            "size": ATTEMPTS_PAGE_SIZE,
            "event_labels": EVENT_LABELS,
            "attempt_states": ATTEMPT_STATES,
            "tested": request.query_params.get("tested") == "1",
        }
        return pages.render(request, "webhook.html", context, signed_in=session)

    @router.post("/webhooks/{endpoint_id}/test")
    async def test_webhook(request: Request, session: ChangeDep, endpoint_id: EndpointId) -> Response:
        services = services_of(request)
        await _service(request).test(session.principal, endpoint_id, services.clock.now())
        return RedirectResponse(f"/webhooks/{endpoint_id}?tested=1", status_code=303)

    @router.post("/webhooks/{endpoint_id}/delete")
    async def delete_webhook(request: Request, session: ChangeDep, endpoint_id: EndpointId) -> Response:
        await _service(request).delete(session.principal, endpoint_id)
        return RedirectResponse("/webhooks", status_code=303)


def _service(request: Request) -> WebhookService:
    service = services_of(request).webhooks
    if service is None:
        raise NotFound("webhooks are not available on this server", code=ErrorCode.WEBHOOK_NOT_FOUND)
    return service


async def _render_list(
    request: Request,
    pages: Pages,
    session: SignedIn,
    *,
    created: webhooks.CreatedEndpoint | None = None,
    form: dict[str, Any] | None = None,
    problem: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    services, principal = services_of(request), session.principal
    service = services.webhooks
    context = {
        "available": service is not None,
        "endpoints": await service.list(principal) if service else [],
        "senders": await services.identities.list_senders(principal) if principal.is_admin else [],
        "created": created,
        "form": form or {"url": "", "events": set(EventType), "custom": "", "sender": ""},
        "problem": problem,
        "event_labels": EVENT_LABELS,
    }
    return pages.render(request, "webhooks.html", context, signed_in=session, status_code=status_code)
