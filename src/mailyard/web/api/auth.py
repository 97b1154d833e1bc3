"""HTTP Basic authentication with an access key: SecretId as user name, SecretKey as password."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from mailyard.domain.accounts import Principal
from mailyard.errors import AuthenticationFailed
from mailyard.services.container import Services

basic = HTTPBasic(auto_error=False, description="SecretId as user name, SecretKey as password")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def current_principal(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]
) -> Principal:
    if credentials is None:
        raise AuthenticationFailed("authentication required: HTTP Basic with an access key")
    return await services_of(request).access.authenticate(credentials.username, credentials.password)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
ServicesDep = Annotated[Services, Depends(services_of)]
