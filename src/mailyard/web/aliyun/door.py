"""The Alibaba Cloud Quick BI RPC front door (`2022-01-01`), generic over its actions.

`AliyunFrontDoor.handle` turns one HTTP request into one action call and its answer into the Alibaba envelope.
The checks run in a fixed order so that nothing is revealed before the caller is authenticated: client limit →
parse → version → credential → secret lookup → time window and signature → nonce → action → rate limit →
handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from mailyard.ports.clock import Clock
from mailyard.web import doors
from mailyard.web.aliyun import preauth
from mailyard.web.aliyun.envelope import error_response, new_request_id, success_response
from mailyard.web.aliyun.errors import AliyunError, internal_error, invalid_parameter
from mailyard.web.aliyun.parameters import read_call
from mailyard.web.aliyun.signature import (
    TIME_WINDOW_SECONDS,
    Credential,
    SignatureError,
    read_credential,
    verify,
)
from mailyard.web.aliyun.wire import WireRequest
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.nonces import NonceGuard
from mailyard.web.request_account import note_account

API_VERSION = "2022-01-01"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

P = TypeVar("P")
ActionHandler = Callable[[P, dict[str, Any]], Awaitable[Any]]
SecretLookup = Callable[[str], Awaitable[tuple[str, P] | None]]

logger = logging.getLogger(__name__)


class AliyunFrontDoor(Generic[P]):
    """Serves Alibaba-signed RPC requests.

    `lookup_secret` maps an access key id to its secret and an opaque principal, or None when unknown.
    `actions` maps action names to handlers; a handler gets the principal and the params and returns the
    envelope's `Result`, or raises `AliyunError`. `clock` is the service's clock, against which request times are
    checked. `translate_error(exc)` may map other exceptions (core errors) to an `AliyunError`; the rest become
    `InternalError` with the traceback logged, never sent. `throttle` counts requests per action per account
    (`account_of(principal)`); `client_gate` per client address before authentication.
    """

    def __init__(
        self,
        *,
        lookup_secret: SecretLookup[P],
        actions: Mapping[str, ActionHandler[P]],
        nonce_guard: NonceGuard,
        clock: Clock,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        time_window: float = TIME_WINDOW_SECONDS,
        translate_error: Callable[[Exception], AliyunError | None] | None = None,
        throttle: preauth.Throttle | None = None,
        account_of: Callable[[P], str] = str,
        client_gate: ClientGate | None = None,
    ) -> None:
        self._lookup_secret = lookup_secret
        self._actions = actions
        self._nonce_guard = nonce_guard
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._time_window = time_window
        self._translate_error = translate_error
        self._throttle = throttle
        self._account_of = account_of
        self._client_gate = client_gate

    @staticmethod
    def claims(request: Request) -> bool:
        """True for Alibaba-shaped requests: an `x-acs-action` header, or a V2 `AccessKeyId` + `Signature`."""
        if "x-acs-action" in request.headers:
            return True
        query = request.query_params
        return "AccessKeyId" in query and "Signature" in query

    async def handle(self, request: Request) -> Response:
        request_id = new_request_id()
        host_id = request.headers.get("host", "")
        try:
            return success_response(await self._serve(request), request_id)
        except AliyunError as error:
            return error_response(error, request_id, host_id)
        except Exception as error:
            translated = doors.translated(self._translate_error, error)
            if translated is not None:
                return error_response(translated, request_id, host_id)
            # The traceback stays in the log; the wire gets the generic InternalError (spec 2.2).
            logger.exception("Alibaba RPC request %s failed", request_id)
            return error_response(internal_error(), request_id, host_id)

    async def _serve(self, request: Request) -> Any:
        await preauth.admit_client(self._client_gate, request.scope)
        # The raw scope, not request.url: that decodes the query as strict UTF-8 and raises on odd bytes.
        wire = WireRequest.decode(
            request.method,
            request.scope.get("path", "/"),
            request.scope.get("query_string", b""),
            request.scope.get("headers", []),
            await self._read_body(request),
        )
        call = read_call(wire)
        if call.version != API_VERSION:
            raise AliyunError("InvalidVersion", f"Specified parameter Version {call.version!r} is not valid.")
        credential = read_credential(wire)
        now = self._clock.now().timestamp()
        principal = await self._authenticate(credential, now)
        note_account(request.scope, self._account_of(principal))
        await preauth.claim_nonce(self._nonce_guard, credential, now, self._time_window)
        handler = self._actions.get(call.action)
        if handler is None:
            raise AliyunError(
                "InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404
            )
        await preauth.check_rate(self._throttle, self._account_of(principal), call.action)
        return await handler(principal, call.params)

    async def _authenticate(self, credential: Credential, now: float) -> P:
        found = await self._lookup_secret(credential.access_key_id)
        if found is None:
            raise SignatureError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        secret, principal = found
        verify(credential, secret, now, self._time_window)
        return principal

    async def _read_body(self, request: Request) -> bytes:
        try:
            return await doors.read_body(request, self._max_body_bytes)
        except doors.BodyTooLarge as error:
            raise AliyunError("RequestEntityTooLarge", str(error.detail), 413) from None
        except ClientDisconnect:
            raise invalid_parameter("the client closed the connection mid-request.") from None
