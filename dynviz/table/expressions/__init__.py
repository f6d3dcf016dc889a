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
    path       := (name | "#name") ("." (name | "#name") | "[" digits "]")*   -- a bare name starts with a letter
    update     := (("SET" set ("," set)*) | ("REMOVE" path ("," path)*)
                  | ("ADD" path ":value" ("," ...)*) | ("DELETE" path ":value" ("," ...)*))+
    set        := path "=" value
    value      := term (("+" | "-") term)?
    term       := operand | "if_not_exists" "(" path "," term ")"
                | "list_append" "(" term "," term ")"        -- no list_append inside another
    projection := path ("," path)*

Keywords (AND, OR, NOT, BETWEEN, IN, SET, ...) are case-insensitive; function names
are not. ``#name`` and ``:value`` placeholders are resolved while parsing, so a parsed
expression holds real attribute names and typed values, and the parser records which
placeholders were used (a request whose ExpressionAttributeNames/Values hold an unused
one is rejected, as DynamoDB does). Errors are ``ValidationException`` with DynamoDB's
wording ("Invalid FilterExpression: Syntax error; token: ..., near: ...").
"""

from __future__ import annotations

from dynviz.table.expressions.evaluate import evaluate, operand_value, resolve
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
    condition_paths,
    render,
)
from dynviz.table.expressions.parser import (
    ConditionTree,
    Parser,
    parse_condition,
    parse_projection,
    parse_update,
)
from dynviz.table.expressions.placeholders import Placeholders
from dynviz.table.expressions.projection import project
from dynviz.table.expressions.tokens import Token, tokenize
from dynviz.table.expressions.update import apply_update

__all__ = [
    "Action", "And", "Arith", "Between", "Compare", "ConditionTree", "Func", "IfNotExists", "In", "ListAppend",
    "Not", "Or", "Parser", "Path", "Placeholders", "Size", "Token", "Value", "apply_update", "condition_paths",
    "evaluate", "operand_value", "parse_condition", "parse_projection", "parse_update", "project", "render",
    "resolve", "tokenize",
]
