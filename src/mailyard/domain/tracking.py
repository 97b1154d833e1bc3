"""Open and click tracking: how a message's HTML is rewritten once per run, the tokens in its links, and how a
machine's hit is told from a person's.

A run's HTML is rewritten once: every tracked `http(s)` link becomes `{{__mailyard_track}}/c/<link token>` and an
open pixel `{{__mailyard_track}}/o.gif` is added. A copy only fills in `__mailyard_track`, its own base URL
`<public URL>/t/<copy token>`, like any other variable. So a copy costs one MAC, not a pass over its HTML.

- The copy token names the delivery and its run under a MAC: nothing in it is guessable or enumerable, and it
  holds no address.
- The link token carries the link's URL under a MAC over (run, URL): the click endpoint redirects only to a
  URL that was in that run's message (never an open redirect), with no database read.
- Links whose URL holds a `{{placeholder}}` differ per recipient and are left as they are, untracked, as are
  `mailto:`, `tel:`, in-page anchors and the unsubscribe link.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

TRACK_VARIABLE = "__mailyard_track"
_TRACK_PLACEHOLDER = "{{" + TRACK_VARIABLE + "}}"
_MAC_BYTES = 9  # 72 bits: forging one token takes ~2^72 tries, against an endpoint that answers 404
_LINK = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"'<>\s]+)\2""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
MAX_TRACKED_URL = 2000

Signer = Callable[[bytes], bytes]
#: (message, MAC) → whether the MAC authenticates the message, under any key still held
Verifier = Callable[[bytes, bytes], bool]


@dataclass(frozen=True, slots=True)
class CopyRef:
    """What a copy token names."""

    delivery_id: int
    run_id: int


def rewrite_html(html: str, link_token: Callable[[str], str], *, opens: bool, clicks: bool) -> str:
    """The run's HTML with tracked links and (when `opens`) the open pixel; `link_token(url)` makes a link's
    token. Runs once per run, never per copy."""
    if clicks:

        def tracked(match: re.Match[str]) -> str:
            url = match.group(3)
            if "{{" in url or len(url) > MAX_TRACKED_URL:
                return match.group(0)
            quote = match.group(2)
            return f"{match.group(1)}{quote}{_TRACK_PLACEHOLDER}/c/{link_token(html_unescape_url(url))}{quote}"

        html = _LINK.sub(tracked, html)
    if opens:
        pixel = f'<img src="{_TRACK_PLACEHOLDER}/o.gif" width="1" height="1" alt="" style="display:none">'
        ends = list(_BODY_END.finditer(html))
        html = f"{html[: ends[-1].start()]}{pixel}{html[ends[-1].start() :]}" if ends else html + pixel
    return html


def html_unescape_url(url: str) -> str:
    """An href as the browser follows it: `&amp;` in the HTML is `&` in the URL."""
    return url.replace("&amp;", "&")


# ---- tokens ------------------------------------------------------------------------------------------------


def copy_token(sign: Signer, ref: CopyRef) -> str:
    body = _varint(ref.delivery_id) + _varint(ref.run_id)
    return _b64(body) + "." + _b64(sign(b"copy:" + body)[:_MAC_BYTES])


def read_copy_token(verify: Verifier, token: str) -> CopyRef | None:
    """The copy a token names, or None for a forged, truncated or damaged one."""
    body = _checked(verify, b"copy:", token)
    if body is None:
        return None
    numbers = _read_varints(body)
    if numbers is None or len(numbers) != 2:
        return None
    return CopyRef(delivery_id=numbers[0], run_id=numbers[1])


def link_token(sign: Signer, run_id: int, url: str) -> str:
    body = url.encode()
    return _b64(body) + "." + _b64(sign(b"link:" + _varint(run_id) + body)[:_MAC_BYTES])


def read_link_token(verify: Verifier, run_id: int, token: str) -> str | None:
    """The URL of a link of that run, or None when the token was not made for that run."""
    body = _checked(verify, b"link:" + _varint(run_id), token)
    if body is None:
        return None
    try:
        url = body.decode()
    except UnicodeDecodeError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _checked(verify: Verifier, prefix: bytes, token: str) -> bytes | None:
    text, dot, mac_text = token.partition(".")
    if not dot or len(token) > 4 * MAX_TRACKED_URL:
        return None
    body, mac = _unb64(text), _unb64(mac_text)
    if body is None or mac is None or len(mac) != _MAC_BYTES:
        return None
    return body if verify(prefix + body, mac) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes | None:
    if not text or not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _varint(number: int) -> bytes:
    """LEB128: small ids make short tokens."""
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _read_varints(data: bytes) -> list[int] | None:
    numbers, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            return None
        if not byte & 0x80:
            numbers.append(value)
            value, shift = 0, 0
    return numbers if shift == 0 else None


# ---- machines ----------------------------------------------------------------------------------------------

#: User agents of software that fetches every image or follows every link without a person: mail privacy
#: proxies that prefetch, security scanners that check links, and plain HTTP libraries.
_MACHINE_AGENTS = re.compile(
    r"bot\b|crawler|spider|preview|scanner|python-|curl/|wget/|go-http-client|java/|okhttp|libwww|"
    r"headlesschrome|phantomjs|barracuda|mimecast|proofpoint|safelinks|microsoft office protection|"
    r"symantec|trendmicro|fortiguard|cisco|forcepoint|sophos|zscaler|appengine-google|"
    r"googleimageproxy.*feedfetcher|yahoomailproxy.*prefetch",
    re.IGNORECASE,
)
#: A hit this soon after the copy was handed over is a machine's: no person opens or clicks that fast.
MACHINE_SECONDS = 10.0


def is_machine(user_agent: str | None, seconds_after_sending: float | None) -> bool:
    """Whether a hit came from a machine, by its user agent and its timing."""
    if not user_agent or _MACHINE_AGENTS.search(user_agent):
        return True
    return seconds_after_sending is not None and seconds_after_sending < MACHINE_SECONDS


# ---- settings ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingOptions:
    """Whether copies carry the open pixel and tracked links; on by default, as in the cloud services."""

    opens: bool = True
    clicks: bool = True

    @property
    def any(self) -> bool:
        return self.opens or self.clicks


def options_for(account: TrackingOptions | None, task: TrackingOptions | None) -> TrackingOptions:
    """A task's own option wins over its account's, which wins over the default (both on)."""
    return task or account or TrackingOptions()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackedDelivery:
    """A delivery a hit names, as events need it, and when its copy was handed over (None: not yet)."""

    delivery_id: int
    run_id: int
    task_id: int
    account_id: int
    address: str
    sent_at: datetime | None
