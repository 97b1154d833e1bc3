"""Relay configuration parsed from URLs.

A relay is written as ``smtp://user:pass@host:587?starttls=1&connections=16&rate=200`` (plain SMTP, optionally
upgraded with STARTTLS, RFC 3207) or ``smtps://user:pass@host:465`` (TLS from the first byte, RFC 8314).
Several relays are separated by commas; a comma inside a user name or password must be written ``%2C``.

Query parameters:

- ``starttls`` (0/1): require STARTTLS before anything else; smtp:// only.
- ``connections``: persistent connections kept to the relay (default 4).
- ``rate``: messages per second (default unlimited).
- ``timeout``: seconds to wait for any connect, handshake or reply (default 30).
- ``idle_timeout``: seconds an unused connection stays open (default 30).
- ``daily_quota``: messages the relay accepts per day (default unlimited), counted over every worker.
- ``time_zone``: the IANA zone whose midnight starts the relay's quota day (default UTC).
- ``helo``: the name sent in EHLO/HELO (default: the address literal of the local socket).
- ``verify`` (0/1): verify the relay's TLS certificate (default 1; 0 only for self-signed test relays).
- ``name``: the relay's name in limits and logs (default ``host:port`` or ``user@host:port``).

The password never appears in ``repr``, ``str`` or error messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MASK = "***"


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """One SMTP relay: where it is, how to log in, and how hard to use it."""

    host: str
    port: int
    name: str
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    connections: int = 4
    rate: float | None = None
    timeout: float = 30.0
    idle_timeout: float = 30.0
    daily_quota: int | None = None
    time_zone: str = "UTC"
    helo: str | None = None
    verify: bool = True

    def __post_init__(self) -> None:
        if self.implicit_tls and self.starttls:
            raise ValueError(f"relay {self.name}: starttls=1 makes no sense with smtps:// (already TLS)")
        if self.password is not None and self.username is None:
            raise ValueError(f"relay {self.name}: a password needs a user name")

    @property
    def uses_tls(self) -> bool:
        """True when the session is encrypted (implicit TLS or STARTTLS)."""
        return self.implicit_tls or self.starttls

    @property
    def redacted_url(self) -> str:
        """The relay as a URL with the password masked, safe for logs."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = ""
        if self.username is not None:
            user = quote(self.username, safe="") + (f":{_MASK}" if self.password is not None else "") + "@"
        return f"{scheme}://{user}{_bracketed(self.host)}:{self.port}"

    def __repr__(self) -> str:
        return f"RelayConfig({self.redacted_url!r}, name={self.name!r})"

    def __str__(self) -> str:
        return self.redacted_url


def parse_relays(text: str) -> list[RelayConfig]:
    """Parse a comma-separated list of relay URLs; empty entries are ignored.

    Raises ValueError naming the bad entry (password masked) and why, including duplicate relay names.
    """
    relays = [parse_relay(part.strip()) for part in text.split(",") if part.strip()]
    seen: set[str] = set()
    for relay in relays:
        if relay.name in seen:
            raise ValueError(f"two relays are named {relay.name!r}; give one of them ?name=...")
        seen.add(relay.name)
    return relays


def parse_relay(url: str) -> RelayConfig:
    """Parse one relay URL such as ``smtp://user:pass@host:587?starttls=1``."""
    shown = _redact(url)
    try:
        return _parse(url)
    except ValueError as error:
        raise ValueError(f"bad relay URL {shown}: {error}") from None


def _parse(url: str) -> RelayConfig:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("the scheme must be smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("a relay URL has no path or fragment")
    port = _port(parts.netloc.rpartition("@")[2], scheme)
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    options = _options(parts.query)
    address = f"{_bracketed(parts.hostname)}:{port}"
    default_name = f"{username}@{address}" if username else address
    return RelayConfig(
        host=parts.hostname,
        port=port,
        name=options.pop("name", default_name),
        implicit_tls=scheme == "smtps",
        username=username or None,
        password=password,
        **options,
    )


def _options(query: str) -> dict[str, Any]:
    """Convert the query string into RelayConfig keyword arguments; unknown names are errors (typos)."""
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if key not in _QUERY_FIELDS:
            raise ValueError(f"unknown parameter {key!r} (known: {', '.join(sorted(_QUERY_FIELDS))})")
        field_name, convert = _QUERY_FIELDS[key]
        try:
            options[field_name] = convert(value)
        except ValueError as error:
            raise ValueError(f"{key}={value!r}: {error}") from None
    return options


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected 0 or 1")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError("must be a positive number")
    return number


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError("not a known IANA time zone such as Asia/Shanghai") from None
    return value


def _text(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise ValueError("must be non-empty without spaces")
    return value


# Query parameter name -> (RelayConfig field, converter).
_QUERY_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "starttls": ("starttls", _flag),
    "connections": ("connections", _positive_int),
    "rate": ("rate", _positive_float),
    "timeout": ("timeout", _positive_float),
    "idle_timeout": ("idle_timeout", _positive_float),
    "daily_quota": ("daily_quota", _positive_int),
    "time_zone": ("time_zone", _time_zone),
    "helo": ("helo", _text),
    "verify": ("verify", _flag),
    "name": ("name", _text),
}


def _bracketed(host: str) -> str:
    """IPv6 literals need brackets next to a port (RFC 3986 3.2.2)."""
    return f"[{host}]" if ":" in host else host


def _port(host_and_port: str, scheme: str) -> int:
    """The port after the host (IPv6 literals are bracketed), or the scheme's default."""
    _, colon, text = host_and_port.rpartition(":")
    if not colon or text.endswith("]"):
        return _DEFAULT_PORTS[scheme]
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    return int(text)


def _redact(url: str) -> str:
    """The URL quoted with everything between the user name and the last "@" masked, for error messages.

    Deliberately cruder than URL parsing: a password with an unencoded "/", "?" or "#" confuses the parser,
    and the message about that mistake must not show the password either.
    """
    scheme, separator, rest = url.partition("://")
    if "@" not in rest:
        return repr(url)
    userinfo, _, tail = rest.rpartition("@")
    if ":" not in userinfo:
        return repr(url)
    user = userinfo.split(":", 1)[0]
    return repr(f"{scheme}{separator}{user}:{_MASK}@{tail}")
