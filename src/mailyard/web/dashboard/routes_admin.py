"""Administration (admins): users, their roles and passwords, access keys, the account's quota and time zone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse

from mailyard.domain import accounts
from mailyard.domain.sign_in import SignedIn
from mailyard.errors import ErrorCode, Forbidden
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/admin")
    async def admin_page(request: Request, session: SignedInDep) -> Response:
        return await _render(request, pages, _admin(session))

    @router.post("/admin/users")
    async def create_user(
        request: Request,
        session: ChangeDep,
        nickname: Annotated[str, Form(max_length=100)],
        role: Annotated[accounts.Role, Form()],
        password: Annotated[str, Form(max_length=1024)],
    ) -> Response:
        services = services_of(request)
        issued = await services.access.create_user(_admin(session).principal, nickname=nickname, role=role)
        await services.sign_in.reset_password(session.principal, issued.user.id, password)
        return await _render(request, pages, session, issued=issued)

    @router.post("/admin/users/{user_id}/password")
    async def reset_password(
        request: Request, session: ChangeDep, user_id: Id, password: Annotated[str, Form(max_length=1024)]
    ) -> Response:
        await services_of(request).sign_in.reset_password(_admin(session).principal, user_id, password)
        return await _render(request, pages, session, notice="password")

    @router.post("/admin/users/{user_id}/role")
    async def set_role(
        request: Request, session: ChangeDep, user_id: Id, role: Annotated[accounts.Role, Form()]
    ) -> Response:
        await services_of(request).access.set_role(_admin(session).principal, user_id, role)
        if user_id == session.principal.user_id and role is not accounts.Role.ADMIN:
            return RedirectResponse("/tasks", status_code=303)  # Administration is no longer theirs to see
        return await _render(request, pages, session, notice="role")

    @router.post("/admin/keys")
    async def create_key(request: Request, session: ChangeDep) -> Response:
        issued = await services_of(request).access.create_key(_admin(session).principal)
        return await _render(request, pages, session, issued=issued)

    @router.post("/admin/keys/{key_id}/revoke")
    async def revoke_key(request: Request, session: ChangeDep, key_id: Id) -> Response:
        await services_of(request).access.delete_key(_admin(session).principal, key_id)
        return RedirectResponse("/admin", status_code=303)

    @router.post("/admin/account")
    async def update_account(
        request: Request,
        session: ChangeDep,
        time_zone: Annotated[str, Form(max_length=64)],
        daily_quota: Annotated[str, Form(max_length=12)] = "",
    ) -> Response:
        quota = int(daily_quota) if daily_quota.strip().isdigit() else None
        await services_of(request).access.update_account(
            _admin(session).principal, time_zone=time_zone.strip(), daily_quota=quota
        )
        return await _render(request, pages, session, notice="account")


def _admin(session: SignedIn) -> SignedIn:
    if not session.principal.is_admin:
        raise Forbidden("only an admin of the account may do this", code=ErrorCode.ADMIN_REQUIRED)
    return session


async def _render(
    request: Request, pages: Pages, session: SignedIn, *, issued: Any = None, notice: str = ""
) -> Response:
    access, principal = services_of(request).access, session.principal
    users = await access.list_users(principal)
    context = {
        "users": users,
        "nicknames": {user.id: user.nickname for user in users},
        "keys": await access.list_keys(principal),
        "account": await access.account(principal),
        "issued": issued,
        "notice": notice,
        "roles": list(accounts.Role),
    }
    return pages.render(request, "admin.html", context, signed_in=session)
