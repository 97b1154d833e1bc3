"""The caller, users and access keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from mailyard.domain import accounts, identifiers
from mailyard.web.api import mapping, schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep

router = APIRouter()
PositiveId = Annotated[int, Path(ge=1, le=identifiers.MAX_ID)]


@router.get("/me", tags=["access"])
async def me(principal: CurrentPrincipal) -> schemas.MeOut:
    return schemas.MeOut(
        account=principal.account_name,
        user_id=principal.user_id,
        nickname=principal.nickname,
        role=principal.role.value,
        time_zone=principal.time_zone,
    )


@router.get("/users", tags=["access"])
async def list_users(principal: CurrentPrincipal, services: ServicesDep) -> list[schemas.UserOut]:
    return [mapping.user_out(user) for user in await services.access.list_users(principal)]


@router.post("/users", status_code=status.HTTP_201_CREATED, tags=["access"])
async def create_user(body: schemas.UserIn, principal: CurrentPrincipal, services: ServicesDep) -> schemas.IssuedKeyOut:
    issued = await services.access.create_user(principal, nickname=body.nickname, role=accounts.Role(body.role))
    return mapping.issued_key_out(issued)


@router.put("/users/{user_id}/role", tags=["access"])
async def set_role(
    user_id: PositiveId, body: schemas.RoleIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.UserOut:
    """Make a user of the account admin or member (admins only); the account keeps at least one admin."""
    return mapping.user_out(await services.access.set_role(principal, user_id, accounts.Role(body.role)))


@router.put("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT, tags=["access"])
async def set_password(
    user_id: PositiveId, body: schemas.PasswordIn, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    """Set the password a user signs in to the dashboard with (admins: anyone of the account; others: their own)."""
    await services.sign_in.reset_password(principal, user_id, body.password)


@router.get("/keys", tags=["access"])
async def list_keys(principal: CurrentPrincipal, services: ServicesDep) -> list[schemas.KeyOut]:
    return [
        schemas.KeyOut(id=key.id, user_id=key.user_id, secret_id=key.secret_id, created_at=key.created_at)
        for key in await services.access.list_keys(principal)
    ]


@router.post("/keys", status_code=status.HTTP_201_CREATED, tags=["access"])
async def create_key(body: schemas.KeyIn, principal: CurrentPrincipal, services: ServicesDep) -> schemas.IssuedKeyOut:
    return mapping.issued_key_out(await services.access.create_key(principal, user_id=body.user_id))


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["access"])
async def delete_key(key_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await services.access.delete_key(principal, key_id)
