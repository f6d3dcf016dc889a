"""Parsers of the key-value, cluster, fault, time and lesson commands: ``cluster``,
``put``/``get``/``delete``, ``kill``/``recover``/``wipe``, ``partition``, ``loss``,
``latency``, ``skew``, ``run``/``step``/``settle``, ``inspect``, ``say``, ``join`` and
the other membership commands, ``wait until`` and ``expect``.

Each parser takes the command's :class:`~dynviz.commands.words.Words` and returns its
:class:`~dynviz.commands.ast.Command`; :mod:`dynviz.commands.registry` maps keywords to
them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from dynviz.commands import convert as cv
from dynviz.commands.ast import (
    AntiEntropy,
    Cluster,
    Command,
    Delete,
    Expect,
    Get,
    Inspect,
    Join,
    Latency,
    Loss,
    Partition,
    Put,
    Run,
    Say,
    Script,
    Settle,
    Skew,
    Step,
    WaitUntil,
)
from dynviz.commands.errors import CommandError, show
from dynviz.commands.lexer import Token
from dynviz.commands.words import Words


def _nodes(text: str, col: int, line: int, what: str) -> int | tuple[str, ...]:
    if re.fullmatch(r"[0-9]+", text):
        return cv.whole(text, col, line, "the number of nodes")
    return cv.names(text, col, line, "node name")


def _path(text: str, col: int, line: int, what: str) -> str:
    if not text:
        raise CommandError(line, col, f"expected {what} after 'dir='")
    return text


CLUSTER_OPTIONS: dict[str, cv.Converter] = {
    "nodes": _nodes,
    "n": cv.positive_int,
    "r": cv.positive_int,
    "w": cv.positive_int,
    "vnodes": cv.positive_int,
    "partitions": cv.positive_int,
    "strategy": cv.choice("equal", "random", "random-equal"),
    "versioning": cv.choice("dvv", "vclock"),
    "resolver": cv.choice("siblings", "lww"),
    "seed": lambda t, c, ln, w: cv.whole(t, c, ln, w, minimum=0),
    "latency": cv.delay_range,
    "loss": cv.probability,
    "seeds": lambda t, c, ln, w: cv.names(t, c, ln, "seed node name"),
    "handoff": cv.switch,
    "readrepair": cv.switch,
    "antientropy": cv.switch,
    "routing": cv.choice("aware", "lb"),
    "storage": cv.choice("memory", "sqlite"),
    "dir": _path,
}
"""Options of ``cluster``, in canonical order, each with its converter."""

_VIA: dict[str, cv.Converter] = {"via": cv.name}

MAX_STEP = 100_000_000
"""The most events one ``step`` runs (tens of minutes of work; more is surely a typo)."""
MAX_RUN = 24 * 3600 * 1_000_000
"""The longest ``run`` or ``settle``: one virtual day."""

CUE_PANELS: tuple[str, ...] = ("ring", "preflist", "versions", "log", "nodes", "messages", "network", "gossip",
                               "merkle")
"""Panels a narration's cue can name (the app's panel names, ``dynviz.tui.panels``)."""


def parse_cluster(ctx: Words) -> Command:
    ctx.at_most(0, "cluster [option=value ...]")
    got = ctx.take_options(CLUSTER_OPTIONS)
    ctx.check_quorum(got, "r", "w")
    nodes = got.value("nodes")
    count = nodes if isinstance(nodes, int) else len(nodes) if isinstance(nodes, tuple) else None
    n = got.number("n")
    if count is not None and n is not None and n > count:
        raise ctx.fail(got.token("n").column, f"n={n} is more than the {count} nodes; expected n <= nodes")
    seeds = got.value("seeds")
    if isinstance(nodes, tuple) and isinstance(seeds, tuple):
        for seed in seeds:
            if seed not in nodes:
                raise ctx.fail(
                    got.token("seeds").value_column,
                    f"seed {seed!r} is not one of the nodes; expected one of: {', '.join(nodes)}",
                )
    return Cluster(tuple((k, got.value(k)) for k in CLUSTER_OPTIONS if k in got))


def parse_put(ctx: Words, client: str | None) -> Command:
    ctx.at_most(2, "put KEY VALUE [via=NODE] [n=] [r=] [w=] [pw=] [context=KEY]")
    key = ctx.key(0)
    value = ctx.expect(1, "a value (quote it if it has spaces)").value
    quorum = {q: cv.positive_int for q in ("n", "r", "w", "pw")}
    got = ctx.take_options({**_VIA, **quorum, "context": cv.key})
    ctx.check_quorum(got, "r", "w", "pw")
    return Put(client, key, value, got.text("via"), got.number("n"), got.number("w"), got.number("pw"),
               got.number("r"), got.text("context"))


def parse_get(ctx: Words, client: str | None) -> Command:
    ctx.at_most(1, "get KEY [via=NODE] [n=] [r=] [pr=]")
    key = ctx.key(0)
    got = ctx.take_options({**_VIA, **{q: cv.positive_int for q in ("n", "r", "pr")}})
    ctx.check_quorum(got, "r", "pr")
    return Get(client, key, got.text("via"), got.number("n"), got.number("r"), got.number("pr"))


def parse_delete(ctx: Words, client: str | None) -> Command:
    ctx.at_most(1, "delete KEY [via=NODE] [w=]")
    key = ctx.key(0)
    got = ctx.take_options({**_VIA, "w": cv.positive_int})
    return Delete(client, key, got.text("via"), got.number("w"))


def one_node(cls: Callable[[str], Command], keyword: str) -> Callable[[Words], Command]:
    """The parser of a command that takes one node name (``kill NODE``)."""

    def parse(ctx: Words) -> Command:
        ctx.at_most(1, f"{keyword} NODE")
        node = ctx.node(0)
        ctx.take_options({})
        return cls(node)

    return parse


def no_args(cls: Callable[[], Command], keyword: str) -> Callable[[Words], Command]:
    """The parser of a command that takes nothing (``heal``)."""

    def parse(ctx: Words) -> Command:
        ctx.at_most(0, keyword)
        ctx.take_options({})
        return cls()

    return parse


_PARTITION_TOKEN = re.compile(r"[^\s,|]+|[,|]")


def parse_partition(ctx: Words) -> Command:
    groups: list[list[str]] = [[]]
    seen: set[str] = set()
    expect_name = True
    last_col = ctx.end_column
    for m in _PARTITION_TOKEN.finditer(ctx.text, ctx.keyword.end, ctx.end):
        word, col = m.group(), m.start() + 1
        if word in (",", "|"):
            if expect_name:
                what = "a node name" if groups[-1] or word == "," else "a group of node names"
                raise ctx.fail(col, f"expected {what} before {word!r}")
            if word == "|":
                groups.append([])
            expect_name = True
            continue
        if not expect_name:
            raise ctx.fail(col, f"expected ',' or '|' before {show(word)}")
        cv.name(word, col, ctx.line, "a node name")
        if word in seen:
            raise ctx.fail(col, f"node {word!r} is listed twice; each node belongs to exactly one group")
        seen.add(word)
        groups[-1].append(word)
        expect_name = False
    if expect_name:
        if len(groups) == 1 and not groups[0]:
            raise ctx.fail(last_col, "expected groups of node names after 'partition', e.g. 'partition n1,n2 | n3,n4'")
        raise ctx.fail(last_col, "expected a node name at the end of the line")
    if len(groups) < 2:
        raise ctx.fail(last_col, "expected at least two groups separated by '|'")
    return Partition(tuple(tuple(g) for g in groups))


def parse_loss(ctx: Words) -> Command:
    ctx.at_most(1, "loss P")
    token = ctx.expect(0, "a probability from 0 to 1")
    ctx.take_options({})
    return Loss(cv.probability(token.value, token.column, ctx.line, "the loss"))


def parse_latency(ctx: Words) -> Command:
    ctx.at_most(1, "latency LOW..HIGH | latency DURATION")
    token = ctx.expect(0, "a latency like '1ms..5ms'")
    ctx.take_options({})
    lo, hi = cv.delay_range(token.value, token.column, ctx.line, "the latency")
    return Latency(lo, hi)


def parse_skew(ctx: Words) -> Command:
    ctx.at_most(2, "skew NODE +5s")
    node = ctx.node(0)
    token = ctx.expect(1, "a clock skew like '+5s' or '-200ms'")
    ctx.take_options({})
    return Skew(node, cv.skew(token.value, token.column, ctx.line, "the skew"))


_A_DAY = "1440m (a virtual day)"


def _bounded(ctx: Words, token: Token, convert: Callable[[str, int, int, str], int], what: str,
             limit: int, name: str, shown: str) -> int:
    """``token`` converted, and at most ``limit`` (the longest run, the most steps)."""
    value = convert(token.value, token.column, ctx.line, what)
    if value > limit:
        raise ctx.fail(token.column, f"{name} is at most {shown}, got {show(token.value)} "
                                     "(split the work; settle runs until nothing is pending)")
    return value


def _optional_word(ctx: Words, usage: str) -> Token | None:
    """The one positional word of a command that may take one, if given."""
    ctx.at_most(1, usage)
    ctx.take_options({})
    return ctx.args[0] if ctx.args else None


def parse_run(ctx: Words) -> Command:
    ctx.at_most(1, "run DURATION")
    token = ctx.expect(0, "a duration like '2s'")
    ctx.take_options({})
    return Run(_bounded(ctx, token, cv.duration, "the duration", MAX_RUN, "a run", _A_DAY))


def parse_step(ctx: Words) -> Command:
    token = _optional_word(ctx, "step [COUNT]")
    if token is None:
        return Step()
    return Step(_bounded(ctx, token, cv.whole, "the step count", MAX_STEP, "the step count", f"{MAX_STEP:,}"))


def parse_settle(ctx: Words) -> Command:
    token = _optional_word(ctx, "settle [DURATION]")
    if token is None:
        return Settle()
    return Settle(_bounded(ctx, token, cv.duration, "the time limit", MAX_RUN, "settle's time limit", _A_DAY))


def parse_inspect(ctx: Words) -> Command:
    key = ctx.key(0)
    ctx.take_options({})
    if len(ctx.args) == 1:
        return Inspect(key)
    on = ctx.args[1]
    if on.value != "on" or on.quoted:
        raise ctx.fail(on.column, f"expected 'on NODE' after the key, got {show(on.show(ctx.text))}")
    node = ctx.node(2, "a node name")
    ctx.at_most(3, "inspect KEY [on NODE]")
    return Inspect(key, node)


def _cue_panel(text: str, col: int, line: int, what: str) -> str:
    if text not in CUE_PANELS:
        hint = difflib.get_close_matches(text, CUE_PANELS, n=1)
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise CommandError(line, col, f"unknown panel {show(text)}{maybe}; the panels are {', '.join(CUE_PANELS)}")
    return text


def _cue_key(text: str, col: int, line: int, what: str) -> str:
    if not text:
        raise CommandError(line, col, "expected a non-empty key after key=")
    return text


_SAY_CUES: dict[str, cv.Converter] = {"key": _cue_key, "node": cv.name, "panel": _cue_panel}


def parse_say(ctx: Words) -> Command:
    tokens = ctx.args + ctx.options
    if not tokens:
        raise ctx.fail(ctx.end_column, "expected text to say after 'say', e.g. say \"hello\"")
    if len(ctx.args) == 1 and tokens[0].quoted and tokens[0].key is None:
        got = ctx.take_options(_SAY_CUES)
        return Say(tokens[0].value, got.text("key"), got.text("node"), got.text("panel"))
    return Say(ctx.rest())


def parse_join(ctx: Words) -> Command:
    ctx.at_most(1, "join NODE [vnodes=N]")
    node = ctx.node(0)
    got = ctx.take_options({"vnodes": cv.positive_int})
    return Join(node, got.number("vnodes"))


def parse_antientropy(ctx: Words) -> Command:
    ctx.at_most(2, "antientropy A B")
    a = ctx.node(0)
    b = ctx.node(1, "a second node name")
    ctx.take_options({})
    if a == b:
        raise ctx.fail(ctx.args[1].column, f"expected two different nodes, got {a!r} twice")
    return AntiEntropy(a, b)


def parse_wait(ctx: Words) -> Command:
    words = ctx.in_order()
    if not words or words[0].value != "until" or words[0].key is not None or words[0].quoted:
        column = words[0].column if words else ctx.end_column
        raise ctx.fail(column, "expected 'until' after 'wait' (wait until PREDICATE)")
    until, body = words[0], words[1:]
    timeout = None
    end = ctx.end
    if body and body[-1].key == "timeout":
        last = body.pop()
        timeout = cv.duration(last.value, last.value_column, ctx.line, "the timeout")
        end = last.start
    predicate = ctx.text[until.end : end].strip()
    if not predicate:
        raise ctx.fail(until.end + 1, "expected a predicate after 'wait until'")
    return WaitUntil(predicate, timeout)


def parse_script(ctx: Words) -> Command:
    ctx.at_most(1, "script FILE [timeout=DURATION]")
    path = ctx.expect(0, "the Python file to run, e.g. script orders.py").value
    got = ctx.take_options({"timeout": cv.duration})
    return Script(path, got.number("timeout"))


def parse_expect(ctx: Words) -> Command:
    check = ctx.rest()
    if not check:
        raise ctx.fail(ctx.end_column, "expected a check after 'expect'")
    return Expect(check)
