"""Documents of listed tasks (domain/documents.py) as SQL: PostgreSQL renders a page's JSON itself.

Each node becomes a text expression that is never null: ``to_json`` for values (it escapes text exactly as
compact JSON does), a ``CASE`` for choices and conditions, ``to_char`` in the caller's zone for times, and
string concatenation for objects; a page is those documents joined in id order, newest first. Only the zone
is bound; keys and constants come from the document's description, never from a request. Where the
database cannot render (SQLite), `field_rows` reads the fields the document needs and Python renders them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, String, Text, bindparam, case, cast, func, literal_column, select
from sqlalchemy import type_coerce as typed
from sqlalchemy.dialects.postgresql import aggregate_order_by

from mailyard.domain import documents
from mailyard.domain.documents import TaskField
from mailyard.store import tables

_TASK, _LIST = tables.tasks, tables.recipient_lists
FIELD_COLUMNS: dict[TaskField, ColumnElement[Any]] = {
    TaskField.ID: _TASK.c.id,
    TaskField.FROM_ADDRESS: _TASK.c.from_address,
    TaskField.RECIPIENT_LIST_ID: _TASK.c.recipient_list_id,
    TaskField.LIST_NAME: _LIST.c.name,
    TaskField.STATE: _TASK.c.state,
    TaskField.TASK_TYPE: _TASK.c.task_type,
    TaskField.REQUESTED: _TASK.c.requested_count,
    TaskField.SENT: _TASK.c.sent_count,
    TaskField.CACHED: _TASK.c.cached_count,
    TaskField.CREATED_AT: _TASK.c.created_at,
    TaskField.UPDATED_AT: _TASK.c.updated_at,
    TaskField.SUBJECT: _TASK.c.subject,
    TaskField.TEMPLATE_ID: _TASK.c.template_id,
    TaskField.VARIABLES: _TASK.c.variables,
    TaskField.BEGIN_AT: _TASK.c.begin_at,
    TaskField.INTERVAL_HOURS: _TASK.c.interval_hours,
    TaskField.TERMINATED: _TASK.c.terminated,
    TaskField.ERROR_MESSAGE: _TASK.c.error_message,
}
# The list a task sends to, if it is still there (a list's name is only shown within its own account).
_TASKS_WITH_LISTS = _TASK.outerjoin(
    _LIST, (_LIST.c.id == _TASK.c.recipient_list_id) & (_LIST.c.account_id == _TASK.c.account_id)
)
_NULL = "null"
_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"  # documents.local_time in PostgreSQL's words


def rendered_page(document: documents.Document, in_page: ColumnElement[bool]) -> ColumnElement[str]:
    """The documents of the tasks `in_page` as one JSON array text, newest first."""
    joined = func.string_agg(_json(document), aggregate_order_by(_constant(","), _TASK.c.id.desc()))
    page = _concatenated(_constant("["), func.coalesce(joined, _constant("")), _constant("]"))
    return select(typed(page, Text)).select_from(_TASKS_WITH_LISTS).where(in_page).scalar_subquery()


@functools.cache
def field_rows(document: documents.Document) -> Callable[[ColumnElement[bool]], Select[Any]]:
    """Selects each field the document reads, labelled with its name, of the tasks that match a condition."""
    fields = sorted(documents.fields_of(document) | {TaskField.ID})
    columns = [FIELD_COLUMNS[field].label(field.value) for field in fields]

    def rows_of(condition: ColumnElement[bool]) -> Select[Any]:
        return select(*columns).select_from(_TASKS_WITH_LISTS).where(condition)

    return rows_of


def _json(node: documents.Node) -> ColumnElement[Any]:
    """A never-null SQL text expression holding the node's JSON."""
    if isinstance(node, documents.Document):
        parts: list[ColumnElement[Any]] = []
        for number, (key, member) in enumerate(node.members):
            opening = "{" if number == 0 else ","
            parts += [_constant(opening + json.dumps(key, ensure_ascii=False) + ":"), _json(member)]
        return _concatenated(*parts, _constant("}")) if parts else _constant("{}")
    column = FIELD_COLUMNS[node.field]
    if isinstance(node, documents.Value):
        return func.coalesce(cast(func.to_json(column), Text), _constant(json.dumps(node.when_null)))
    if isinstance(node, documents.Choice):
        choices = [(column == _sql_value(value), _constant(json.dumps(number))) for value, number in node.choices]
        return case(*choices, else_=_constant(_NULL))
    if isinstance(node, documents.LocalTime):
        zone = bindparam("time_zone", type_=String)
        local = func.to_char(func.timezone(zone, func.timezone(_constant("UTC"), column)), _constant(_TIME_FORMAT))
        return func.coalesce(_concatenated(_constant('"'), local, _constant('"')), _constant(_NULL))
    return case((column == _sql_value(node.value), _json(node.then)), else_=_constant(_NULL))


def _concatenated(*parts: ColumnElement[Any]) -> ColumnElement[Any]:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(part)
    return joined


def _constant(text: str) -> ColumnElement[str]:
    """A text constant written into the statement (from the document's description, never from a request)."""
    return literal_column("'" + text.replace("'", "''") + "'", Text)


def _sql_value(value: Any) -> ColumnElement[Any]:
    plain = documents.plain(value)
    if isinstance(plain, bool):
        return literal_column("true" if plain else "false")
    if isinstance(plain, int):
        return literal_column(str(plain))
    return _constant(str(plain))
