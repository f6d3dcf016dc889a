"""The dynviz command language: one parser for the TUI input line, `dynviz run` files,
lessons and recorded sessions (DESIGN.md section 4).

Parsing only. A line of text becomes a frozen :class:`Command` dataclass whose values are
already converted (durations to integer microseconds, probabilities to floats, node lists
to tuples); executing it is the caller's job. Every user mistake, whatever the input,
surfaces as one :class:`CommandError` carrying the 1-based line and column and a message
that says what was expected, so the TUI can put a caret under it and a script runner can
print ``file:line:column``.

The package, one idea a module:

* :mod:`~dynviz.commands.lexer`: the one lexer (words, quoting and its escapes, options,
  comments), also used by lesson predicates and table terms; its docstring states the
  lexical rules;
* :mod:`~dynviz.commands.ast`: the commands as frozen dataclasses;
* :mod:`~dynviz.commands.convert`: words to values (durations, counts, names);
* :mod:`~dynviz.commands.words`: one command being parsed, and the checks parsers share;
* :mod:`~dynviz.commands.kv`: the key-value, cluster, fault, time and lesson commands;
* :mod:`~dynviz.commands.table` and :mod:`~dynviz.commands.items`: the ``table``
  sub-language and its JSON items;
* :mod:`~dynviz.commands.registry`: every command by keyword, ``parse_line`` and
  ``parse_script``.

Everything a caller needs is importable from ``dynviz.commands`` itself.
"""

from __future__ import annotations

from dynviz.commands.ast import (
    CHOICE_COMMANDS,
    TABLE_COMMANDS,
    Abort,
    AntiEntropy,
    Attributes,
    Cluster,
    Command,
    Delay,
    Delete,
    Deliver,
    DropMessage,
    Duplicate,
    Expect,
    Fire,
    Get,
    Gossip,
    Heal,
    Hold,
    Inspect,
    Join,
    KeyTerm,
    Kill,
    Latency,
    Leave,
    Loss,
    Partition,
    Pause,
    Put,
    Recover,
    Release,
    Remove,
    Run,
    Say,
    Script,
    Settle,
    ShowNetwork,
    Skew,
    Step,
    TableCreate,
    TableDelete,
    TableDescribe,
    TableDrop,
    TableGet,
    TableIndex,
    TableList,
    TablePut,
    TableQuery,
    TableScan,
    TableStream,
    TableValue,
    Views,
    WaitUntil,
    Wipe,
)
from dynviz.commands.errors import CommandError
from dynviz.commands.kv import CLUSTER_OPTIONS, CUE_PANELS, MAX_RUN, MAX_STEP
from dynviz.commands.registry import (
    COMMAND_NAMES,
    command_help,
    parse_line,
    parse_script,
    table_help,
)
from dynviz.commands.table import TABLE_SYNTAX

__all__ = [
    "CHOICE_COMMANDS",
    "CLUSTER_OPTIONS",
    "Delay",
    "Deliver",
    "DropMessage",
    "Duplicate",
    "Fire",
    "Hold",
    "Release",
    "ShowNetwork",
    "COMMAND_NAMES",
    "CUE_PANELS",
    "MAX_RUN",
    "MAX_STEP",
    "TABLE_COMMANDS",
    "TABLE_SYNTAX",
    "Abort",
    "AntiEntropy",
    "Attributes",
    "Cluster",
    "Command",
    "CommandError",
    "Delete",
    "Expect",
    "Script",
    "Get",
    "Gossip",
    "Heal",
    "Inspect",
    "Join",
    "KeyTerm",
    "Kill",
    "Latency",
    "Leave",
    "Loss",
    "Partition",
    "Pause",
    "Put",
    "Recover",
    "Remove",
    "Run",
    "Say",
    "Settle",
    "Skew",
    "Step",
    "TableCreate",
    "TableDelete",
    "TableDescribe",
    "TableDrop",
    "TableGet",
    "TableIndex",
    "TableList",
    "TablePut",
    "TableQuery",
    "TableScan",
    "TableStream",
    "TableValue",
    "Views",
    "WaitUntil",
    "Wipe",
    "command_help",
    "parse_line",
    "parse_script",
    "table_help",
]
