"""JSON documents of listed tasks, described as data.

A front door says what each task of a page looks like on its wire (which fields, under which keys, mapped how)
with the nodes below; the store builds the page from them where the rows are — on PostgreSQL, the database
renders the documents itself — and `render_page` is the same description evaluated in Python, used where the
database cannot (SQLite) and as the reference the database's rendering is tested against.

Rendering is compact JSON (no spaces) that keeps non-ASCII characters as they are.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mailyard.domain import schedules


class TaskField(enum.StrEnum):
    """What a document may show of a listed task; a store must be able to read each of them."""

    ID = "id"
    FROM_ADDRESS = "from_address"
    RECIPIENT_LIST_ID = "recipient_list_id"
    LIST_NAME = "list_name"  #: the recipient list's name; null for no list or one that is gone
    STATE = "state"  #: a TaskState value
    TASK_TYPE = "task_type"  #: a TaskType value
    REQUESTED = "requested"
    SENT = "sent"
    CACHED = "cached"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SUBJECT = "subject"
    TEMPLATE_ID = "template_id"
    VARIABLES = "variables"  #: the task's variables as JSON text
    BEGIN_AT = "begin_at"
    INTERVAL_HOURS = "interval_hours"
    TERMINATED = "terminated"
    ERROR_MESSAGE = "error_message"


@dataclass(frozen=True)
class Value:
    """A field as it is (text, number, bool or null), or `when_null` in place of null."""

    field: TaskField
    when_null: str | int | None = None


@dataclass(frozen=True)
class Choice:
    """The number a field's value stands for: `choices` pairs each value (an enum member or a bool) with it."""

    field: TaskField
    choices: tuple[tuple[Any, int], ...]

    @classmethod
    def of(cls, field: TaskField, choices: Mapping[Any, int]) -> Choice:
        return cls(field, tuple(choices.items()))


@dataclass(frozen=True)
class LocalTime:
    """A time shown as ``YYYY-MM-DD HH:MM:SS`` in the caller's time zone; null stays null."""

    field: TaskField


@dataclass(frozen=True)
class When:
    """`then` when the field equals `value`, else null."""

    field: TaskField
    value: Any
    then: Node


@dataclass(frozen=True)
class Document:
    """A JSON object: each key with the node that gives its value, in this order."""

    members: tuple[tuple[str, Node], ...]

    @classmethod
    def of(cls, **members: Node) -> Document:
        return cls(tuple(members.items()))


Node = Value | Choice | LocalTime | When | Document


@dataclass(frozen=True)
class DocumentPage:
    """A page of documents rendered as one JSON array text, and the total that matched."""

    documents: str
    total: int


def fields_of(node: Node) -> frozenset[TaskField]:
    """Every field a node reads."""
    if isinstance(node, Document):
        return frozenset().union(*(fields_of(member) for _, member in node.members))
    if isinstance(node, When):
        return fields_of(node.then) | {node.field}
    return frozenset({node.field})


def plain(value: Any) -> Any:
    """The stored form of a choice or comparison value: an enum member's value, anything else as it is."""
    return value.value if isinstance(value, enum.Enum) else value


def render_page(document: Document, rows: Sequence[Mapping[str, Any]], time_zone: str) -> str:
    """The rows (field name → value, times UTC-aware) rendered as a compact JSON array of documents."""
    values = [_evaluate(document, row, time_zone) for row in rows]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _evaluate(node: Node, row: Mapping[str, Any], time_zone: str) -> Any:
    if isinstance(node, Document):
        return {key: _evaluate(member, row, time_zone) for key, member in node.members}
    value = row[node.field]
    if isinstance(node, Value):
        return node.when_null if value is None else value
    if isinstance(node, Choice):
        return next((number for choice, number in node.choices if plain(choice) == value), None)
    if isinstance(node, LocalTime):
        return None if value is None else schedules.format_local_time(value, time_zone)
    return _evaluate(node.then, row, time_zone) if value == plain(node.value) else None
