"""The AST of DynamoDB expressions: frozen nodes, and the walks every kind shares.

A parsed expression holds real attribute names (``#name`` placeholders resolved) and
typed values (``Value``: the ``:value`` placeholder's name and its AttributeValue).
Conditions are ``Compare``, ``Between``, ``In``, ``Func`` (the boolean functions),
``And``, ``Or`` and ``Not`` over operands (``Path``, ``Value``, ``Size``); an update is
a list of ``Action``s whose SET values may be ``Arith``, ``IfNotExists`` or
``ListAppend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Path:
    parts: tuple[str | int, ...]

    def __str__(self) -> str:
        out = ""
        for p in self.parts:
            out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + p)
        return out

    @property
    def top(self) -> str:
        """The top-level attribute: a path always starts with a name."""
        top = self.parts[0]
        assert isinstance(top, str)
        return top


@dataclass(frozen=True, slots=True)
class Value:
    name: str
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Size:
    path: Path


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Between:
    operand: Any
    low: Any
    high: Any


@dataclass(frozen=True, slots=True)
class In:
    operand: Any
    options: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Func:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Or:
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Not:
    operand: Any


@dataclass(frozen=True, slots=True)
class Arith:
    op: str  # + or -
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class IfNotExists:
    path: Path
    default: Any


@dataclass(frozen=True, slots=True)
class ListAppend:
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Action:
    verb: str  # SET | REMOVE | ADD | DELETE
    path: Path
    value: Any = None


def render(node: Any) -> str:
    """A condition AST as expression text (names as written, values as placeholders)."""
    if isinstance(node, Path):
        return str(node)
    if isinstance(node, Value):
        return node.name
    if isinstance(node, Size):
        return f"size({node.path})"
    if isinstance(node, Compare):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    if isinstance(node, Between):
        return f"{render(node.operand)} BETWEEN {render(node.low)} AND {render(node.high)}"
    if isinstance(node, In):
        return f"{render(node.operand)} IN ({', '.join(render(o) for o in node.options)})"
    if isinstance(node, Func):
        return f"{node.name}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, (And, Or)):
        return f"({render(node.left)}) {'AND' if isinstance(node, And) else 'OR'} ({render(node.right)})"
    if isinstance(node, Not):
        return f"NOT ({render(node.operand)})"
    raise TypeError(f"not a condition: {node!r}")


def condition_paths(node: Any) -> list[Path]:
    """Every document path a condition reads (to reject key attributes in filters)."""
    out: list[Path] = []

    def walk(n: Any) -> None:
        if isinstance(n, Path):
            out.append(n)
        elif isinstance(n, Size):
            out.append(n.path)
        elif isinstance(n, (Compare, And, Or, ListAppend)):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Between):
            walk(n.operand)
            walk(n.low)
            walk(n.high)
        elif isinstance(n, In):
            walk(n.operand)
            for o in n.options:
                walk(o)
        elif isinstance(n, Func):
            for a in n.args:
                walk(a)
        elif isinstance(n, Not):
            walk(n.operand)

    walk(node)
    return out
