"""Sending domains and sender addresses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from mailyard.web.api import mapping, schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep

router = APIRouter()
DomainName = Annotated[str, Path(min_length=1, max_length=253)]
Address = Annotated[str, Path(min_length=3, max_length=254)]


@router.post("/domains", status_code=status.HTTP_201_CREATED, tags=["sending domains"])
async def create_domain(
    body: schemas.DomainIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.DomainOut:
    return mapping.domain_out(await services.identities.create_domain(principal, body.domain))


@router.get("/domains", tags=["sending domains"])
async def list_domains(principal: CurrentPrincipal, services: ServicesDep) -> list[schemas.DomainOut]:
    return [mapping.domain_out(domain) for domain in await services.identities.list_domains(principal)]


@router.get("/domains/{domain}", tags=["sending domains"])
async def get_domain(domain: DomainName, principal: CurrentPrincipal, services: ServicesDep) -> schemas.DomainOut:
    return mapping.domain_out(await services.identities.get_domain(principal, domain))


@router.post("/domains/{domain}/verify", tags=["sending domains"])
async def verify_domain(domain: DomainName, principal: CurrentPrincipal, services: ServicesDep) -> schemas.DomainOut:
    verified, records = await services.identities.verify_domain(principal, domain)
    return mapping.domain_out(verified, records)


@router.delete("/domains/{domain}", status_code=status.HTTP_204_NO_CONTENT, tags=["sending domains"])
async def delete_domain(domain: DomainName, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await services.identities.delete_domain(principal, domain)


@router.post("/senders", status_code=status.HTTP_201_CREATED, tags=["sender addresses"])
async def create_sender(
    body: schemas.SenderIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.SenderOut:
    sender = await services.identities.create_sender(principal, address=body.address, display_name=body.display_name)
    return mapping.sender_out(sender)


@router.get("/senders", tags=["sender addresses"])
async def list_senders(principal: CurrentPrincipal, services: ServicesDep) -> list[schemas.SenderOut]:
    return [mapping.sender_out(sender) for sender in await services.identities.list_senders(principal)]


@router.delete("/senders/{address}", status_code=status.HTTP_204_NO_CONTENT, tags=["sender addresses"])
async def delete_sender(address: Address, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await services.identities.delete_sender(principal, address)


@router.put("/senders/{address}/smtp-password", status_code=status.HTTP_204_NO_CONTENT, tags=["sender addresses"])
async def set_smtp_password(
    address: Address, body: schemas.SmtpPasswordIn, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    """Set the password the address signs in to SMTP submission with (`AUTH PLAIN`/`LOGIN`)."""
    await services.identities.set_smtp_password(principal, address, body.password)
