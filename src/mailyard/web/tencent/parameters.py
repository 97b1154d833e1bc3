"""Turn a Tencent request into (action, version, region, params), the same for every action.

TC3 POST carries JSON; TC3 GET and legacy v1 carry flattened pairs such as ``Destination.0`` or
``Template.TemplateID`` (spec 1.7.3, 1.7.4), which are folded back into nested dicts and lists.
Values that arrived as pairs stay strings; ``mailyard.web.tencent.coercion`` converts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.wire import WireRequest, decode_pairs

# Everything the SDK adds to v1 pairs besides the action's own parameters (1.7.4).
COMMON_KEYS = frozenset(
    {
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "Signature",
        "SignatureMethod",
        "Token",
        "Language",
        "RequestClient",
    }
)
# The deepest SES parameter is three levels (``Attachments.0.FileName``); this bounds recursion.
MAX_DEPTH = 16
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


@dataclass(frozen=True)
class ActionCall:
    action: str
    version: str
    region: str | None
    params: dict[str, Any]


def parse_call(wire: WireRequest) -> ActionCall:
    """``MissingParameter`` without an action or version, ``InvalidParameter`` for a bad body."""
    if wire.is_tc3:
        return ActionCall(
            action=_required(wire.header("x-tc-action"), "Action"),
            version=_required(wire.header("x-tc-version"), "Version"),
            region=wire.header("x-tc-region") or None,
            params=_refuse_nul(_tc3_params(wire)),
        )
    common, own = _split_common(wire.form_pairs())
    return ActionCall(
        action=_required(common.get("Action"), "Action"),
        version=_required(common.get("Version"), "Version"),
        region=common.get("Region") or None,
        params=_refuse_nul(unflatten(own)),
    )


def _refuse_nul(params: dict[str, Any]) -> dict[str, Any]:
    """No text value may hold a NUL character: no address, name or content needs one, and PostgreSQL cannot
    store one, so it is refused here rather than failing deep inside a handler."""
    pending: list[Any] = [params]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and "\x00" in value:
            raise TencentError("InvalidParameter", "Parameter values must not contain NUL characters.")
    return params


def _tc3_params(wire: WireRequest) -> dict[str, Any]:
    if wire.method == "GET":
        return unflatten(_split_common(decode_pairs(wire.raw_query))[1])
    media_type = (wire.header("content-type") or "").partition(";")[0].strip().lower()
    if media_type == _JSON:
        return parse_json_object(wire.body)
    if media_type == _FORM:
        return unflatten(_split_common(wire.form_pairs())[1])
    raise TencentError("InvalidParameter", f"Content-Type must be {_JSON} for a POST request.")


def _required(value: str | None, name: str) -> str:
    if not value:
        raise TencentError("MissingParameter", f"The request is missing the required parameter {name}.")
    return value


def _split_common(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    common: dict[str, str] = {}
    own: list[tuple[str, str]] = []
    for key, value in pairs:
        if key not in COMMON_KEYS:
            own.append((key, value))
        elif key in common:
            raise TencentError("InvalidParameter", f"The parameter {key} appears more than once.")
        else:
            common[key] = value
    return common, own


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The JSON body of a TC3 POST; an empty body means no parameters (the SDK sends ``{}``)."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise TencentError("InvalidParameter", "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise TencentError("InvalidParameter", "The request body must be a JSON object.")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# ---- unflattening (1.7.3: keys joined with ".", list items 0-based) -----------------------------


def unflatten(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``[("Destination.0", "a"), ("Template.TemplateID", "1")]`` → nested dicts and lists.

    A node whose keys are all 0..n-1 becomes a list; gaps, mixed keys, repeated keys and a key
    that is both a value and a container are ``InvalidParameter``.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.split(".")
        if "" in parts or len(parts) > MAX_DEPTH:
            raise _bad_key(key)
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _bad_key(key)
            node = child
        if parts[-1] in node:
            raise _bad_key(key)
        node[parts[-1]] = value
    return {name: _listify(child, name) for name, child in root.items()}


def _listify(node: Any, path: str) -> Any:
    if not isinstance(node, dict):
        return node
    children = {name: _listify(child, f"{path}.{name}") for name, child in node.items()}
    if not any(name.isascii() and name.isdigit() for name in children):
        return children
    expected = [str(index) for index in range(len(children))]
    if set(children) != set(expected):
        raise TencentError("InvalidParameter", f"The list {path} must be numbered 0, 1, 2, ... without gaps.")
    return [children[name] for name in expected]


def _bad_key(key: str) -> TencentError:
    shown = key if len(key) <= 80 else key[:77] + "..."
    return TencentError("InvalidParameter", f"The parameter name {shown!r} is malformed or repeated.")
