"""The commands as data (dynviz/commands/ast.py): where a command came from is declared
once, keyword-only, and is not part of what it is; a table term is the table expression
layer's AST from the moment it is parsed."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from dynviz.commands import (
    Command,
    Heal,
    KeyTerm,
    Kill,
    Put,
    TableQuery,
    TableValue,
    ast,
    parse_line,
)
from dynviz.commands.ast import TABLE_COMMANDS
from dynviz.table.expressions import Between, Compare, Func, Path


def every_command_class() -> list[type[Command]]:
    # from the module, not Command.__subclasses__(): slots=True makes a new class and the
    # first one, without slots, lingers there until it is collected
    return [v for v in vars(ast).values() if isinstance(v, type) and issubclass(v, Command) and v is not Command]


def test_line_and_source_are_declared_once_on_the_base() -> None:
    classes = every_command_class()
    assert len(classes) >= 37 and set(TABLE_COMMANDS) <= set(classes)
    for cls in classes:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        assert fields["line"].kw_only and fields["source"].kw_only, cls
        assert "line" not in cls.__dict__.get("__annotations__", {}), f"{cls.__name__} declares line again"
        assert "__slots__" in cls.__dict__ and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]


def test_where_a_command_came_from_is_not_what_it_is() -> None:
    parsed = parse_line("  kill n1  # crash it", line=7)
    assert parsed == Kill("n1") and hash(parsed) == hash(Kill("n1"))
    assert parsed is not None and (parsed.line, parsed.source) == (7, "kill n1  # crash it")
    assert repr(parsed) == "Kill(node='n1')" and not hasattr(parsed, "__dict__")
    assert Put(None, "k", "v", w=2, line=3) == Put(None, "k", "v", None, None, 2)
    assert Heal(line=2) == Heal()


def test_key_terms_are_expression_trees_from_the_parse() -> None:
    query = parse_line("table query orders customer=ada ts between 1 and 5 where note begins_with A and n<>3")
    assert isinstance(query, TableQuery)
    assert query.partition.condition == Compare("=", Path(("customer",)), TableValue("ada"))
    assert query.sort is not None
    assert query.sort.condition == Between(Path(("ts",)), TableValue("1"), TableValue("5"))
    assert [t.condition for t in query.where] == [
        Func("begins_with", (Path(("note",)), TableValue("A"))), Compare("<>", Path(("n",)), TableValue("3"))]
    assert KeyTerm("a", "contains", (TableValue("x", "string"),)).condition == Func(
        "contains", (Path(("a",)), TableValue("x", "string")))


@pytest.mark.parametrize("text", [
    "table query orders customer=ada ts>=3 where total>20 limit=5 after customer=ada ts=7",
    'put "a key" v w=2', "cluster nodes=a,b,c n=2 latency=1ms..5ms",
])
def test_commands_pickle_with_their_trees(text: str) -> None:
    command = parse_line(text)
    copy = pickle.loads(pickle.dumps(command))
    assert copy == command and copy.source == text  # type: ignore[union-attr]
    if isinstance(command, TableQuery):
        assert copy.partition.condition == command.partition.condition
