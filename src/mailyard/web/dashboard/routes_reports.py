"""Statistics (charts per day over a date range) and suppressions (browse, search, add, remove)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from mailyard.domain import paging
from mailyard.domain.suppressions import local_day
from mailyard.web.dashboard import charts
from mailyard.web.dashboard.labels import translatable
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

DEFAULT_DAYS = 14
PAGE_SIZE = 50
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
Search = Annotated[str | None, Query(max_length=254)]
SERIES = (
    ("requested", translatable("Requested"), "requested"),
    ("delivered", translatable("Delivered"), "delivered"),
    ("bounced", translatable("Bounced"), "bounced"),
    ("opened", translatable("Opened"), "opened"),
    ("clicked", translatable("Clicked"), "clicked"),
)


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/statistics")
    async def statistics(
        request: Request, session: SignedInDep, start: date | None = None, end: date | None = None
    ) -> Response:
        services, principal = services_of(request), session.principal
        last = end or local_day(services.clock.now(), principal.time_zone)
        first = start or last - timedelta(days=DEFAULT_DAYS - 1)
        report = await services.statistics.report(principal, first, last)
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
        by_day = {volume.day: volume for volume in report.daily}
        series = [
            charts.Series(pages.gettext(request, label), css, [getattr(by_day.get(day), field, 0) for day in days])
            for field, label, css in SERIES
        ]
        chart = Markup(charts.daily_bars(days, series, title=pages.gettext(request, "Messages per day")))
        context = {"report": report, "chart": chart, "first": first, "last": last, "series": SERIES}
        return pages.render(request, "statistics.html", context, signed_in=session)

    @router.get("/suppressions")
    async def suppressions(
        request: Request,
        session: SignedInDep,
        reason: Literal["custom", "hard_bounce"] = "custom",
        q: Search = None,
        page: PageNumber = 1,
    ) -> Response:
        services, principal = services_of(request), session.principal
        service = services.suppressions
        window = paging.Window(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        if reason == "custom":
            found = await service.list_custom(principal, window, address_contains=q or None)
        else:
            today = local_day(services.clock.now(), principal.time_zone)
            found = await service.list_hard_bounces(
                principal, window, first_day=today - timedelta(days=365), last_day=today, address_contains=q or None
            )
        context = {"page": found, "reason": reason, "q": q or "", "number": page, "size": PAGE_SIZE}
        return pages.render(request, "suppressions.html", context, signed_in=session)

    @router.post("/suppressions")
    async def add_suppressions(
        request: Request,
        session: ChangeDep,
        addresses: Annotated[str, Form(max_length=100_000)],
        expires_on: Annotated[date | None, Form()] = None,
    ) -> Response:
        entries = [line.strip() for line in addresses.replace(",", "\n").splitlines() if line.strip()]
        await services_of(request).suppressions.add_custom(session.principal, entries, expires_on=expires_on)
        return RedirectResponse("/suppressions", status_code=303)

    @router.post("/suppressions/remove")
    async def remove_suppression(
        request: Request,
        session: ChangeDep,
        address: Annotated[str, Form(max_length=254)],
        reason: Annotated[Literal["custom", "hard_bounce"], Form()],
    ) -> Response:
        service = services_of(request).suppressions
        if reason == "custom":
            await service.remove_custom(session.principal, [address])
        else:
            await service.remove_hard_bounces(session.principal, [address])
        return RedirectResponse(f"/suppressions?reason={reason}", status_code=303)
