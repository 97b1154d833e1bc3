"""``ARRAY(SELECT ...)`` for PostgreSQL, which SQLAlchemy has no construct for.

``tasks.id = ANY(ARRAY(SELECT ...))`` makes PostgreSQL run the select once, as an init plan, and look the ids
up by primary key, whatever it guesses about how many there are; ``tasks.id IN (SELECT ...)`` lets a generic
plan, which cannot see a bound LIMIT, turn into a hash join over the whole table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, CompoundSelect, Select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine


class ArrayOf(ColumnElement[Any]):
    """The ids a select gives, as one PostgreSQL array."""

    inherit_cache = True
    _traverse_internals = [("select", InternalTraversal.dp_clauseelement)]  # noqa: RUF012 (SQLAlchemy's protocol)
    type: TypeEngine[Any] = ARRAY(BigInteger)

    def __init__(self, select: Select[Any] | CompoundSelect[Any]) -> None:
        self.select = select


@compiles(ArrayOf)
def _array_of(element: ArrayOf, compiler: Any, **keywords: Any) -> str:
    return f"ARRAY({compiler.process(element.select, asfrom=False, **keywords)})"
