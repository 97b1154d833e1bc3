"""The Tencent Cloud API 3.0 front door (service ``ses``, version ``2020-10-02``), generic over actions.

One ``handle`` call runs, in order: client limit → method and size limits → credential → secret lookup →
signature → v1 nonce → parameters → version → action → region → rate limit → the action handler
(spec 1.7.2: authentication first, so an unauthenticated caller never has a body decoded). Every outcome,
including a failure inside a handler, is an HTTP 200 envelope (spec 1.7.5).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from mailyard.ports.clock import Clock
from mailyard.web import doors
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.nonces import MemoryNonceGuard, NonceGuard
from mailyard.web.request_account import note_account
from mailyard.web.tencent import preauth
from mailyard.web.tencent.envelope import error_response, new_request_id, success_response
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.parameters import ActionCall, parse_call
from mailyard.web.tencent.signature import SignatureError, parse_credential, verify
from mailyard.web.tencent.wire import WireRequest, read_wire_request

API_VERSION = "2020-10-02"
# Below the real service's 10 MB for TC3 POST (1.7.4), and the largest body ever held in memory.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
_FORM = "application/x-www-form-urlencoded"

PrincipalT = TypeVar("PrincipalT")

logger = logging.getLogger(__name__)


class Throttle(Protocol):
    async def allow(self, account: str, action: str) -> bool: ...


class TencentFrontDoor(Generic[PrincipalT]):
    """Serve Tencent-shaped requests; actions are plugged in as a name → handler mapping.

    - ``lookup_secret(secret_id)`` returns ``(secret_key, principal)`` or ``None`` for an unknown id.
    - ``actions[name](principal, params)`` returns the ``Response`` payload without ``RequestId``;
      it raises ``TencentError`` for an answer with an error code. Names match case-sensitively.
    - ``account_of(principal)`` names the account the rate limit counts against.
    - ``translate_error(exc)`` may map other exceptions to a ``TencentError``; the rest become
      ``InternalError`` with the traceback logged, never sent.
    - ``clock``: the service's clock, against which request times are checked.
    - ``regions``: accepted ``X-TC-Region`` values; ``None`` accepts any (a missing one is fine).
    - ``nonce_guard`` remembers legacy v1 nonces; ``client_gate`` limits requests per client address.
    """

    def __init__(
        self,
        *,
        lookup_secret: Callable[[str], Awaitable[tuple[str, PrincipalT] | None]],
        actions: Mapping[str, Callable[[PrincipalT, dict[str, Any]], Awaitable[Mapping[str, Any]]]],
        throttle: Throttle,
        account_of: Callable[[PrincipalT], str],
        clock: Clock,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        regions: Collection[str] | None = None,
        translate_error: Callable[[Exception], TencentError | None] | None = None,
        nonce_guard: NonceGuard | None = None,
        client_gate: ClientGate | None = None,
    ) -> None:
        self._lookup_secret = lookup_secret
        self._actions = dict(actions)
        self._throttle = throttle
        self._account_of = account_of
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._regions = frozenset(regions) if regions is not None else None
        self._translate_error = translate_error
        self._replays = preauth.V1Replays(MemoryNonceGuard() if nonce_guard is None else nonce_guard)
        self._client_gate = client_gate

    @staticmethod
    def claims(request: Request) -> bool:
        """True for a Tencent-shaped request: an ``X-TC-Action`` header, or v1 parameters.

        A v1 POST keeps its parameters in the form body, which cannot be read here; a form POST
        with no Alibaba marker (``x-acs-*`` headers, ``AccessKeyId``) is taken to be one.
        """
        headers = request.headers
        if "x-tc-action" in headers or "SecretId" in request.query_params:
            return True
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        return (
            request.method == "POST"
            and media_type == _FORM
            and "AccessKeyId" not in request.query_params
            and not any(name.startswith("x-acs-") for name in headers)
        )

    async def handle(self, request: Request) -> Response:
        request_id = new_request_id()
        try:
            return success_response(await self._dispatch(request), request_id)
        except TencentError as error:
            return error_response(error.code, error.message, request_id)
        except Exception as error:
            translated = doors.translated(self._translate_error, error)
            if translated is not None:
                return error_response(translated.code, translated.message, request_id)
            logger.exception("Tencent front door: unexpected error (RequestId %s)", request_id)
            return error_response("InternalError", "An internal error occurred.", request_id)

    async def _dispatch(self, request: Request) -> Mapping[str, Any]:
        if request.method not in ("GET", "POST"):
            raise TencentError("UnsupportedProtocol", "Only GET and POST requests are supported.")
        await preauth.admit_client(self._client_gate, request.scope)
        wire = await read_wire_request(request, self._max_body_bytes)
        preauth.check_sizes(wire)
        principal = await self._authenticate(wire)
        note_account(request.scope, self._account_of(principal))
        call = parse_call(wire)
        if call.version != API_VERSION:
            raise TencentError("NoSuchVersion", f"The API version must be {API_VERSION}.")
        handler = self._actions.get(call.action)
        if handler is None:
            raise TencentError("InvalidAction", f"The action {_shown(call.action)} does not exist.")
        self._check_region(call)
        if not await self._throttle.allow(self._account_of(principal), call.action):
            raise TencentError("RequestLimitExceeded", "Too many requests for this action; retry later.")
        return await handler(principal, call.params)

    async def _authenticate(self, wire: WireRequest) -> PrincipalT:
        credential = parse_credential(wire)
        found = await self._lookup_secret(credential.secret_id)
        if found is None:
            raise SignatureError("AuthFailure.SecretIdNotFound", "The SecretId does not exist or is disabled.")
        secret_key, principal = found
        now = self._clock.now().timestamp()
        verify(wire, credential, secret_key, now=now)
        await self._replays.claim(credential, now)
        return principal

    def _check_region(self, call: ActionCall) -> None:
        if self._regions is not None and call.region is not None and call.region not in self._regions:
            raise TencentError("UnsupportedRegion", f"The region {_shown(call.region)} is not supported.")


def _shown(text: str) -> str:
    # Echo client input only in bounded form: messages are for people, not a reflection channel.
    return repr(text if len(text) <= 64 else text[:61] + "...")
