"""DynamoDB's legacy parameters, spoken by translating them into expressions.

Before expressions (2014) a request said what it wanted with maps: AttributesToGet
for a projection, KeyConditions for a Query's keys, QueryFilter and ScanFilter for
filters, Expected for a write's condition, AttributeUpdates for an UpdateItem's
changes, ConditionalOperator to OR their conditions instead of AND-ing them
(Developer Guide, "Legacy conditional parameters"). Older clients and SDK layers still
send them, so dynviz answers them; but it keeps one implementation of each behaviour:
every function here checks a legacy request with DynamoDB's own messages and returns
the *expression* request that means the same thing, which the table layer then runs
like any other. The caller's dict is never changed.

The translation is exact, not approximate, where the two languages differ:

- ``NE`` is true for a missing attribute: ``attribute_not_exists(a) OR a <> :v``.
- ``NOT_CONTAINS`` is false for a missing attribute (unlike NE):
  ``attribute_exists(a) AND NOT contains(a, :v)``.
- ``NULL``/``NOT_NULL`` test whether the attribute exists, not its NULL type.
- ``ADD`` of a list appends to it, which UpdateExpression's ADD does not do:
  ``SET a = list_append(if_not_exists(a, :empty), :v)``.

Which mixtures DynamoDB refuses is not simply "legacy with expressions": a write
may not mix the two at all, but a Query may read KeyConditions with a
ProjectionExpression or FilterExpression (only a legacy parameter that does the same
job as one of the request's expressions, or a filter or projection beside any of its
read expressions, is refused). Attribute names and values become generated
placeholders (``#0``, ``:0``), numbered past any the caller's own
ExpressionAttributeNames/Values already use, so the two never meet. The text is kept
terse (``#0=:0,#1=:1``) because an expression may be at most 4 KB and the legacy maps
have no such limit: an UpdateItem putting a few hundred attributes must still fit.
"""

from __future__ import annotations

from typing import Any

from dynviz.table.errors import ValidationException, invalid_type
from dynviz.table.schema import TableSchema
from dynviz.table.values import check_value, order, show, type_of

__all__ = ["translate_get", "translate_query", "translate_scan", "translate_update", "translate_write"]

_INVALID = "One or more parameter values were invalid: "
_OPERATORS = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
_SCALARS = ("S", "N", "B")
_ARG_COUNTS: dict[str, tuple[int, int | None]] = {
    "EQ": (1, 1), "NE": (1, 1), "LE": (1, 1), "LT": (1, 1), "GE": (1, 1), "GT": (1, 1),
    "CONTAINS": (1, 1), "NOT_CONTAINS": (1, 1), "BEGINS_WITH": (1, 1),
    "NULL": (0, 0), "NOT_NULL": (0, 0), "IN": (1, None), "BETWEEN": (2, 2),
}
"""Each ComparisonOperator's number of AttributeValueList entries: (least, most)."""
_ARG_TYPES: dict[str, tuple[str, ...]] = {
    "LE": _SCALARS, "LT": _SCALARS, "GE": _SCALARS, "GT": _SCALARS, "CONTAINS": _SCALARS,
    "NOT_CONTAINS": _SCALARS, "IN": _SCALARS, "BETWEEN": _SCALARS, "BEGINS_WITH": ("S", "B"),
}
"""The value types an operator takes (EQ and NE take any)."""
_KEY_OPERATORS = ("EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN")
_COMPARATORS = {"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_ACTIONS = ("PUT", "DELETE", "ADD")
_READ_EXPRESSIONS = ("ProjectionExpression", "FilterExpression", "KeyConditionExpression")
_WRITE_EXPRESSIONS = ("UpdateExpression", "ConditionExpression")
"""The expression parameters, in the order DynamoDB lists them when refusing a mixture."""


def _bad(message: str) -> ValidationException:
    return ValidationException(message)


class _Request:
    """The expression request being written: a copy of the caller's without its legacy
    parameters, and the placeholders its expressions use, beside the caller's own."""

    def __init__(self, p: dict[str, Any], legacy: tuple[str, ...]) -> None:
        self.out = {k: v for k, v in p.items() if k not in legacy}
        names, values = p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")
        for param, given in (("ExpressionAttributeNames", names), ("ExpressionAttributeValues", values)):
            if given is not None and not isinstance(given, dict):
                raise _bad(f"{param} must be a map")
        self.names: dict[str, Any] = dict(names or {})
        self.values: dict[str, Any] = dict(values or {})
        self._placeholder_of: dict[str, str] = {}
        self._next = {"#": 0, ":": 0}

    def _fresh(self, prefix: str, taken: dict[str, Any]) -> str:
        """The next placeholder ``#n`` or ``:n`` that ``taken`` does not hold yet."""
        while f"{prefix}{self._next[prefix]}" in taken:
            self._next[prefix] += 1
        ph = f"{prefix}{self._next[prefix]}"
        self._next[prefix] += 1
        return ph

    def name(self, attr: str) -> str:
        """The placeholder of a top-level attribute name (one per name)."""
        ph = self._placeholder_of.get(attr)
        if ph is None:
            ph = self._placeholder_of[attr] = self._fresh("#", self.names)
            self.names[ph] = attr
        return ph

    def value(self, av: dict[str, Any]) -> str:
        ph = self._fresh(":", self.values)
        self.values[ph] = av
        return ph

    def done(self) -> dict[str, Any]:
        if self.names:
            self.out["ExpressionAttributeNames"] = self.names
        if self.values:
            self.out["ExpressionAttributeValues"] = self.values
        return self.out


# -- the operations


def translate_get(p: dict[str, Any]) -> dict[str, Any]:
    """A GetItem request, or a BatchGetItem table's part, with AttributesToGet."""
    legacy = _present(p, ("AttributesToGet",))
    if not legacy:
        return p
    _refuse_mixing(p, legacy, _READ_EXPRESSIONS)
    r = _Request(p, legacy)
    r.out["ProjectionExpression"] = _projection(r, p["AttributesToGet"])
    return r.done()


def translate_query(p: dict[str, Any], schema: TableSchema) -> dict[str, Any]:
    """A Query with KeyConditions, QueryFilter, AttributesToGet or ConditionalOperator.

    KeyConditions become a KeyConditionExpression that the key-condition check
    (keyconditions.py) then judges like any other; a QueryFilter may not name the
    keys of the table or index queried."""
    legacy = _present(p, ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"))
    if not legacy:
        return p
    _refuse_mixing(p, legacy, _READ_EXPRESSIONS)
    r = _Request(p, legacy)
    keys = p.get("KeyConditions")
    if keys is not None:
        r.out["KeyConditionExpression"] = _key_conditions(r, keys)
    filters = p.get("QueryFilter")
    if isinstance(filters, dict) and keys is not None:  # without key conditions, that error comes first
        ix = schema.index(p["IndexName"]) if isinstance(p.get("IndexName"), str) else None
        pk, sk = (ix.pk, ix.sk) if ix is not None else (schema.pk, schema.sk)
        for attr in filters:
            if attr == pk.name or (sk is not None and attr == sk.name):
                raise _bad(f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {attr}")
    _filter(r, p, "QueryFilter")
    if "AttributesToGet" in legacy:
        _select(p, "1 validation error detected: ")
        r.out["ProjectionExpression"] = _projection(r, p["AttributesToGet"])
    return r.done()


def translate_scan(p: dict[str, Any]) -> dict[str, Any]:
    """A Scan with ScanFilter, AttributesToGet or ConditionalOperator."""
    legacy = _present(p, ("AttributesToGet", "ScanFilter", "ConditionalOperator"))
    if not legacy:
        return p
    _refuse_mixing(p, legacy, _READ_EXPRESSIONS)
    r = _Request(p, legacy)
    _filter(r, p, "ScanFilter")
    if "AttributesToGet" in legacy:
        _select(p, "")
        r.out["ProjectionExpression"] = _projection(r, p["AttributesToGet"])
    return r.done()


def translate_write(p: dict[str, Any]) -> dict[str, Any]:
    """A PutItem or DeleteItem with Expected or ConditionalOperator."""
    legacy = _present(p, ("Expected", "ConditionalOperator"))
    if not legacy:
        return p
    _refuse_mixing(p, legacy, _WRITE_EXPRESSIONS)
    r = _Request(p, legacy)
    _expected(r, p)
    return r.done()


def translate_update(p: dict[str, Any], schema: TableSchema) -> dict[str, Any]:
    """An UpdateItem with AttributeUpdates, Expected or ConditionalOperator.

    An empty AttributeUpdates is an update that changes nothing (the item is still
    created if missing), as an UpdateItem without UpdateExpression is."""
    legacy = _present(p, ("AttributeUpdates", "Expected", "ConditionalOperator"))
    if not legacy:
        return p
    _refuse_mixing(p, legacy, _WRITE_EXPRESSIONS)
    r = _Request(p, legacy)
    updates = p.get("AttributeUpdates")
    if updates is not None:
        text = _attribute_updates(r, updates, schema)
        if text:
            r.out["UpdateExpression"] = text
    _expected(r, p)
    return r.done()


# -- what they share


def _present(p: dict[str, Any], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in names if p.get(n) is not None)


def _refuse_mixing(p: dict[str, Any], legacy: tuple[str, ...], expressions: tuple[str, ...]) -> None:
    """The mixtures DynamoDB refuses. A write speaks one language or the other. A read
    with any expression may not also have AttributesToGet, a legacy filter or
    ConditionalOperator, nor KeyConditions beside a KeyConditionExpression; but
    KeyConditions with a ProjectionExpression or FilterExpression is a valid Query.
    The caller's ExpressionAttributeNames/Values need an expression of the caller's
    own to be used in (ours come later)."""
    used = [n for n in expressions if p.get(n) is not None]
    refused = [n for n in legacy
               if n != "KeyConditions" or "KeyConditionExpression" in used] if used else []
    if refused:
        raise _bad("Can not use both expression and non-expression parameters in the same request: "
                   f"Non-expression parameters: {{{', '.join(refused)}}} "
                   f"Expression parameters: {{{', '.join(used)}}}")
    if p.get("ExpressionAttributeNames") is not None and not used:
        raise _bad("ExpressionAttributeNames can only be specified when using expressions")
    if p.get("ExpressionAttributeValues") is not None and not [n for n in used if n != "ProjectionExpression"]:
        raise _bad("ExpressionAttributeValues can only be specified when using expressions")


def _projection(r: _Request, names: Any) -> str:
    """AttributesToGet as a ProjectionExpression: top-level names, at least one, no repeats."""
    if not isinstance(names, (list, tuple)):
        raise invalid_type("AttributesToGet", names, list)
    if not names:
        raise _bad("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 1")
    seen: set[str] = set()
    for i, n in enumerate(names):
        if not isinstance(n, str):
            raise invalid_type(f"AttributesToGet[{i}]", n, str)
        if n in seen:
            raise _bad(f"{_INVALID}Duplicate value in attribute name: {n}")
        seen.add(n)
    return ",".join(r.name(n) for n in names)


def _select(p: dict[str, Any], prefix: str) -> None:
    """AttributesToGet asks for specific attributes: a Select that asks for others
    contradicts it (an unknown Select is left to the Select check itself)."""
    sel = p.get("Select")
    if sel in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"):
        raise _bad(f"{prefix}Cannot specify the AttributesToGet when choosing to get {sel}")
    if sel == "COUNT":
        raise _bad(f"{prefix}Cannot specify the AttributesToGet when choosing to get only the Count")


def _joiner(p: dict[str, Any], conditions: Any) -> str:
    """The ConditionalOperator joining a filter's or Expected's conditions: AND unless
    it says OR, and only where there are two or more conditions to join."""
    op = p.get("ConditionalOperator")
    if op is None:
        return " AND "
    if op not in ("AND", "OR"):
        raise _bad(f"1 validation error detected: Value '{op}' at 'conditionalOperator' failed to satisfy "
                   "constraint: Member must satisfy enum value set: [AND, OR]")
    if conditions is None:
        raise _bad("ConditionalOperator cannot be used without Filter or Expected")
    if not isinstance(conditions, dict) or len(conditions) < 2:
        raise _bad("ConditionalOperator can only be used when Filter or Expected has two or more elements")
    return f" {op} "


def _a_map(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_type(param, value, dict)
    return value


def _operator(cond: dict[str, Any], where: str) -> str:
    op = cond.get("ComparisonOperator")
    if op is None:
        raise _bad(f"1 validation error detected: Value null at '{where}.member.comparisonOperator' failed to "
                   "satisfy constraint: Member must not be null")
    if op not in _ARG_COUNTS:
        raise _bad(f"1 validation error detected: Value '{op}' at '{where}.member.comparisonOperator' failed to "
                   f"satisfy constraint: Member must satisfy enum value set: {_OPERATORS}")
    return str(op)


def _arguments(op: str, raw: Any, param: str) -> list[dict[str, Any]]:
    """An operator's AttributeValueList, checked: how many values, of which types."""
    if raw is None:
        raw = []
    if not isinstance(raw, (list, tuple)):
        raise invalid_type(param, raw, list)
    args = [check_value(v, f"{param}[{i}]") for i, v in enumerate(raw)]
    least, most = _ARG_COUNTS[op]
    if len(args) < least or (most is not None and len(args) > most):
        raise _bad(f"{_INVALID}Invalid number of argument(s) for the {op} ComparisonOperator")
    allowed = _ARG_TYPES.get(op)
    if allowed is not None:
        for a in args:
            if type_of(a) not in allowed:
                raise _bad(f"{_INVALID}ComparisonOperator {op} is not valid for {type_of(a)} AttributeValue type")
        if len({type_of(a) for a in args}) > 1:
            raise _bad(f"{_INVALID}AttributeValues inside AttributeValueList must be of same type")
    if op == "BETWEEN":
        low, high = args
        o = order(low, high)
        if o is not None and o > 0:
            raise _bad(f"{_INVALID}The BETWEEN operator requires upper bound to be greater than or equal to "
                       f"lower bound; lower operand: AttributeValue: {show(low)}, upper operand: "
                       f"AttributeValue: {show(high)}")
    return args


def _condition(r: _Request, attr: str, op: str, args: list[dict[str, Any]]) -> str:
    """One legacy condition on a top-level attribute as a condition expression."""
    n = r.name(attr)
    v = [r.value(a) for a in args]
    if op in _COMPARATORS:
        return f"{n}{_COMPARATORS[op]}{v[0]}"
    if op == "NE":
        return f"(attribute_not_exists({n}) OR {n}<>{v[0]})"
    if op == "NOT_NULL":
        return f"attribute_exists({n})"
    if op == "NULL":
        return f"attribute_not_exists({n})"
    if op == "CONTAINS":
        return f"contains({n},{v[0]})"
    if op == "NOT_CONTAINS":
        return f"(attribute_exists({n}) AND NOT contains({n},{v[0]}))"
    if op == "BEGINS_WITH":
        return f"begins_with({n},{v[0]})"
    if op == "IN":
        return f"{n} IN ({','.join(v)})"
    return f"{n} BETWEEN {v[0]} AND {v[1]}"  # BETWEEN


def _key_conditions(r: _Request, conditions: Any) -> str:
    """KeyConditions as a KeyConditionExpression: one or two conditions, each an
    operator a key range can be read with."""
    conditions = _a_map(conditions, "KeyConditions")
    if not 1 <= len(conditions) <= 2:
        raise _bad("Conditions can be of length 1 or 2 only")
    terms = []
    for attr, cond in conditions.items():
        cond = _a_map(cond, f"KeyConditions.{attr}")
        op = _operator(cond, f"keyConditions.{attr}")
        args = _arguments(op, cond.get("AttributeValueList"), f"KeyConditions.{attr}.AttributeValueList")
        if op not in _KEY_OPERATORS:
            raise _bad("Attempted conditional constraint is not an indexable operation")
        terms.append(_condition(r, attr, op, args))
    return " AND ".join(terms)


def _filter(r: _Request, p: dict[str, Any], param: str) -> None:
    """A QueryFilter or ScanFilter as the FilterExpression (none for an empty one)."""
    conditions = p.get(param)
    joiner = _joiner(p, conditions)
    if conditions is None:
        return
    conditions = _a_map(conditions, param)
    where = param[0].lower() + param[1:]
    terms = []
    for attr, cond in conditions.items():
        cond = _a_map(cond, f"{param}.{attr}")
        op = _operator(cond, f"{where}.{attr}")
        args = _arguments(op, cond.get("AttributeValueList"), f"{param}.{attr}.AttributeValueList")
        terms.append(_condition(r, attr, op, args))
    if terms:
        r.out["FilterExpression"] = joiner.join(f"({t})" for t in terms)


def _expected(r: _Request, p: dict[str, Any]) -> None:
    """Expected as the ConditionExpression (none for an empty one). Each entry is a
    ComparisonOperator with its values (AttributeValueList, or a single Value), or
    the older form: Value alone (it equals), or Exists false (it is missing)."""
    conditions = p.get("Expected")
    joiner = _joiner(p, conditions)
    if conditions is None:
        return
    conditions = _a_map(conditions, "Expected")
    terms = []
    for attr, cond in conditions.items():
        cond = _a_map(cond, f"Expected.{attr}")
        value, values, exists = cond.get("Value"), cond.get("AttributeValueList"), cond.get("Exists")
        if exists is not None and not isinstance(exists, bool):
            raise invalid_type(f"Expected.{attr}.Exists", exists, bool)
        if value is not None and values is not None:
            raise _bad(f"{_INVALID}Value and AttributeValueList cannot be used together for Attribute: {attr}")
        if cond.get("ComparisonOperator") is not None:
            if exists is not None:
                raise _bad(f"{_INVALID}Exists and ComparisonOperator cannot be used together for Attribute: {attr}")
            op = _operator(cond, f"expected.{attr}")
            if op not in ("NULL", "NOT_NULL") and value is None and values is None:
                raise _bad(f"{_INVALID}Value or AttributeValueList must be used with ComparisonOperator: {op} "
                           f"for Attribute: {attr}")
            raw = values if values is not None else ([value] if value is not None else [])
            args = _arguments(op, raw, f"Expected.{attr}.AttributeValueList")
            terms.append(_condition(r, attr, op, args))
        elif values is not None:
            raise _bad(f"{_INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: {attr}")
        elif exists is False:
            if value is not None:
                raise _bad(f"{_INVALID}Value cannot be used when Exists is false for Attribute: {attr}")
            terms.append(_condition(r, attr, "NULL", []))
        else:
            if value is None:
                said = "null" if exists is None else "true"
                raise _bad(f"{_INVALID}Value must be provided when Exists is {said} for Attribute: {attr}")
            terms.append(_condition(r, attr, "EQ", [check_value(value, f"Expected.{attr}.Value")]))
    if terms:
        r.out["ConditionExpression"] = joiner.join(f"({t})" for t in terms)


def _attribute_updates(r: _Request, updates: Any, schema: TableSchema) -> str:
    """AttributeUpdates as an UpdateExpression. PUT sets; DELETE without a value
    removes the attribute, with a set removes those elements; ADD adds to a number,
    unions into a set, appends to a list, and creates the attribute when missing."""
    updates = _a_map(updates, "AttributeUpdates")
    clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
    for attr, u in updates.items():
        u = _a_map(u, f"AttributeUpdates.{attr}")
        action = u.get("Action", "PUT")
        if action not in _ACTIONS:
            raise _bad(f"1 validation error detected: Value '{action}' at 'attributeUpdates.{attr}.member.action' "
                       "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
        if attr in schema.key_names:
            raise _bad(f"{_INVALID}Cannot update attribute {attr}. This attribute is part of the key")
        raw = u.get("Value")
        if raw is None:
            if action != "DELETE":
                raise _bad(f"{_INVALID}Only DELETE action is allowed when no attribute value is specified")
            clauses["REMOVE"].append(r.name(attr))
            continue
        value = check_value(raw, f"AttributeUpdates.{attr}.Value")
        t = type_of(value)
        n = r.name(attr)
        if action == "PUT":
            clauses["SET"].append(f"{n}={r.value(value)}")
        elif action == "DELETE":
            if t not in ("SS", "NS", "BS"):
                raise _bad(f"{_INVALID}DELETE action with value is not supported for the type {t}")
            clauses["DELETE"].append(f"{n} {r.value(value)}")
        elif t == "L":
            clauses["SET"].append(f"{n}=list_append(if_not_exists({n},{r.value({'L': []})}),{r.value(value)})")
        elif t in ("N", "SS", "NS", "BS"):
            clauses["ADD"].append(f"{n} {r.value(value)}")
        else:
            raise _bad(f"{_INVALID}ADD action is not supported for the type {t}")
    return " ".join(f"{verb} {','.join(parts)}" for verb, parts in clauses.items() if parts)
