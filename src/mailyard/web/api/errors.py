"""One error shape for the native API: `{"error": {"code", "message", "field"}}` with the right status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from mailyard import errors
from mailyard.errors import ErrorCode

log = logging.getLogger(__name__)

E = ErrorCode
BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, TOO_LARGE = 400, 401, 403, 404, 409, 413
TOO_MANY_REQUESTS = 429

# Every core code's HTTP status; the body carries the code itself. A test fails when a code has no row here.
STATUS_BY_CODE: dict[ErrorCode, int] = {
    # one per kind of error
    E.INVALID_INPUT: BAD_REQUEST,
    E.NOT_FOUND: NOT_FOUND,
    E.FORBIDDEN: FORBIDDEN,
    E.CONFLICT: CONFLICT,
    E.LIMIT_EXCEEDED: TOO_LARGE,
    E.AUTHENTICATION_FAILED: UNAUTHORIZED,
    # requests
    E.NUL_CHARACTER: BAD_REQUEST,
    E.ID_OUT_OF_RANGE: BAD_REQUEST,
    E.DATE_OUT_OF_RANGE: BAD_REQUEST,
    # accounts, users and access keys
    E.ACCOUNT_NOT_FOUND: NOT_FOUND,
    E.ADMIN_NOT_FOUND: NOT_FOUND,
    E.ADMIN_REQUIRED: FORBIDDEN,
    E.USER_EXISTS: CONFLICT,
    E.USER_NOT_FOUND: NOT_FOUND,
    E.KEY_NOT_FOUND: NOT_FOUND,
    # sending domains and sender addresses
    E.DOMAIN_EXISTS: CONFLICT,
    E.DOMAIN_NOT_FOUND: NOT_FOUND,
    E.DOMAIN_NOT_VERIFIED: CONFLICT,
    E.DOMAIN_HAS_SENDERS: CONFLICT,
    E.ADDRESS_INVALID: BAD_REQUEST,
    E.SENDER_EXISTS: CONFLICT,
    E.SENDER_NOT_FOUND: NOT_FOUND,
    E.SENDER_INVALID: BAD_REQUEST,
    E.DOMAIN_FORBIDDEN: FORBIDDEN,
    E.SENDER_FORBIDDEN: FORBIDDEN,
    E.DOMAIN_IN_USE: CONFLICT,
    E.SENDER_IN_USE: CONFLICT,
    E.TOO_MANY_SENDERS: TOO_LARGE,
    # templates and template data
    E.TEMPLATE_NOT_FOUND: NOT_FOUND,
    E.TEMPLATE_NOT_APPROVED: CONFLICT,
    E.TEMPLATE_IN_USE: CONFLICT,
    E.TEMPLATE_FORBIDDEN: FORBIDDEN,
    E.TEMPLATE_DATA_INVALID: BAD_REQUEST,
    # recipient lists
    E.LIST_NOT_FOUND: NOT_FOUND,
    E.LIST_NAME_TAKEN: CONFLICT,
    E.LIST_IN_USE: CONFLICT,
    E.LIST_FORBIDDEN: FORBIDDEN,
    E.LIST_EMPTY: CONFLICT,
    E.RECIPIENTS_MISSING: BAD_REQUEST,
    E.RECIPIENT_VARIABLES_INVALID: BAD_REQUEST,
    E.UPLOAD_TOO_LARGE: TOO_LARGE,
    E.LIST_TOO_LARGE: TOO_LARGE,
    # tasks and runs
    E.SUBJECT_LENGTH: BAD_REQUEST,
    E.REPLY_TO_INVALID: BAD_REQUEST,
    E.BEGIN_TIME_IN_PAST: BAD_REQUEST,
    E.TASK_NOT_FOUND: NOT_FOUND,
    E.TASK_FORBIDDEN: FORBIDDEN,
    E.TASK_PAUSED: CONFLICT,
    E.TASK_CANCELLED: CONFLICT,
    E.TASK_ALREADY_RUNNING: CONFLICT,
    E.RUN_NOT_FOUND: NOT_FOUND,
    E.GRANT_NOT_FOUND: NOT_FOUND,
    # suppressions and the custom blacklist
    E.DATE_RANGE_INVALID: BAD_REQUEST,
    E.ADDRESSES_REQUIRED: BAD_REQUEST,
    E.TOO_MANY_ADDRESSES: TOO_LARGE,
    E.BLACKLIST_ENTRY_NOT_FOUND: NOT_FOUND,
    E.SUPPRESSION_NOT_FOUND: NOT_FOUND,
    E.BLACKLIST_ENTRY_EXISTS: CONFLICT,
    # unsubscribing
    E.UNSUBSCRIBE_OPTION_INVALID: BAD_REQUEST,
    E.UNSUBSCRIBE_CONFIG_EXISTS: CONFLICT,
    E.UNSUBSCRIBE_CONFIG_NOT_FOUND: NOT_FOUND,
    E.UNSUBSCRIBE_LINK_INVALID: NOT_FOUND,
    E.TRACKING_TOKEN_INVALID: NOT_FOUND,
    E.WEBHOOK_NOT_FOUND: NOT_FOUND,
    E.WEBHOOK_URL_REFUSED: BAD_REQUEST,
    # single sends
    E.TOO_MANY_RECIPIENTS: TOO_LARGE,
    E.TOO_MANY_CC: TOO_LARGE,
    E.TOO_MANY_BCC: TOO_LARGE,
    E.BCC_OVERLAPS: BAD_REQUEST,
    E.NO_RECIPIENT: BAD_REQUEST,
    E.TOO_MANY_ATTACHMENTS: TOO_LARGE,
    E.ATTACHMENTS_TOO_LARGE: TOO_LARGE,
    E.ATTACHMENT_NAME: BAD_REQUEST,
    E.DATE_NOT_SUPPORTED: BAD_REQUEST,
    # the outbox
    E.OUTBOX_MESSAGE_NOT_FOUND: NOT_FOUND,
    # SMTP submission (not reachable through this door; kept complete)
    E.LOGIN_THROTTLED: TOO_MANY_REQUESTS,
    E.SENDER_NOT_ALLOWED: FORBIDDEN,
    E.MESSAGE_INVALID: BAD_REQUEST,
    E.QUOTA_EXHAUSTED: CONFLICT,
    E.RATE_LIMITED: TOO_MANY_REQUESTS,
    # dashboard sign-in and sessions (never raised behind this door)
    E.SIGN_IN_FAILED: UNAUTHORIZED,
    E.SIGN_IN_THROTTLED: TOO_MANY_REQUESTS,
    E.SESSION_ENDED: UNAUTHORIZED,
    E.PASSWORD_INVALID: BAD_REQUEST,
    E.CROSS_SITE_REQUEST: FORBIDDEN,
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


async def _mailyard_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.MailyardError)
    field = getattr(error, "field", None)
    # No WWW-Authenticate on a 401: a browser would prompt, keep the key and send it cross-site.
    return JSONResponse(error_body(error.code, error.message, field), status_code=STATUS_BY_CODE[error.code])


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
    location = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = f"{location}: {first.get('msg', 'invalid')}" if location else str(first.get("msg", "invalid request"))
    return JSONResponse(error_body("invalid_request", message, location or None), status_code=422)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    codes = {
        401: "authentication_failed",
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
        429: "rate_limited",
    }
    code = codes.get(error.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(error.detail)),
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


async def _unexpected_error(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=error)
    return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.MailyardError, _mailyard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
