"""Secrets never reach the access log: signatures, session tokens and the tokens of the links recipients follow
are replaced by ``[redacted]`` in the request line uvicorn logs (dashboard sessions travel in a cookie, which is
never logged).

A legacy-signed request carries its ``Signature`` in the query (Tencent v1, Alibaba RPC); an unsubscribe link
carries its token in the path. A parameter name is compared decoded and case-insensitively, since that is how
the doors read it.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
#: query parameters whose value is a signature, a secret or a token
SECRET_PARAMETERS = frozenset(
    {"signature", "token", "x-tc-token", "securitytoken", "secretkey", "accesskeysecret", "password", "session"}
)
#: links that carry a token as the rest of their path (add the prefix of each new kind of link here)
TOKEN_PATHS = ("/unsubscribe/", "/t/")  # unsubscribe links; open pixels and tracked links


def redacted_target(target: str) -> str:
    """``path?query`` as logged, with every token path and secret parameter value replaced."""
    path, question, query = target.partition("?")
    for prefix in TOKEN_PATHS:
        if path.startswith(prefix) and len(path) > len(prefix):
            path = prefix + REDACTED
    if not question:
        return path
    return f"{path}?{'&'.join(_redacted_pair(item) for item in query.split('&'))}"


def _redacted_pair(item: str) -> str:
    name, equals, _ = item.partition("=")
    if equals and unquote_plus(name).strip().lower() in SECRET_PARAMETERS:
        return f"{name}={REDACTED}"
    return item


class RedactSecrets(logging.Filter):
    """For the ``uvicorn.access`` logger, whose records carry (client, method, target, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        arguments = record.args
        if isinstance(arguments, tuple) and len(arguments) == 5 and isinstance(arguments[2], str):
            record.args = (*arguments[:2], redacted_target(arguments[2]), *arguments[3:])
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install the filter once; call after uvicorn configured its loggers."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())
