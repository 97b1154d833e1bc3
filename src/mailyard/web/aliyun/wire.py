"""A received request, decoded once, as the signature check and the parameter reader both need it.

Pure: `WireRequest.decode` takes the raw pieces an ASGI server hands over (method, path, query bytes, header
pairs, body) and decodes them strictly, so that two different wire forms never silently become one value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from mailyard.web.aliyun.errors import invalid_parameter

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# Far above any Quick BI action (the largest mail action has 4 params); bounds the work per request.
MAX_FIELDS = 1000

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WireRequest:
    """The request as received.

    `query` and `form` hold decoded (`+` → space, `%XX` → UTF-8) name/value pairs in arrival order; `form` is
    filled only for an `application/x-www-form-urlencoded` body. Header names are lower-cased, values are as
    received.
    """

    method: str
    path: str
    query: Pairs
    form: Pairs
    headers: Pairs
    body: bytes

    @classmethod
    def decode(
        cls,
        method: str,
        path: str,
        raw_query: bytes,
        raw_headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
    ) -> WireRequest:
        # Header bytes are latin-1, as in HTTP/1.1 and starlette; the SDK signs the same characters (2.4.2).
        headers = tuple((name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw_headers)
        form: Pairs = ()
        content_type = _first(headers, "content-type")
        if content_type is not None and _media_type(content_type) == FORM_MEDIA_TYPE:
            form = decode_pairs(body, "the form body")
        return cls(method.upper(), path or "/", decode_pairs(raw_query, "the query string"), form, headers, body)

    def header_values(self, name: str) -> list[str]:
        """Every value received for header `name` (lower-case)."""
        return [value for key, value in self.headers if key == name]

    def header(self, name: str) -> str | None:
        """The single value of header `name`; a repeated header is refused rather than guessed at."""
        values = self.header_values(name)
        if len(values) > 1:
            raise invalid_parameter(f"the header {name} is repeated.")
        return values[0] if values else None

    def is_header_signed(self) -> bool:
        """True for signature V3 (an `Authorization` header), false for the legacy RPC `Signature` param."""
        return any(key == "authorization" for key, _ in self.headers)


def decode_pairs(raw: bytes, where: str) -> Pairs:
    """Decode `a=1&b=x+y` into pairs; refuse non-ASCII bytes and invalid UTF-8 escapes (400)."""
    try:
        text = raw.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise invalid_parameter(f"{where} is not valid URL encoding.") from error
    return tuple(pairs)


def _first(headers: Pairs, name: str) -> str | None:
    return next((value for key, value in headers if key == name), None)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()
