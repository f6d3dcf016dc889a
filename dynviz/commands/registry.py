"""Every command by its keyword: the parser, the syntax and the one-line help of each, and
the entry points that turn a line (or a file) into commands.

The order of :data:`COMMANDS` is the help screen's order.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import replace

from dynviz.commands import choices, kv
from dynviz.commands.ast import (
    Abort,
    Command,
    Gossip,
    Heal,
    Kill,
    Leave,
    Pause,
    Recover,
    Remove,
    Views,
    Wipe,
)
from dynviz.commands.convert import name
from dynviz.commands.errors import CommandError, show
from dynviz.commands.lexer import Token, lex
from dynviz.commands.table import TABLE_SYNTAX, parse_table
from dynviz.commands.words import Words

Parser = Callable[[Words], Command]

_CLIENT_PARSERS: dict[str, Callable[[Words, str | None], Command]] = {
    "put": kv.parse_put,
    "get": kv.parse_get,
    "delete": kv.parse_delete,
}
"""Commands a client can issue (``as bob get cart``)."""

COMMANDS: dict[str, tuple[Parser, str, str]] = {
    "cluster": (
        kv.parse_cluster,
        "cluster [nodes=5|S1,S2,..] [n= r= w=] [vnodes=] [partitions=] [strategy=equal|random|random-equal]"
        " [versioning=dvv|vclock] [resolver=siblings|lww] [seed=] [latency=1ms..5ms] [loss=P]"
        " [seeds=n1,n2] [handoff= readrepair= antientropy=on|off] [routing=aware|lb]"
        " [storage=memory|sqlite] [dir=PATH]",
        "Build a fresh cluster with these settings.",
    ),
    "put": (
        lambda ctx: kv.parse_put(ctx, None),
        "[as CLIENT] put KEY VALUE [via=NODE] [n=] [r=] [w=] [pw=] [context=KEY]",
        "Write a value (with the client's context for the key).",
    ),
    "get": (
        lambda ctx: kv.parse_get(ctx, None),
        "[as CLIENT] get KEY [via=NODE] [n=] [r=] [pr=]",
        "Read a key; shows every sibling version and the context.",
    ),
    "delete": (
        lambda ctx: kv.parse_delete(ctx, None),
        "[as CLIENT] delete KEY [via=NODE] [w=]",
        "Delete a key (writes a tombstone over the client's context).",
    ),
    "kill": (kv.one_node(Kill, "kill"), "kill NODE", "Crash a node; its storage survives."),
    "recover": (kv.one_node(Recover, "recover"), "recover NODE", "Restart a crashed node."),
    "wipe": (kv.one_node(Wipe, "wipe"), "wipe NODE",
             "A node loses its disk and restarts empty, as a new actor (the kv679 case)."),
    "partition": (
        kv.parse_partition,
        "partition A,B | C,D,E [| ...]",
        "Split the network into groups that cannot reach each other.",
    ),
    "heal": (kv.no_args(Heal, "heal"), "heal", "Remove every network partition."),
    "loss": (kv.parse_loss, "loss P", "Drop each message with probability P (0 to 1)."),
    "latency": (
        kv.parse_latency,
        "latency LOW..HIGH",
        "Delay each message uniformly between LOW and HIGH (e.g. 1ms..5ms).",
    ),
    "skew": (kv.parse_skew, "skew NODE +5s", "Offset a node's clock by a signed duration."),
    "run": (kv.parse_run, "run DURATION", "Advance virtual time, e.g. run 2s."),
    "step": (kv.parse_step, "step [COUNT]", "Process the next event (or COUNT events, at most 100,000,000)."),
    "abort": (kv.no_args(Abort, "abort"), "abort", "Stop a long step, run or settle (escape in the app)."),
    "settle": (
        kv.parse_settle,
        "settle [DURATION]",
        "Run until nothing is pending (or at most DURATION).",
    ),
    "inspect": (
        kv.parse_inspect,
        "inspect KEY [on NODE]",
        "Show a key's preference list and stored versions.",
    ),
    "say": (kv.parse_say, 'say "TEXT" [key=K] [node=N] [panel=P]',
            "Show narration text (lessons and sessions); the options say what it is about."),
    "join": (kv.parse_join, "join NODE [vnodes=N]",
             "A new node joins: it claims partitions and pulls the ranges it gains."),
    "leave": (kv.one_node(Leave, "leave"), "leave NODE", "A node leaves gracefully, handing off its data."),
    "remove": (kv.one_node(Remove, "remove"), "remove NODE",
               "A node is gone for good; its ranges are rebuilt from the other replicas."),
    "antientropy": (
        kv.parse_antientropy,
        "antientropy A B",
        "Merkle-tree anti-entropy between two nodes, for every range both replicate.",
    ),
    "gossip": (kv.one_node(Gossip, "gossip"), "gossip NODE", "Run one gossip round from a node."),
    "views": (kv.no_args(Views, "views"), "views", "Show every node's membership view."),
    "table": (
        parse_table,
        "table create|put|get|delete|query|scan|stream|list|describe|drop NAME ...",
        "DynamoDB-style tables on the cluster (each subcommand is listed below; T opens the Tables screen).",
    ),
    "wait": (
        kv.parse_wait,
        "wait until PREDICATE [timeout=DURATION]",
        "Run until the predicate holds (lessons).",
    ),
    "network": (choices.parse_network, "network [node=N] [key=K] [kind=K]",
                "List the messages on the wire or held, and the pending timers, with their ids."),
    "hold": (choices.parse_hold, "hold [NODE | A->B]",
             "Hold every message (or those to NODE, or on the link A->B) until you choose one."),
    "release": (choices.parse_release, "release [NODE | A->B]",
                "End a hold (every hold with no argument); what it held is delivered now."),
    "deliver": (choices.parse_deliver, "deliver ID", "Deliver a pending message (m42) now."),
    "drop": (choices.parse_drop, "drop ID", "Lose a pending message."),
    "duplicate": (choices.parse_duplicate, "duplicate ID", "Put a copy of a pending message beside it."),
    "delay": (choices.parse_delay, "delay ID DURATION", "Deliver a pending message DURATION from now."),
    "fire": (choices.parse_fire, "fire ID", "Fire a pending timer (n1.t42) now instead of when it is due."),
    "pause": (kv.no_args(Pause, "pause"), "pause", "Pause until the user continues (lessons)."),
    "expect": (kv.parse_expect, "expect CHECK", "Check the cluster's state (lessons)."),
    "script": (kv.parse_script, "script FILE [timeout=DURATION]",
               "Run a Python program (a boto3 script) against the cluster's DynamoDB endpoint (lessons)."),
}
"""Keyword -> (parser, syntax, one-line description)."""

COMMAND_NAMES: tuple[str, ...] = tuple(COMMANDS)
"""Every command keyword, in help order (for completion in the TUI)."""

_TABLE_LINE = re.compile(r"\s*table(?:\s|$)")


def command_help() -> list[tuple[str, str]]:
    """(syntax, one-line description) of every command, for the help screen and --help."""
    return [(syntax, description) for _, syntax, description in COMMANDS.values()]


def table_help() -> list[tuple[str, str]]:
    """(syntax, description) of every ``table`` subcommand."""
    return list(TABLE_SYNTAX.values())


def _unknown(word: Token, text: str, line: int) -> CommandError:
    shown = word.show(text)
    if word.quoted or word.key is not None:
        return CommandError(line, word.column, f"expected a command name, got {show(shown)}; try 'help'")
    hint = difflib.get_close_matches(word.value.lower(), [*COMMAND_NAMES, "as"], n=1)
    maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
    return CommandError(line, word.column, f"unknown command {show(shown)}{maybe}")


def parse_line(text: str, line: int = 1) -> Command | None:
    """Parse one line; ``None`` for a blank or comment-only line.

    Raises :class:`CommandError` (and nothing else) for any other text.
    """
    if "\n" in text:
        raise CommandError(line, text.index("\n") + 1, "expected one line, found a line break")
    lexed = lex(text, line, braces=_TABLE_LINE.match(text) is not None)
    tokens = lexed.tokens
    if not tokens:
        return None
    client: str | None = None
    first = tokens[0]
    if first.value == "as" and not first.quoted and first.key is None:
        if len(tokens) < 2:
            raise CommandError(line, first.end + 1, "expected a client name after 'as'")
        client_token = tokens[1]
        client = name(client_token.value, client_token.column, line, "a client name")
        if len(tokens) < 3:
            raise CommandError(line, client_token.end + 1, f"expected put, get or delete after 'as {client}'")
        first = tokens[2]
        tokens = tokens[2:]
        if first.quoted or first.key is not None or first.value not in _CLIENT_PARSERS:
            if not first.quoted and first.key is None and first.value in COMMANDS:
                raise CommandError(
                    line,
                    first.column,
                    f"'as {client}' can only come before put, get or delete, not {first.value!r}",
                )
            raise _unknown(first, text, line)
    elif first.quoted or first.key is not None or first.value not in COMMANDS:
        raise _unknown(first, text, line)
    rest = tokens[1:]
    ctx = Words(
        text=text,
        line=line,
        keyword=first,
        args=[t for t in rest if t.key is None],
        options=[t for t in rest if t.key is not None],
        end=lexed.end,
    )
    if client is not None:
        command = _CLIENT_PARSERS[first.value](ctx, client)
    else:
        command = COMMANDS[first.value][0](ctx)
    return replace(command, line=line, source=text.strip())


def parse_script(text: str) -> list[Command]:
    """Parse a command file: one command per line, blank lines and ``#`` comments skipped.

    Each command's ``line`` is its 1-based line in ``text``; the first bad line raises
    :class:`CommandError`. Lines end at ``\\n`` (a trailing ``\\r`` is dropped).
    """
    commands: list[Command] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        command = parse_line(raw.removesuffix("\r"), number)
        if command is not None:
            commands.append(command)
    return commands
