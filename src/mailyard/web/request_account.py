"""The account a request acts for, noted in its ASGI scope by whichever door authenticated it, so that the log
lines written while serving it (the access log line among them) can name it. Only the account's id is noted:
never a key, a session or anything else a caller sent."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

#: the request scope key under which a door notes the authenticated account (read by the logs)
ACCOUNT_SCOPE_KEY = "mailyard.account"


def note_account(scope: MutableMapping[str, Any], account_id: int | str) -> None:
    scope[ACCOUNT_SCOPE_KEY] = str(account_id)
