"""DynamoDB expressions: a tokenizer, a recursive-descent parser and an evaluator.

One grammar serves every kind (AWS Developer Guide, "Expressions"):

    condition  := or
    or         := and ("OR" and)*
    and        := not ("AND" not)*
    not        := "NOT" not | primary
    primary    := "(" condition ")"
                | function "(" operand ("," operand)* ")"          -- boolean functions
                | operand comparator operand
                | operand "BETWEEN" operand "AND" operand
                | operand "IN" "(" operand ("," operand)* ")"
    operand    := path | ":value" | "size" "(" path ")"
    path       := (name | "#name") ("." (name | "#name") | "[" digits "]")*
    update     := (("SET" set ("," set)*) | ("REMOVE" path ("," path)*)
                  | ("ADD" path ":value" ("," ...)*) | ("DELETE" path ":value" ("," ...)*))+
    set        := path "=" value
    value      := term (("+" | "-") term)?
    term       := operand | "if_not_exists" "(" path "," value ")"
                | "list_append" "(" value "," value ")"
    projection := path ("," path)*

Keywords (AND, OR, NOT, BETWEEN, IN, SET, ...) are case-insensitive; function names
are not. ``#name`` and ``:value`` placeholders are resolved while parsing, so a parsed
expression holds real attribute names and typed values, and the parser records which
placeholders were used (a request whose ExpressionAttributeNames/Values hold an unused
one is rejected, as DynamoDB does). Errors are ``ValidationException`` with DynamoDB's
wording ("Invalid FilterExpression: Syntax error; token: ..., near: ...").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dynviz.table.errors import ValidationException
from dynviz.table.reserved import RESERVED_WORDS
from dynviz.table.values import (
    Item,
    copy_value,
    equal,
    number_text,
    order,
    show,
    to_decimal,
    type_of,
)

# ------------------------------------------------------------------------- tokens

_SYMBOLS2 = ("<>", "<=", ">=")
_SYMBOLS1 = "()[],.=<>+-"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name | attrname | attrvalue | number | sym | eof
    text: str
    start: int
    end: int


def tokenize(text: str, kind: str) -> list[Token]:
    """Split an expression into tokens; an unknown character is a syntax error."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Token("name", text[i:j], i, j))
        elif c in "#:":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i + 1:
                _syntax(kind, text, out, Token("sym", c, i, i + 1))
            out.append(Token("attrname" if c == "#" else "attrvalue", text[i:j], i, j))
        elif c.isdigit():
            j = i + 1
            while j < n and text[j].isdigit():
                j += 1
            out.append(Token("number", text[i:j], i, j))
        elif text[i:i + 2] in _SYMBOLS2:
            out.append(Token("sym", text[i:i + 2], i, i + 2))
            i += 2
            continue
        elif c in _SYMBOLS1:
            out.append(Token("sym", c, i, i + 1))
            i += 1
            continue
        else:
            _syntax(kind, text, out, Token("sym", c, i, i + 1))
        i = out[-1].end
    out.append(Token("eof", "<EOF>", n, n))
    return out


def _one_line(text: str) -> str:
    """Expression text quoted in an error, its line breaks escaped: errors are one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _syntax(kind: str, text: str, before: list[Token], tok: Token) -> None:
    start = before[-1].start if before else tok.start
    near = text[start:tok.end] if tok.kind != "eof" else text[start:]
    raise ValidationException(f'Invalid {kind}: Syntax error; token: "{_one_line(tok.text)}", '
                              f'near: "{_one_line(near)}"')


# -------------------------------------------------------------------------- nodes


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
        return self.parts[0]  # type: ignore[return-value]


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


_CONDITION_FUNCS = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
                    "begins_with": 2, "contains": 2}
_ALL_FUNCS = {**_CONDITION_FUNCS, "size": 1, "if_not_exists": 2, "list_append": 2}
_COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
_TYPE_NAMES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")


# ------------------------------------------------------------------------- parser


class Placeholders:
    """A request's ExpressionAttributeNames/Values and which of them were used."""

    def __init__(self, names: Any = None, values: Any = None) -> None:
        from dynviz.table.values import check_value

        if names is not None and not isinstance(names, dict):
            raise ValidationException("ExpressionAttributeNames must be a map")
        if values is not None and not isinstance(values, dict):
            raise ValidationException("ExpressionAttributeValues must be a map")
        if names is not None and not names:
            raise ValidationException("ExpressionAttributeNames must not be empty")
        if values is not None and not values:
            raise ValidationException("ExpressionAttributeValues must not be empty")
        self.names: dict[str, str] = dict(names or {})
        for k in self.names:
            if not k.startswith("#"):
                raise ValidationException(f"ExpressionAttributeNames contains invalid key: Syntax error; key: \"{_one_line(k)}\"")
        self.values: dict[str, dict[str, Any]] = {}
        for k, v in (values or {}).items():
            if not isinstance(k, str) or not k.startswith(":"):
                raise ValidationException(f"ExpressionAttributeValues contains invalid key: Syntax error; key: \"{_one_line(k)}\"")
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
            raise _invalid(kind, f"An expression attribute value used in expression is not defined; attribute value: {name}")
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


class Parser:
    def __init__(self, text: Any, kind: str, ph: Placeholders) -> None:
        if not isinstance(text, str):
            raise ValidationException(f"Invalid type for parameter {kind}, value: {text!r}, type: {type(text)}, valid types: <class 'str'>")
        if not text.strip():
            raise ValidationException(f"Invalid {kind}: The expression can not be empty;")
        self.text = text
        self.kind = kind
        self.ph = ph
        self.tokens = tokenize(text, kind)
        self.pos = 0

    # -- token helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def error(self, tok: Token | None = None) -> ValidationException:
        tok = tok or self.tok
        i = self.tokens.index(tok)
        start = self.tokens[i - 1].start if i > 0 else tok.start
        near = self.text[start:tok.end] if tok.kind != "eof" else self.text[start:]
        return ValidationException(f'Invalid {self.kind}: Syntax error; token: "{_one_line(tok.text)}", '
                                   f'near: "{_one_line(near)}"')

    def fail(self, message: str) -> ValidationException:
        return _invalid(self.kind, message)

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def is_sym(self, s: str) -> bool:
        t = self.tok
        return t.kind == "sym" and t.text == s

    def is_kw(self, word: str) -> bool:
        t = self.tok
        return t.kind == "name" and t.text.upper() == word

    def expect_sym(self, s: str) -> None:
        if not self.is_sym(s):
            raise self.error()
        self.pos += 1

    def expect_end(self) -> None:
        if self.tok.kind != "eof":
            raise self.error()

    # -- paths and operands

    def name_part(self) -> str:
        t = self.tok
        if t.kind == "attrname":
            self.pos += 1
            if t.text not in self.ph.names:
                raise self.fail(f"An expression attribute name used in the document path is not defined; attribute name: {t.text}")
            self.ph.used_names.add(t.text)
            return self.ph.names[t.text]
        if t.kind == "name":
            self.pos += 1
            if t.text.upper() in RESERVED_WORDS:
                raise self.fail(f"Attribute name is a reserved keyword; reserved keyword: {t.text}")
            return t.text
        raise self.error()

    def path(self) -> Path:
        parts: list[str | int] = [self.name_part()]
        while True:
            if self.is_sym("."):
                self.pos += 1
                parts.append(self.name_part())
            elif self.is_sym("["):
                self.pos += 1
                t = self.tok
                if t.kind != "number":
                    raise self.error()
                self.pos += 1
                self.expect_sym("]")
                parts.append(int(t.text))
            else:
                return Path(tuple(parts))

    def value_ref(self) -> Value:
        return self.ph.value(self.advance().text, self.kind)

    def is_func(self) -> bool:
        t = self.tok
        if t.kind != "name":
            return False
        nxt = self.tokens[self.pos + 1]
        return nxt.kind == "sym" and nxt.text == "("

    def func_call(self, allowed: dict[str, int], arg: Any) -> Func:
        name_tok = self.advance()
        name = name_tok.text
        if name not in _ALL_FUNCS:
            raise self.fail(f"Invalid function name; function: {name}")
        if name not in allowed:
            raise self.fail(f"The function is not allowed to be used this way in an expression; function: {name}")
        self.expect_sym("(")
        args = [arg()]
        while self.is_sym(","):
            self.pos += 1
            args.append(arg())
        self.expect_sym(")")
        if len(args) != allowed[name]:
            raise self.fail(f"Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {len(args)}")
        return Func(name, tuple(args))

    def operand(self) -> Any:
        t = self.tok
        if t.kind == "attrvalue":
            return self.value_ref()
        if self.is_func():
            f = self.func_call({"size": 1}, self.operand)
            if not isinstance(f.args[0], Path):
                raise self.fail("Incorrect operand type for operator or function; operator or function: size, operand type: "
                                + _type_word(f.args[0]))
            return Size(f.args[0])
        if t.kind in ("name", "attrname"):
            return self.path()
        raise self.error()

    # -- conditions

    def condition(self) -> Any:
        node = self.and_()
        while self.is_kw("OR"):
            self.pos += 1
            node = Or(node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.not_()
        while self.is_kw("AND"):
            self.pos += 1
            node = And(node, self.not_())
        return node

    def not_(self) -> Any:
        if self.is_kw("NOT"):
            self.pos += 1
            return Not(self.not_())
        return self.primary()

    def primary(self) -> Any:
        if self.is_sym("("):
            self.pos += 1
            node = self.condition()
            self.expect_sym(")")
            return node
        if self.is_func() and self.tok.text != "size":
            return _check_func(self.func_call(_CONDITION_FUNCS, self.operand), self.kind)
        left = self.operand()
        t = self.tok
        if t.kind == "sym" and t.text in _COMPARATORS:
            self.pos += 1
            return Compare(t.text, left, self.operand())
        if self.is_kw("BETWEEN"):
            self.pos += 1
            low = self.operand()
            if not self.is_kw("AND"):
                raise self.error()
            self.pos += 1
            return _check_between(Between(left, low, self.operand()), self.kind)
        if self.is_kw("IN"):
            self.pos += 1
            self.expect_sym("(")
            options = [self.operand()]
            while self.is_sym(","):
                self.pos += 1
                options.append(self.operand())
            self.expect_sym(")")
            return In(left, tuple(options))
        if isinstance(left, Size):
            raise self.fail("The function is not allowed to be used this way in an expression; function: size")
        raise self.error()

    # -- update expressions

    def update(self) -> list[Action]:
        actions: list[Action] = []
        seen: set[str] = set()
        while self.tok.kind != "eof":
            t = self.tok
            verb = t.text.upper() if t.kind == "name" else ""
            if verb not in ("SET", "REMOVE", "ADD", "DELETE"):
                raise self.error()
            if verb in seen:
                raise self.fail(f'The "{verb}" section can only be used once in an update expression;')
            seen.add(verb)
            self.pos += 1
            while True:
                actions.append(self.action(verb))
                if not self.is_sym(","):
                    break
                self.pos += 1
        if not actions:
            raise self.error()
        _check_overlaps(self, actions)
        return actions

    def action(self, verb: str) -> Action:
        path = self.path()
        if verb == "SET":
            self.expect_sym("=")
            return Action(verb, path, self.set_value())
        if verb == "REMOVE":
            return Action(verb, path)
        if self.tok.kind != "attrvalue":
            raise self.error()
        value = self.value_ref()
        t = type_of(value.value)
        if verb == "ADD" and t not in ("N", "SS", "NS", "BS"):
            raise self.fail(f"Incorrect operand type for operator or function; operator: ADD, operand type: {_type_word(value)}")
        if verb == "DELETE" and t not in ("SS", "NS", "BS"):
            raise self.fail(f"Incorrect operand type for operator or function; operator: DELETE, operand type: {_type_word(value)}")
        return Action(verb, path, value)

    def set_value(self) -> Any:
        left = self.set_term()
        if self.is_sym("+") or self.is_sym("-"):
            op = self.advance().text
            return Arith(op, left, self.set_term())
        return left

    def set_term(self) -> Any:
        if self.is_func():
            name = self.tok.text
            if name == "if_not_exists":
                f = self.func_call({"if_not_exists": 2}, self.set_value)
                if not isinstance(f.args[0], Path):
                    raise self.fail("Operator or function requires a document path; operator or function: if_not_exists")
                return IfNotExists(f.args[0], f.args[1])
            if name == "list_append":
                f = self.func_call({"list_append": 2}, self.set_value)
                return ListAppend(f.args[0], f.args[1])
            if name == "size":
                raise self.fail("The function is not allowed in an update expression; function: size")
            self.func_call({}, self.set_value)  # raises with the right message
        t = self.tok
        if t.kind == "attrvalue":
            return self.value_ref()
        if t.kind in ("name", "attrname"):
            return self.path()
        raise self.error()


def _invalid(kind: str, message: str) -> ValidationException:
    return ValidationException(_one_line(f"Invalid {kind}: {message}"))


def _check_between(node: Between, kind: str) -> Between:
    """A BETWEEN whose bounds are values must have them of one type and in order."""
    low, high = node.low, node.high
    if isinstance(low, Value) and isinstance(high, Value):
        o = order(low.value, high.value)
        if o is None and type_of(low.value) != type_of(high.value):
            raise _invalid(kind, "The BETWEEN operator requires same data type for lower and upper bounds; "
                                 f"lower bound operand: AttributeValue: {show(low.value)}, upper bound operand: "
                                 f"AttributeValue: {show(high.value)}")
        if o is not None and o > 0:
            raise _invalid(kind, "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                                 f"bound; lower operand: AttributeValue: {show(low.value)}, upper operand: "
                                 f"AttributeValue: {show(high.value)}")
    return node


def _check_func(f: Func, kind: str) -> Func:
    """A condition function's operands must be of the kinds it takes."""
    first = f.args[0]
    if not isinstance(first, Path) and f.name in ("attribute_exists", "attribute_not_exists", "attribute_type"):
        raise _invalid(kind, f"Operator or function requires a document path; operator or function: {f.name}")
    if f.name == "attribute_type":
        t = f.args[1]
        if not isinstance(t, Value) or type_of(t.value) != "S":
            raise _invalid(kind, "Incorrect operand type for operator or function; operator or function: "
                                 f"attribute_type, operand type: {_type_word(t)}")
        if t.value["S"] not in _TYPE_NAMES:
            raise _invalid(kind, f"Invalid attribute type name found; type: {t.value['S']}, valid types: "
                                 "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
    if f.name == "begins_with":
        for a in f.args:
            if isinstance(a, Value) and type_of(a.value) not in ("S", "B"):
                raise _invalid(kind, "Incorrect operand type for operator or function; operator or function: "
                                     f"begins_with, operand type: {_type_word(a)}")
    return f


def _type_word(node: Any) -> str:
    if isinstance(node, Value):
        return {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST",
                "M": "MAP", "SS": "SET", "NS": "SET", "BS": "SET"}[type_of(node.value)]
    return "PATH"


def _check_overlaps(p: Parser, actions: list[Action]) -> None:
    paths = [a.path.parts for a in actions]
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            n = min(len(a), len(b))
            if a[:n] == b[:n]:
                one = "[" + ", ".join(str(x) for x in a) + "]"
                two = "[" + ", ".join(str(x) for x in b) + "]"
                if a == b:
                    raise p.fail(f"Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}")
                raise p.fail(f"Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}")


# ---------------------------------------------------------------- parse entry points


class ConditionTree(str):
    """A condition built as this module's AST by a caller that never had it as text (the
    command language's ``table query``), passed where a request takes a condition
    expression. :func:`parse_condition` takes its tree as the parse of it: value
    placeholders (``Value(":v0", ...)``) are resolved against the request's
    ExpressionAttributeValues and checked as the parser checks them; attribute names are
    real names (no ``#`` placeholders). Its text (:func:`render`) is for people and for
    keys of the accelerator's cache; it is never parsed."""

    node: Any

    def __new__(cls, node: Any) -> ConditionTree:
        tree = super().__new__(cls, render(node))
        tree.node = node
        return tree

    def __reduce__(self) -> tuple[type[ConditionTree], tuple[Any]]:
        return (ConditionTree, (self.node,))


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


def _resolve(node: Any, kind: str, ph: Placeholders) -> Any:
    """A built condition with its value placeholders resolved and its operands checked."""
    if isinstance(node, Value):
        return ph.value(node.name, kind)
    if isinstance(node, (Path, Size)):
        return node
    if isinstance(node, Compare):
        return Compare(node.op, _resolve(node.left, kind, ph), _resolve(node.right, kind, ph))
    if isinstance(node, Between):
        parts = (_resolve(x, kind, ph) for x in (node.operand, node.low, node.high))
        return _check_between(Between(*parts), kind)
    if isinstance(node, In):
        return In(_resolve(node.operand, kind, ph), tuple(_resolve(o, kind, ph) for o in node.options))
    if isinstance(node, Func):
        return _check_func(Func(node.name, tuple(_resolve(a, kind, ph) for a in node.args)), kind)
    if isinstance(node, (And, Or)):
        return type(node)(_resolve(node.left, kind, ph), _resolve(node.right, kind, ph))
    if isinstance(node, Not):
        return Not(_resolve(node.operand, kind, ph))
    raise TypeError(f"not a condition: {node!r}")


def parse_condition(text: Any, kind: str, ph: Placeholders) -> Any:
    """A ``kind`` condition (KeyConditionExpression, FilterExpression, ...) as an AST:
    parsed from text, or taken from a :class:`ConditionTree`."""
    if isinstance(text, ConditionTree):
        return _resolve(text.node, kind, ph)
    p = Parser(text, kind, ph)
    node = p.condition()
    p.expect_end()
    return node


def parse_update(text: Any, ph: Placeholders) -> list[Action]:
    p = Parser(text, "UpdateExpression", ph)
    return p.update()


def parse_projection(text: Any, ph: Placeholders) -> list[Path]:
    p = Parser(text, "ProjectionExpression", ph)
    paths = [p.path()]
    while p.is_sym(","):
        p.pos += 1
        paths.append(p.path())
    p.expect_end()
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            n = min(len(a.parts), len(b.parts))
            if a.parts[:n] == b.parts[:n]:
                one = "[" + ", ".join(str(x) for x in a.parts) + "]"
                two = "[" + ", ".join(str(x) for x in b.parts) + "]"
                raise p.fail(f"Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}")
    return paths


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


# ---------------------------------------------------------------------- evaluation


def resolve(item: Item, path: Path) -> dict[str, Any] | None:
    """The value at ``path`` in ``item``, or None when any step is missing."""
    parts = path.parts
    cur: Any = item.get(path.top)
    for p in parts[1:]:
        if cur is None:
            return None
        if isinstance(p, int):
            lst = cur.get("L")
            if lst is None or p >= len(lst):
                return None
            cur = lst[p]
        else:
            m = cur.get("M")
            if m is None:
                return None
            cur = m.get(p)
    found: dict[str, Any] | None = cur
    return found


def _size(av: dict[str, Any] | None) -> dict[str, Any] | None:
    if av is None:
        return None
    (t, v), = av.items()
    if t in ("N", "BOOL", "NULL"):
        return None
    if t == "S":
        return {"N": str(len(v))}
    return {"N": str(len(v))}


def operand_value(node: Any, item: Item) -> dict[str, Any] | None:
    if isinstance(node, Path):
        return resolve(item, node)
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Size):
        return _size(resolve(item, node.path))
    raise TypeError(node)


def evaluate(node: Any, item: Item) -> bool:
    """Whether ``item`` (``{}`` for an absent item) satisfies the condition."""
    if isinstance(node, And):
        return evaluate(node.left, item) and evaluate(node.right, item)
    if isinstance(node, Or):
        return evaluate(node.left, item) or evaluate(node.right, item)
    if isinstance(node, Not):
        return not evaluate(node.operand, item)
    if isinstance(node, Compare):
        a = operand_value(node.left, item)
        b = operand_value(node.right, item)
        op = node.op
        if op == "=":
            return equal(a, b)
        if op == "<>":
            return a is not None and b is not None and not equal(a, b)
        o = order(a, b)
        if o is None:
            return False
        return (o < 0) if op == "<" else (o <= 0) if op == "<=" else (o > 0) if op == ">" else (o >= 0)
    if isinstance(node, Between):
        x = operand_value(node.operand, item)
        lo = order(x, operand_value(node.low, item))
        hi = order(x, operand_value(node.high, item))
        return lo is not None and hi is not None and lo >= 0 and hi <= 0
    if isinstance(node, In):
        x = operand_value(node.operand, item)
        return any(equal(x, operand_value(o, item)) for o in node.options)
    if isinstance(node, Func):
        return _function(node, item)
    raise TypeError(node)


def _function(f: Func, item: Item) -> bool:
    name = f.name
    if name == "attribute_exists":
        return resolve(item, f.args[0]) is not None
    if name == "attribute_not_exists":
        return resolve(item, f.args[0]) is None
    if name == "attribute_type":
        v = resolve(item, f.args[0])
        return v is not None and type_of(v) == f.args[1].value["S"]
    a = operand_value(f.args[0], item)
    b = operand_value(f.args[1], item)
    if a is None or b is None:
        return False
    ta, tb = type_of(a), type_of(b)
    if name == "begins_with":
        return ta == tb and ta in ("S", "B") and a[ta].startswith(b[tb])
    # contains
    if ta == "S" and tb == "S":
        return b["S"] in a["S"]
    if ta == "B" and tb == "B":
        return b["B"] in a["B"]
    if ta in ("SS", "NS", "BS"):
        if tb != ta[0]:
            return False
        if ta == "NS":
            return Decimal(b["N"]) in {Decimal(x) for x in a["NS"]}
        return b[tb] in a[ta]
    if ta == "L":
        return any(equal(x, b) for x in a["L"])
    return False


# -------------------------------------------------------------------------- updates


def _upd_error(message: str) -> ValidationException:
    return ValidationException(_one_line(f"Invalid UpdateExpression: {message}"))


def _bad_operand() -> ValidationException:
    return ValidationException("An operand in the update expression has an incorrect data type")


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
        x, y = to_decimal(a["N"]), to_decimal(b["N"])
        r = x + y if node.op == "+" else x - y
        return {"N": number_text(to_decimal(str(r)))}
    raise TypeError(node)


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
            raise ValidationException("The document path provided in the update expression is invalid for update")
        return None
    if isinstance(last, int):
        if "L" not in cur:
            if create:
                raise ValidationException("The document path provided in the update expression is invalid for update")
            return None
        return cur["L"], last
    if "M" not in cur:
        if create:
            raise ValidationException("The document path provided in the update expression is invalid for update")
        return None
    return cur["M"], last


def _put(item: Item, path: Path, value: dict[str, Any]) -> None:
    holder, last = _container(item, path, create=True)  # type: ignore[misc]
    if isinstance(last, int):
        if last >= len(holder):
            holder.append(value)
        else:
            holder[last] = value
    else:
        holder[last] = value


def apply_update(actions: list[Action], item: Item) -> Item:
    """A new item: ``item`` (not modified) with the actions applied. Every operand is
    read from the item as it was before the update, as DynamoDB does."""
    from dynviz.table.values import copy_item

    computed: list[dict[str, Any] | None] = []
    for a in actions:
        if a.verb == "SET":
            computed.append(copy_value(_set_value(a.value, item)))
        else:
            computed.append(None)
    out = copy_item(item)
    removes: list[Path] = []
    for a, value in zip(actions, computed, strict=True):
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
                r = to_decimal(cur["N"]) + to_decimal(add["N"])
                _put(out, a.path, {"N": number_text(to_decimal(str(r)))})
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
            continue
        holder, last = found
        if isinstance(last, int):
            if last < len(holder):
                del holder[last]
        else:
            holder.pop(last, None)
    return out


def updated_paths(actions: list[Action]) -> list[str]:
    """The top-level attributes an update touches (for UPDATED_OLD / UPDATED_NEW)."""
    seen: list[str] = []
    for a in actions:
        if a.path.top not in seen:
            seen.append(a.path.top)
    return seen


# ----------------------------------------------------------------------- projection


def project(item: Item, paths: list[Path]) -> Item:
    """Only the attributes (and nested elements) ``paths`` name."""
    out: Item = {}
    for path in paths:
        v = resolve(item, path)
        if v is None:
            continue
        parts = path.parts
        if len(parts) == 1:
            out[parts[0]] = copy_value(v)  # type: ignore[index]
            continue
        _project_into(out, item, parts, v)
    return out


def _project_into(out: Item, item: Item, parts: tuple[str | int, ...], v: dict[str, Any]) -> None:
    # Build the nested shape step by step; list elements keep their relative order.
    src: Any = item[parts[0]]  # type: ignore[index]
    dst = out.setdefault(parts[0], {"M": {}} if "M" in src else {"L": []})  # type: ignore[arg-type]
    for i, p in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        if isinstance(p, int):
            src = src["L"][p]
            lst = dst.setdefault("L", [])
            if last:
                lst.append(copy_value(v))
                return
            nxt: dict[str, Any] = {"M": {}} if "M" in src else {"L": []}
            lst.append(nxt)
            dst = nxt
        else:
            src = src["M"][p]
            m = dst.setdefault("M", {})
            if last:
                m[p] = copy_value(v)
                return
            dst = m.setdefault(p, {"M": {}} if "M" in src else {"L": []})

