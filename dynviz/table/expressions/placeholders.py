"""A request's ExpressionAttributeNames and ExpressionAttributeValues.

Placeholders are resolved while an expression is parsed, and every one must be used
by some expression of the request: DynamoDB refuses a request with an unused one.
"""

from __future__ import annotations

import re
from typing import Any

from dynviz.table.errors import ValidationException, invalid_type
from dynviz.table.expressions.nodes import Value
from dynviz.table.expressions.tokens import invalid, one_line
from dynviz.table.values import check_name_size, check_value

_NAME_KEY = re.compile(r"#\w+")
_VALUE_KEY = re.compile(r":\w+")
"""A placeholder is one token of an expression: "#" or ":" and letters, digits, "_"."""


class Placeholders:
    """A request's ExpressionAttributeNames/Values and which of them were used."""

    def __init__(self, names: Any = None, values: Any = None) -> None:
        if names is not None and not isinstance(names, dict):
            raise ValidationException("ExpressionAttributeNames must be a map")
        if values is not None and not isinstance(values, dict):
            raise ValidationException("ExpressionAttributeValues must be a map")
        if names is not None and not names:
            raise ValidationException("ExpressionAttributeNames must not be empty")
        if values is not None and not values:
            raise ValidationException("ExpressionAttributeValues must not be empty")
        self.names: dict[str, str] = dict(names or {})
        for k, name in self.names.items():
            if not isinstance(k, str) or not _NAME_KEY.fullmatch(k):
                raise ValidationException(f"ExpressionAttributeNames contains invalid key: Syntax error; key: \"{one_line(str(k))}\"")
            if not isinstance(name, str):
                raise invalid_type(f"ExpressionAttributeNames.{k}", name, str)
            if not name:
                raise ValidationException(f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}")
            check_name_size(name)
        self.values: dict[str, dict[str, Any]] = {}
        for k, v in (values or {}).items():
            if not isinstance(k, str) or not _VALUE_KEY.fullmatch(k):
                raise ValidationException(f"ExpressionAttributeValues contains invalid key: Syntax error; key: \"{one_line(str(k))}\"")
            try:
                self.values[k] = check_value(v, f"ExpressionAttributeValues.{k}")
            except ValidationException as exc:
                raise ValidationException(
                    f"ExpressionAttributeValues contains invalid value: {exc.message} for key {k}") from None
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def value(self, name: str, kind: str) -> Value:
        """The value placeholder ``name`` (``:v``) as used by a ``kind`` expression."""
        if name not in self.values:
            raise invalid(kind, f"An expression attribute value used in expression is not defined; attribute value: {name}")
        self.used_values.add(name)
        return Value(name, self.values[name])

    def check_unused(self) -> None:
        """After every expression of a request was parsed: nothing may be left unused."""
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise ValidationException(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + ", ".join(unused) + "}")
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise ValidationException(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + ", ".join(unused) + "}")
