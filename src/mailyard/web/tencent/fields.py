"""Declarative reading of one action's parameters, the same for JSON bodies and flattened pairs.

``Fields(params)`` reads top-level parameters; ``nested`` and ``nested_list`` read objects such
as ``Template`` with their dotted names (``Template.TemplateID``) in every message. The rules match
the real service (spec 1.6, gotcha 14): an absent required field is ``MissingParameter`` (or the
action's own, more precise code), a value of the wrong type is ``InvalidParameter`` (through
``coercion``), a value out of range is ``InvalidParameterValue``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from mailyard.domain import identifiers
from mailyard.web.tencent.coercion import UINT64_MAX, as_bool, as_str, as_uint64
from mailyard.web.tencent.errors import TencentError

MISSING = "MissingParameter"
INVALID_VALUE = "InvalidParameterValue"
INVALID_LIMIT = ("FailedOperation.InvalidLimit", "The Limit must be at most 100.")
PAGE_LIMIT = 100
MAX_OFFSET = 2**62  # what SQL can skip; any offset beyond the data gives an empty page anyway


class Fields:
    """The parameters of one request (or of one nested object in it)."""

    def __init__(self, params: Mapping[str, Any], prefix: str = "") -> None:
        self._params = params
        self._prefix = prefix

    def name(self, key: str) -> str:
        """The dotted name a client sees, such as ``CycleParam.IntervalTime``."""
        return self._prefix + key

    def has(self, key: str) -> bool:
        return self._params.get(key) is not None

    def _raw(self, key: str, missing: str | None) -> Any:
        value = self._params.get(key)
        if value is None and missing is not None:
            raise TencentError(missing, f"The request is missing the required parameter {self.name(key)}.")
        return value

    # ---- scalars ---------------------------------------------------------------------------------

    def uint(self, key: str, *, missing: str = MISSING, minimum: int = 0, maximum: int = UINT64_MAX) -> int:
        """A required ``uint64`` within ``minimum..maximum``."""
        return self._ranged(as_uint64(self._raw(key, missing), self.name(key)), key, minimum, maximum)

    def optional_uint(self, key: str, *, minimum: int = 0, maximum: int = UINT64_MAX) -> int | None:
        value = self._raw(key, None)
        if value is None:
            return None
        return self._ranged(as_uint64(value, self.name(key)), key, minimum, maximum)

    def id(self, key: str, *, missing: str = MISSING) -> int:
        """A required id: a ``uint64`` on the wire, within what the store holds (``identifiers.check_id``)."""
        return identifiers.check_id(self.uint(key, missing=missing), self.name(key))

    def optional_id(self, key: str) -> int | None:
        value = self.optional_uint(key)
        return None if value is None else identifiers.check_id(value, self.name(key))

    def choice(self, key: str, allowed: Collection[int], *, missing: str = MISSING) -> int:
        """A required ``uint64`` that must be one of ``allowed``."""
        return self._chosen(as_uint64(self._raw(key, missing), self.name(key)), key, allowed)

    def optional_choice(self, key: str, allowed: Collection[int]) -> int | None:
        value = self._raw(key, None)
        return None if value is None else self._chosen(as_uint64(value, self.name(key)), key, allowed)

    def text(self, key: str, *, missing: str = MISSING, max_length: int | None = None) -> str:
        """A required string (it may be empty unless the action checks otherwise)."""
        return self._bounded(as_str(self._raw(key, missing), self.name(key)), key, max_length)

    def optional_text(self, key: str, *, max_length: int | None = None) -> str | None:
        value = self._raw(key, None)
        if value is None:
            return None
        return self._bounded(as_str(value, self.name(key)), key, max_length)

    def optional_bool(self, key: str) -> bool | None:
        value = self._raw(key, None)
        return None if value is None else as_bool(value, self.name(key))

    # ---- paging ----------------------------------------------------------------------------------

    def limit(self, key: str = "Limit", *, maximum: int = PAGE_LIMIT) -> int:
        """``Limit`` of the paged actions: above ``maximum`` is ``FailedOperation.InvalidLimit``."""
        value = as_uint64(self._raw(key, MISSING), self.name(key))
        if value > maximum:
            raise TencentError(*INVALID_LIMIT)
        return value

    def offset(self, key: str = "Offset") -> int:
        """A required ``Offset``, clamped to what the database can skip."""
        return min(as_uint64(self._raw(key, MISSING), self.name(key)), MAX_OFFSET)

    # ---- containers ------------------------------------------------------------------------------

    def nested(self, key: str, *, missing: str | None = MISSING) -> Fields | None:
        """An object parameter; ``None`` when it is absent and optional."""
        value = self._raw(key, missing)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise TencentError("InvalidParameter", f"The parameter {self.name(key)} must be an object.")
        return Fields(value, f"{self.name(key)}.")

    def nested_list(self, key: str, *, missing: str | None = MISSING) -> list[Fields]:
        return [
            self._object_item(item, f"{self.name(key)}.{index}") for index, item in enumerate(self._list(key, missing))
        ]

    def text_list(self, key: str, *, missing: str | None = MISSING) -> list[str]:
        return [as_str(item, f"{self.name(key)}.{index}") for index, item in enumerate(self._list(key, missing))]

    def _list(self, key: str, missing: str | None) -> list[Any]:
        value = self._raw(key, missing)
        if value is None:
            return []
        if not isinstance(value, list):
            raise TencentError("InvalidParameter", f"The parameter {self.name(key)} must be an array.")
        return value

    @staticmethod
    def _object_item(item: Any, name: str) -> Fields:
        if not isinstance(item, Mapping):
            raise TencentError("InvalidParameter", f"The parameter {name} must be an object.")
        return Fields(item, f"{name}.")

    # ---- checks ----------------------------------------------------------------------------------

    def _ranged(self, number: int, key: str, minimum: int, maximum: int) -> int:
        if not minimum <= number <= maximum:
            raise TencentError(
                INVALID_VALUE, f"The parameter {self.name(key)} must be between {minimum} and {maximum}."
            )
        return number

    def _chosen(self, number: int, key: str, allowed: Collection[int]) -> int:
        if number not in allowed:
            shown = ", ".join(str(item) for item in sorted(allowed))
            raise TencentError(INVALID_VALUE, f"The parameter {self.name(key)} must be one of {shown}.")
        return number

    def _bounded(self, text: str, key: str, max_length: int | None) -> str:
        if max_length is not None and len(text) > max_length:
            raise TencentError(
                INVALID_VALUE, f"The parameter {self.name(key)} must be at most {max_length} characters."
            )
        return text
