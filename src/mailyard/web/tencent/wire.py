"""The request as it arrived on the wire, read once with a size cap.

Signature checks need the exact bytes the client sent (spec 1.7.2: the raw body and the raw
query string), so the door reads them into a frozen value before anything parses them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import ClientDisconnect, Request

from mailyard.web.doors import BodyTooLarge, read_body
from mailyard.web.tencent.errors import TencentError

_SINGLE_HEADERS = frozenset({"authorization", "content-type", "host"})
# The largest action takes 20,000 addresses with a variable each (``Datas.N.Email``, ``Datas.N.TemplateData``);
# the count is checked before any pair is decoded.
MAX_FIELDS = 50_000


@dataclass(frozen=True)
class WireRequest:
    """Method, path, raw query, headers (lower-case names, Latin-1 values) and body bytes."""

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def host(self) -> str:
        return self.header("host") or ""

    @property
    def is_tc3(self) -> bool:
        """TC3 requests carry X-TC-Action and Authorization; legacy v1 ones carry neither (1.7.4)."""
        return "x-tc-action" in self.headers or "authorization" in self.headers

    def form_pairs(self) -> list[tuple[str, str]]:
        """Decoded key/value pairs of a GET query or a form POST body (1.7.3, 1.7.4), decoded once."""
        return self._decoded_pairs

    def picked_pairs(self, names: frozenset[str]) -> list[tuple[str, str]]:
        """The form pairs named in ``names``, found without decoding the others: the legacy v1 credential is read
        before anyone is authenticated, when a large body should cost no more than a scan."""
        return pick_pairs(self._form_text, names)

    @property
    def _form_text(self) -> str:
        return self.raw_query if self.method == "GET" else self.body.decode("latin-1")

    @cached_property
    def _decoded_pairs(self) -> list[tuple[str, str]]:
        return decode_pairs(self._form_text)


def decode_pairs(text: str) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` decoding as Python's ``urlencode`` produced it.

    The SDK percent-encodes everything (1.7.3), so raw non-ASCII or bad UTF-8 escapes are refused
    rather than guessed at.
    """
    _check_encoding(text)
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise _not_url_encoding() from None


def pick_pairs(text: str, names: frozenset[str]) -> list[tuple[str, str]]:
    """The pairs of ``text`` whose decoded name is in ``names``, as ``decode_pairs`` would decode them."""
    _check_encoding(text)
    picked: list[tuple[str, str]] = []
    try:
        for item in text.split("&"):
            raw_name, _, raw_value = item.partition("=")
            name = unquote_plus(raw_name, errors="strict") if "%" in raw_name or "+" in raw_name else raw_name
            if name in names:
                picked.append((name, unquote_plus(raw_value, errors="strict")))
    except UnicodeDecodeError:
        raise _not_url_encoding() from None
    return picked


def _check_encoding(text: str) -> None:
    if not text.isascii():
        raise _not_url_encoding()
    if text.count("&") >= MAX_FIELDS:
        raise TencentError("InvalidParameter", f"A request holds at most {MAX_FIELDS} parameters.")


def _not_url_encoding() -> TencentError:
    return TencentError("InvalidParameter", "The parameters are not valid URL encoding.")


async def read_wire_request(request: Request, max_body_bytes: int) -> WireRequest:
    """Snapshot ``request``; a body over ``max_body_bytes`` is ``RequestSizeLimitExceeded`` (1.6.2)."""
    try:
        body = await read_body(request, max_body_bytes)
    except BodyTooLarge as error:
        raise TencentError("RequestSizeLimitExceeded", str(error.detail)) from None
    except ClientDisconnect:
        raise TencentError("InvalidRequest", "The client closed the connection mid-request.") from None
    # The raw scope rather than request.url, which decodes the query as strict UTF-8 and can raise.
    return WireRequest(
        method=request.method,
        path=request.scope.get("path") or "/",
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=_decode_headers(request.scope["headers"]),
        body=body,
    )


def _decode_headers(raw_headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    # Latin-1, as HTTP/1.1 and the SDK's requests stack use. A repeated signed or X-TC-* header is
    # refused: which copy the client signed cannot be known.
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").lower()
        if name not in headers:
            headers[name] = raw_value.decode("latin-1")
        elif name in _SINGLE_HEADERS or name.startswith("x-tc-"):
            raise TencentError("InvalidParameter", f"The header {name} is repeated.")
    return headers
