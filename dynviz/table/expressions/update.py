"""Applying an UpdateExpression's actions (SET, REMOVE, ADD, DELETE) to an item."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dynviz.table.errors import ValidationException
from dynviz.table.expressions.evaluate import resolve
from dynviz.table.expressions.nodes import Action, Arith, IfNotExists, ListAppend, Path, Value
from dynviz.table.values import Item, add_numbers, copy_item, copy_value, type_of

BAD_OPERAND = "An operand in the update expression has an incorrect data type"


def _bad_operand() -> ValidationException:
    return ValidationException(BAD_OPERAND)


def _set_value(node: Any, item: Item) -> dict[str, Any]:
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        v = resolve(item, node)
        if v is None:
            raise ValidationException("The provided expression refers to an attribute that does not exist in the item")
        return v
    if isinstance(node, IfNotExists):
        v = resolve(item, node.path)
        return v if v is not None else _set_value(node.default, item)
    if isinstance(node, ListAppend):
        a, b = _set_value(node.left, item), _set_value(node.right, item)
        if type_of(a) != "L" or type_of(b) != "L":
            raise _bad_operand()
        return {"L": [*a["L"], *b["L"]]}
    if isinstance(node, Arith):
        a, b = _set_value(node.left, item), _set_value(node.right, item)
        if type_of(a) != "N" or type_of(b) != "N":
            raise _bad_operand()
        return {"N": add_numbers(a["N"], b["N"], subtract=node.op == "-")}
    raise TypeError(node)


def _invalid_path() -> ValidationException:
    return ValidationException("The document path provided in the update expression is invalid for update")


def _container(item: Item, path: Path, create: bool) -> tuple[Any, str | int] | None:
    """The dict or list holding the last step of ``path``, and that step."""
    parts = path.parts
    if len(parts) == 1:
        return item, parts[0]
    cur = item.get(path.top)
    for p in parts[1:-1]:
        if cur is None:
            break
        if isinstance(p, int):
            lst = cur.get("L")
            cur = lst[p] if lst is not None and p < len(lst) else None
        else:
            m = cur.get("M")
            cur = m.get(p) if m is not None else None
    last = parts[-1]
    if cur is None:
        if create:
            raise _invalid_path()
        return None
    if isinstance(last, int):
        if "L" not in cur:
            if create:
                raise _invalid_path()
            return None
        return cur["L"], last
    if "M" not in cur:
        if create:
            raise _invalid_path()
        return None
    return cur["M"], last


def _put(item: Item, path: Path, value: dict[str, Any]) -> None:
    found = _container(item, path, create=True)
    assert found is not None  # with create, a missing container raises instead
    holder, last = found
    if isinstance(last, int):
        if last >= len(holder):
            holder.append(value)
        else:
            holder[last] = value
    else:
        holder[last] = value


def _list_index(a: Action) -> int:
    """Where a SET goes in the order of application: SETs of list elements by element
    number, since elements set past a list's end are appended in that order (Developer
    Guide, "Adding elements to a list"); every other action keeps its place."""
    last = a.path.parts[-1]
    return last if a.verb == "SET" and isinstance(last, int) else -1


def apply_update(actions: list[Action], item: Item, item_exists: bool = True) -> Item:
    """A new item: ``item`` (not modified) with the actions applied. Every operand is
    read from the item as it was before the update, as DynamoDB does. A REMOVE whose
    path runs through something that is not a map or list (or not there at all) is an
    error on an item that exists; on one that does not (``item_exists`` False, ``item``
    then holds only the key) there is nothing to remove and it does nothing."""
    computed: list[dict[str, Any] | None] = []
    for a in actions:
        if a.verb == "SET":
            computed.append(copy_value(_set_value(a.value, item)))
        else:
            computed.append(None)
    out = copy_item(item)
    removes: list[Path] = []
    order = sorted(range(len(actions)), key=lambda i: _list_index(actions[i]))
    for a, value in ((actions[i], computed[i]) for i in order):
        if a.verb == "SET":
            assert value is not None  # computed above for every SET
            _put(out, a.path, value)
        elif a.verb == "REMOVE":
            removes.append(a.path)
        elif a.verb == "ADD":
            cur = resolve(out, a.path)
            add = a.value.value
            t = type_of(add)
            if cur is None:
                _put(out, a.path, copy_value(add))
            elif type_of(cur) != t:
                raise _bad_operand()
            elif t == "N":
                _put(out, a.path, {"N": add_numbers(cur["N"], add["N"])})
            else:
                merged = list(cur[t])
                if t == "NS":
                    have = {Decimal(x) for x in merged}
                    merged += [x for x in add[t] if Decimal(x) not in have]
                else:
                    merged += [x for x in add[t] if x not in merged]
                _put(out, a.path, {t: merged})
        else:  # DELETE
            cur = resolve(out, a.path)
            sub = a.value.value
            t = type_of(sub)
            if cur is None:
                continue
            if type_of(cur) != t:
                raise _bad_operand()
            if t == "NS":
                drop = {Decimal(x) for x in sub[t]}
                left = [x for x in cur[t] if Decimal(x) not in drop]
            else:
                left = [x for x in cur[t] if x not in sub[t]]
            if left:
                _put(out, a.path, {t: left})
            else:
                removes.append(a.path)
    # list elements go from the highest index down, so earlier indexes stay valid
    for path in sorted(removes, key=lambda p: [(-x if isinstance(x, int) else 0) for x in p.parts]):
        found = _container(out, path, create=False)
        if found is None:
            if item_exists:
                raise _invalid_path()
            continue
        holder, last = found
        if isinstance(last, int):
            if last < len(holder):
                del holder[last]
        else:
            holder.pop(last, None)
    return out
