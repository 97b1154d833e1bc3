"""Which action a request calls, in which API version, and with which parameters.

Quick BI puts every mail-action parameter in the query string of a bodiless POST (spec 2.1, 5.5); a few
actions use a form body, so both are read. Values arrive as strings (`str()` of the client's value: `True`,
`False`, `25`, spec 2.4.1); the coercion helpers below turn them into Python values with the documented
errors. Flattened names (`Tags.1.Key`, 1-based list indices, spec 5.7) are folded back into lists and dicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, overload

from mailyard.web.aliyun.errors import invalid_parameter, missing_parameter
from mailyard.web.aliyun.wire import Pairs, WireRequest

# Common and signature params of a V2 request (spec 2.4.3); they are not the action's input.
RPC_COMMON_PARAMETERS = frozenset(
    {
        "Action",
        "Format",
        "Version",
        "Timestamp",
        "SignatureNonce",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureType",
        "AccessKeyId",
        "SecurityToken",
        "BearerToken",
        "Signature",
    }
)
MAX_NAME_DEPTH = 8
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_INDEX = re.compile(r"[1-9][0-9]*")


@dataclass(frozen=True)
class ActionCall:
    """An action invocation: `params` maps names to a string, or to lists/dicts of them when flattened."""

    action: str
    version: str
    params: dict[str, Any]


def read_call(wire: WireRequest) -> ActionCall:
    """Action and version from the signed place: `x-acs-*` headers (V3) or `Action`/`Version` params (V2).

    A V2 request also carries `x-acs-action`, but unsigned (spec 2.4.3), so it is ignored there.
    """
    pairs = wire.query + wire.form
    if wire.is_header_signed():
        action = wire.header("x-acs-action")
        version = wire.header("x-acs-version")
    else:
        common = _common_values(pairs)
        action, version = common.get("Action"), common.get("Version")
        pairs = tuple((key, value) for key, value in pairs if key not in RPC_COMMON_PARAMETERS)
    if not action:
        raise missing_parameter("Action")
    if not version:
        raise missing_parameter("Version")
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        # No parameter needs one, and PostgreSQL cannot store one: refuse it before any handler runs.
        raise invalid_parameter("parameter values must not contain NUL characters.")
    return ActionCall(action=action, version=version, params=unflatten(pairs))


def _common_values(pairs: Pairs) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in RPC_COMMON_PARAMETERS:
            if key in values:
                raise invalid_parameter(f"{key} is repeated.")
            values[key] = value
    return values


def unflatten(pairs: Pairs) -> dict[str, Any]:
    """Fold `A.1.B=x&A.2.B=y&C=z` into `{"A": [{"B": "x"}, {"B": "y"}], "C": "z"}`.

    A node whose keys are all indices becomes a list; its indices must be exactly 1..n (spec 5.7). A name
    given twice, or both as a value and as a prefix, is refused.
    """
    tree: dict[str, Any] = {}
    for name, value in pairs:
        _insert(tree, name, value)
    return {key: _fold_lists(node, key) for key, node in tree.items()}


def _insert(tree: dict[str, Any], name: str, value: str) -> None:
    segments = name.split(".")
    if not all(segments) or len(segments) > MAX_NAME_DEPTH:
        raise invalid_parameter(f"{name} is not a valid parameter name.")
    node = tree
    for segment in segments[:-1]:
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            raise invalid_parameter(f"{name} conflicts with another parameter.")
        node = child
    if segments[-1] in node:
        raise invalid_parameter(f"{name} is repeated or conflicts with another parameter.")
    node[segments[-1]] = value


def _fold_lists(node: Any, path: str) -> Any:
    if not isinstance(node, dict):
        return node
    folded = {key: _fold_lists(child, f"{path}.{key}") for key, child in node.items()}
    if not all(_INDEX.fullmatch(key) for key in folded):
        return folded
    if sorted(int(key) for key in folded) != list(range(1, len(folded) + 1)):
        raise invalid_parameter(f"the list {path} must be numbered 1 to {len(folded)}.")
    return [folded[str(index)] for index in range(1, len(folded) + 1)]


# ---- coercion helpers for action handlers ----


def parse_int(value: str, name: str) -> int:
    """A decimal integer (`-3`, `25`); refuses blanks, floats, `1_000` and unicode digits."""
    if not _INTEGER.fullmatch(value):
        raise invalid_parameter(f"{name} must be an integer, not {value!r}.")
    return int(value)


def parse_bool(value: str, name: str) -> bool:
    """`true`/`false` in any case: the SDK sends Python's `True`/`False` (spec 5.4)."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise invalid_parameter(f"{name} must be true or false, not {value!r}.")
    return lowered == "true"


def text_param(params: dict[str, Any], name: str) -> str | None:
    """The single string value of `name`, or None when absent."""
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise invalid_parameter(f"{name} must be a single value.")


def required_text_param(params: dict[str, Any], name: str) -> str:
    """The value of `name`; absent or empty → `MissingParameter`."""
    value = text_param(params, name)
    if not value:
        raise missing_parameter(name)
    return value


@overload
def int_param(
    params: dict[str, Any], name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int: ...
@overload
def int_param(
    params: dict[str, Any],
    name: str,
    default: None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None: ...
def int_param(
    params: dict[str, Any],
    name: str,
    default: int | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """The integer value of `name` (or `default` when absent), checked against optional bounds."""
    value = text_param(params, name)
    if value is None:
        return default
    number = parse_int(value, name)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise invalid_parameter(f"{name} must be between {minimum} and {maximum}, not {number}.")
    return number


@overload
def bool_param(params: dict[str, Any], name: str, default: bool) -> bool: ...
@overload
def bool_param(params: dict[str, Any], name: str, default: None = None) -> bool | None: ...
def bool_param(params: dict[str, Any], name: str, default: bool | None = None) -> bool | None:
    """The boolean value of `name` (or `default` when absent), read case-insensitively."""
    value = text_param(params, name)
    return default if value is None else parse_bool(value, name)
