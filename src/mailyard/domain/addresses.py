"""Email addresses: the one rule for what Mailyard accepts, the form it keeps, and the form it sends.

Internationalized addresses are accepted (RFC 6531, RFC 6532): a domain in Unicode or as A-labels
(`yu@例え.jp`, `a@example.xn--p1ai`) and a UTF-8 local part (`用户@example.com`). The syntax is checked by the
email-validator library, without DNS lookups: quoted local parts, IP literals and special-use domains (`.test`,
`.invalid`, `localhost`, ...) are refused, and so is any control character, a trailing newline included.
"""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from mailyard.errors import ErrorCode, InvalidInput

MAX_LENGTH = 254  #: RFC 5321 4.5.3.1.3: a path of 256 octets, less the angle brackets
MAX_LOCAL_OCTETS = 64  #: RFC 5321 4.5.3.1.1
# Addresses recently found valid, and their canonical form. A check by email-validator takes about 19 µs, a
# tenth of the CPU an SMTP submission costs, and the same addresses come back message after message; the
# check is pure (no DNS), so its answer never changes. A refused address raises and is not kept.
_REMEMBERED = 16_384


class AddressProblem(ValueError):
    """Why a text is not an address Mailyard sends to."""


@lru_cache(maxsize=_REMEMBERED)
def canonical(address: str) -> str:
    """The address as Mailyard keeps and compares it: Unicode NFC, the domain in Unicode form, lower case, so
    `A@EXAMPLE.xn--p1ai` and `a@example.рф` are one address. Raises AddressProblem."""
    local, at, domain = address.rpartition("@")
    if not address:
        raise AddressProblem("empty address")
    if not at or not local or not domain:
        raise AddressProblem("address has no @")
    if len(address) > MAX_LENGTH:
        raise AddressProblem(f"address longer than {MAX_LENGTH} characters")
    try:
        local_octets = len(local.encode())
    except UnicodeEncodeError as error:  # undecodable bytes an SMTP session kept as surrogates
        raise AddressProblem("address is not valid UTF-8") from error
    if local_octets > MAX_LOCAL_OCTETS:  # email-validator leaves this RFC 5321 limit to the caller
        raise AddressProblem(f"local part longer than {MAX_LOCAL_OCTETS} octets")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise AddressProblem(str(error)) from error
    return checked.normalized.lower()


def problem(address: str) -> str | None:
    """Why `address` is not an address Mailyard sends to, or None when it is one."""
    try:
        canonical(address)
    except AddressProblem as found:
        return str(found)
    return None


def normalized(address: str, *, field: str = "address") -> str:
    """`canonical` of the address with surrounding space removed; InvalidInput when it is not one."""
    try:
        return canonical(address.strip())
    except AddressProblem as found:
        message = f"not a valid email address: {address[:100]!r} ({found})"
        raise InvalidInput(message, field=field, code=ErrorCode.ADDRESS_INVALID) from found


def for_sending(address: str) -> str:
    """The form that goes on the wire: the domain as A-labels, which every relay and receiver understands.
    A UTF-8 local part stays as it is and needs a relay that offers SMTPUTF8 (see `needs_smtputf8`)."""
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    return f"{local}@{validate_email(address, check_deliverability=False).ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """True when the address cannot be sent without SMTPUTF8 (RFC 6531): something in it is not ASCII."""
    return not address.isascii()
