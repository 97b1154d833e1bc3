"""HTTP Basic authentication with an access key: SecretId as user name, SecretKey as password.

The check itself runs in `gate.ApiGate` before the body is read; routes take the principal it found."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.api.gate import authenticated

basic = HTTPBasic(auto_error=False, description="SecretId as user name, SecretKey as password")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def current_principal(
    request: Request, _credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]
) -> Principal:
    """The gate's principal; the HTTPBasic dependency is there for the OpenAPI schema's security scheme."""
    return authenticated(request)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
ServicesDep = Annotated[Services, Depends(services_of)]
