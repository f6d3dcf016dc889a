"""The recursive-descent parser of DynamoDB expressions, and its entry points.

One grammar serves every kind (see the package's docstring). ``parse_condition``
also takes a condition already built as a tree (:class:`ConditionTree`): its value
placeholders are resolved and its operands checked as the parser checks them, and it
is never parsed again.
"""

from __future__ import annotations

from typing import Any

from dynviz.table.errors import ValidationException, invalid_type
from dynviz.table.expressions.checks import check_between, check_compare, check_func, type_word
from dynviz.table.expressions.nodes import (
    Action,
    And,
    Arith,
    Between,
    Compare,
    Func,
    IfNotExists,
    In,
    ListAppend,
    Not,
    Or,
    Path,
    Size,
    Value,
    render,
)
from dynviz.table.expressions.placeholders import Placeholders
from dynviz.table.expressions.tokens import Token, invalid, one_line, tokenize
from dynviz.table.reserved import RESERVED_WORDS
from dynviz.table.values import type_of

CONDITION_FUNCS = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
                    "begins_with": 2, "contains": 2}
ALL_FUNCS = {**CONDITION_FUNCS, "size": 1, "if_not_exists": 2, "list_append": 2}
COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
MAX_EXPRESSION_BYTES = 4096
"""The longest expression string DynamoDB takes: 4 KB (Developer Guide, "Constraints")."""
MAX_OPERATORS = 300
"""The most operators an expression may hold: comparisons, BETWEEN, IN, AND, OR, NOT
(Developer Guide, the 300 operator limit). Function calls are not operators."""
MAX_NESTING = 200
"""dynviz's own bound on how deep parentheses and function calls may nest. The parser
recurses once per level, and an expression of 4 KB could otherwise nest ~2000 deep and
exhaust Python's stack; no expression within the operator limit needs more than this."""


class Parser:
    def __init__(self, text: Any, kind: str, ph: Placeholders) -> None:
        if not isinstance(text, str):
            raise invalid_type(kind, text, str)
        if not text.strip():
            raise ValidationException(f"Invalid {kind}: The expression can not be empty;")
        size = len(text.encode("utf-8"))
        if size > MAX_EXPRESSION_BYTES:
            raise invalid(kind, f"Expression size has exceeded the maximum allowed size; expression size: {size}")
        self.text = text
        self.kind = kind
        self.ph = ph
        self.tokens = tokenize(text, kind)
        self.pos = 0
        self.operators = 0
        self.depth = 0

    def operator(self) -> None:
        """Count one operator, refusing the expression at the first one past the limit
        (counted as parsed, so a long chain of NOTs is refused before it recurses far)."""
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise self.fail(f"The expression contains too many operators; operator count: {self.operators}")

    def enter(self) -> None:
        """Go one parenthesis or function call deeper (see MAX_NESTING); ``leave`` undoes it."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"The expression is nested too deeply; dynviz allows at most {MAX_NESTING} levels "
                            "of parentheses and function calls")

    def leave(self) -> None:
        self.depth -= 1

    # -- token helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def error(self, tok: Token | None = None) -> ValidationException:
        tok = tok or self.tok
        i = self.tokens.index(tok)
        start = self.tokens[i - 1].start if i > 0 else tok.start
        near = self.text[start:tok.end] if tok.kind != "eof" else self.text[start:]
        return ValidationException(f'Invalid {self.kind}: Syntax error; token: "{one_line(tok.text)}", '
                                   f'near: "{one_line(near)}"')

    def fail(self, message: str) -> ValidationException:
        return invalid(self.kind, message)

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
        if name not in ALL_FUNCS:
            raise self.fail(f"Invalid function name; function: {name}")
        if name not in allowed:
            raise self.fail(f"The function is not allowed to be used this way in an expression; function: {name}")
        self.expect_sym("(")
        self.enter()
        args = [arg()]
        while self.is_sym(","):
            self.pos += 1
            args.append(arg())
        self.expect_sym(")")
        self.leave()
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
                                + type_word(f.args[0]))
            return Size(f.args[0])
        if t.kind in ("name", "attrname"):
            return self.path()
        raise self.error()

    # -- conditions

    def condition(self) -> Any:
        node = self.and_()
        while self.is_kw("OR"):
            self.pos += 1
            self.operator()
            node = Or(node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.not_()
        while self.is_kw("AND"):
            self.pos += 1
            self.operator()
            node = And(node, self.not_())
        return node

    def not_(self) -> Any:
        if self.is_kw("NOT"):
            self.pos += 1
            self.operator()
            return Not(self.not_())
        return self.primary()

    def primary(self) -> Any:
        if self.is_sym("("):
            self.pos += 1
            self.enter()
            node = self.condition()
            self.expect_sym(")")
            self.leave()
            return node
        if self.is_func() and self.tok.text != "size":
            return check_func(self.func_call(CONDITION_FUNCS, self.operand), self.kind)
        left = self.operand()
        t = self.tok
        if t.kind == "sym" and t.text in COMPARATORS:
            self.pos += 1
            self.operator()
            return check_compare(Compare(t.text, left, self.operand()), self.kind)
        if self.is_kw("BETWEEN"):
            self.pos += 1
            self.operator()
            low = self.operand()
            if not self.is_kw("AND"):
                raise self.error()
            self.pos += 1
            return check_between(Between(left, low, self.operand()), self.kind)
        if self.is_kw("IN"):
            self.pos += 1
            self.operator()
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
        _check_overlaps(self, [a.path for a in actions])
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
            raise self.fail(f"Incorrect operand type for operator or function; operator: ADD, operand type: {type_word(value)}")
        if verb == "DELETE" and t not in ("SS", "NS", "BS"):
            raise self.fail(f"Incorrect operand type for operator or function; operator: DELETE, operand type: {type_word(value)}")
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
                f = self.func_call({"if_not_exists": 2}, self.set_term)
                if not isinstance(f.args[0], Path):
                    raise self.fail("Operator or function requires a document path; operator or function: if_not_exists")
                return IfNotExists(f.args[0], f.args[1])
            if name == "list_append":
                f = self.func_call({"list_append": 2}, self.set_term)
                if any(isinstance(a, ListAppend) for a in f.args):  # DynamoDB takes no list_append in another
                    raise self.fail("The function is not allowed to be used this way in an expression; "
                                    "function: list_append")
                return ListAppend(f.args[0], f.args[1])
            if name == "size":
                raise self.fail("The function is not allowed in an update expression; function: size")
            self.func_call({}, self.set_term)  # raises with the right message
        t = self.tok
        if t.kind == "attrvalue":
            return self.value_ref()
        if t.kind in ("name", "attrname"):
            return self.path()
        raise self.error()


def _shown(path: Path) -> str:
    """A path as DynamoDB lists it in messages: ``[a, b, [0]]``."""
    return "[" + ", ".join(f"[{x}]" if isinstance(x, int) else x for x in path.parts) + "]"


def _check_overlaps(p: Parser, paths: list[Path]) -> None:
    """No path of an update or a projection may be, or lie inside, another of them
    ("overlap"), nor read one step as a map key where another reads it as a list index
    ("conflict": no item could have both)."""
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            for x, y in zip(a.parts, b.parts, strict=False):
                if x == y and type(x) is type(y):
                    continue
                if isinstance(x, int) != isinstance(y, int):
                    raise p.fail("Two document paths conflict with each other; must remove or rewrite one of these "
                                 f"paths; path one: {_shown(a)}, path two: {_shown(b)}")
                break
            else:
                raise p.fail("Two document paths overlap with each other; must remove or rewrite one of these paths; "
                             f"path one: {_shown(a)}, path two: {_shown(b)}")


# ---------------------------------------------------------------- parse entry points


class ConditionTree(str):
    """A condition built as the expression AST (nodes.py) by a caller that never had it as text (the
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


def _resolve(node: Any, kind: str, ph: Placeholders) -> Any:
    """A built condition with its value placeholders resolved and its operands checked."""
    if isinstance(node, Value):
        return ph.value(node.name, kind)
    if isinstance(node, (Path, Size)):
        return node
    if isinstance(node, Compare):
        return check_compare(Compare(node.op, _resolve(node.left, kind, ph), _resolve(node.right, kind, ph)), kind)
    if isinstance(node, Between):
        parts = (_resolve(x, kind, ph) for x in (node.operand, node.low, node.high))
        return check_between(Between(*parts), kind)
    if isinstance(node, In):
        return In(_resolve(node.operand, kind, ph), tuple(_resolve(o, kind, ph) for o in node.options))
    if isinstance(node, Func):
        return check_func(Func(node.name, tuple(_resolve(a, kind, ph) for a in node.args)), kind)
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
    _check_overlaps(p, paths)
    return paths
