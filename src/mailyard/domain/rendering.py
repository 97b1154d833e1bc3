"""Template rendering: ``{{name}}`` placeholders, compiled once per run, rendered per recipient.

A template is parsed into alternating literal and placeholder segments, so rendering a recipient's copy is a
single join. Unknown or malformed ``{{...}}`` sequences stay literal text: HTML templates may legitimately
contain braces (inline scripts, client-side templating), and the sender should see them unchanged.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CompiledTemplate",
    "TemplateDataError",
    "check_template_data",
    "compile_template",
    "merge_variables",
    "parse_template_data",
    "read_template_data",
    "variable_text",
]

# A longer number is no count or amount a template shows: such values travel as strings. (Python cannot even
# turn a number of more than 4,300 digits into text.)
MAX_NUMBER_DIGITS = 30
# Names are letters, digits, "_", "-" and "."; whitespace inside the braces is allowed: {{ name }}.
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.\-]+)\s*\}\}")


class TemplateDataError(ValueError):
    """Template data is not a JSON object of scalar values."""


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A parsed template: ``literals[0] names[0] literals[1] ... names[n-1] literals[n]``.

    ``literals`` always has exactly one more item than ``names``; literals may be empty strings.
    """

    source: str
    literals: tuple[str, ...]
    names: tuple[str, ...]
    variables: frozenset[str]

    def render(self, values: Mapping[str, str], *, escape_html: bool = False) -> str:
        """Substitute ``values``; a missing variable renders as the empty string."""
        literals = self.literals
        if not self.names:
            return literals[0]
        parts = [literals[0]]
        for index, name in enumerate(self.names, start=1):
            value = values.get(name, "")
            parts.append(html.escape(value) if escape_html else value)
            parts.append(literals[index])
        return "".join(parts)

    def missing(self, values: Mapping[str, object]) -> frozenset[str]:
        """The template's variables that ``values`` does not provide."""
        return frozenset(name for name in self.variables if name not in values)


def compile_template(source: str) -> CompiledTemplate:
    """Parse ``source`` once into literal and placeholder segments."""
    literals: list[str] = []
    names: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(source):
        literals.append(source[position : match.start()])
        names.append(match.group(1))
        position = match.end()
    literals.append(source[position:])
    return CompiledTemplate(source=source, literals=tuple(literals), names=tuple(names), variables=frozenset(names))


def variable_text(value: object) -> str:
    """The text a scalar variable renders as; JSON-style, since template data arrives as JSON.

    ``None`` is empty, booleans are ``true``/``false``, integral floats drop the ``.0`` (as JavaScript
    prints them, which is what senders using the cloud SDKs expect).
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) >= 10**MAX_NUMBER_DIGITS:
            raise TemplateDataError(f"a template variable must have at most {MAX_NUMBER_DIGITS} digits")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            # json reads 1e999 as infinity; no sender means that.
            raise TemplateDataError(f"a template variable must be a finite number, not {value!r}")
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    raise TemplateDataError(
        f"a template variable must be a string, number, boolean or null, not {type(value).__name__}"
    )


def merge_variables(task_variables: Mapping[str, object], recipient_variables: Mapping[str, object]) -> dict[str, str]:
    """The variables for one recipient: the task's, overridden by the recipient's, as text."""
    merged = {name: variable_text(value) for name, value in task_variables.items()}
    merged.update((name, variable_text(value)) for name, value in recipient_variables.items())
    return merged


def _reject_constant(constant: str) -> float:
    # Python's json accepts NaN and Infinity, which are not JSON (RFC 8259 section 6).
    raise TemplateDataError(f"template data is not valid JSON: {constant} is not a JSON number")


def parse_template_data(source: str | None) -> dict[str, str]:
    """Parse template data into the text of each variable (see `read_template_data`)."""
    return {name: variable_text(value) for name, value in read_template_data(source).items()}


def read_template_data(source: str | None) -> dict[str, object]:
    """Parse template data: a JSON object whose values are strings, numbers, booleans or null, kept as JSON values.

    An empty or blank string means no variables, like ``{}``.
    """
    if source is None or not source.strip():
        return {}
    try:
        data = json.loads(source, parse_constant=_reject_constant, parse_int=_bounded_integer)
    except json.JSONDecodeError as error:
        raise TemplateDataError(f"template data is not valid JSON: {error.msg} at position {error.pos}") from None
    except RecursionError:
        raise TemplateDataError("template data is nested too deeply") from None
    return check_template_data(data)


def check_template_data(data: object) -> dict[str, object]:
    """Template data as a caller gave it (a task's, a single send's or a recipient's variables), checked: an
    object of values each variable can render, so nothing fails later at send time."""
    if not isinstance(data, dict):
        raise TemplateDataError(f"template data must be a JSON object, not {_json_kind(data)}")
    for name, value in data.items():
        if isinstance(value, dict | list):
            kind = _json_kind(value)
            raise TemplateDataError(f"template variable {name!r} must be a string, number, boolean or null, not {kind}")
        variable_text(value)
    return dict(data)


def _bounded_integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise TemplateDataError(f"a template variable must have at most {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
