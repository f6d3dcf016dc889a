"""The dynviz command language: one parser for the TUI input line, `dynviz run` files,
lessons and recorded sessions (DESIGN.md section 4).

Parsing only. A line of text becomes a frozen :class:`Command` dataclass whose values are
already converted (durations to integer microseconds, probabilities to floats, node lists
to tuples); executing it is the caller's job. Every user mistake, whatever the input,
surfaces as one :class:`CommandError` carrying the 1-based line and column and a message
that says what was expected, so the TUI can put a caret under it and a script runner can
print ``file:line:column``.

Lexical rules:

* words are separated by whitespace (``str.isspace``);
* ``"..."`` is a string with the escapes ``\\"`` and ``\\\\`` (for keys, values, say text);
* ``#`` at the start of a word begins a comment, outside quotes (so ``user#1`` is a key,
  as in a POSIX shell);
* ``name=value`` (``name`` an identifier) is an option; its value may be quoted. A key or
  value that itself looks like ``name=...`` must be quoted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import ClassVar

__all__ = [
    "COMMAND_NAMES",
    "AntiEntropy",
    "Cluster",
    "Command",
    "CommandError",
    "Delete",
    "Expect",
    "Get",
    "Gossip",
    "Heal",
    "Inspect",
    "Join",
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
    "Views",
    "WaitUntil",
    "Wipe",
    "command_help",
    "parse_line",
    "parse_script",
]


class CommandError(ValueError):
    """A command the user wrote cannot be parsed; says where and what was expected.

    ``str(error)`` is one line: ``line L, column C: message``. Columns are 1-based
    character positions in the line as given (before any stripping).
    """

    def __init__(self, line: int, column: int, message: str) -> None:
        message = " ".join(message.split())  # always a single line
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message

    def __reduce__(self):  # keep pickling (e.g. across processes) working
        return (type(self), (self.line, self.column, self.message))


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------

# ``line`` and ``source`` say where a command came from, not what it does, so they are
# left out of equality: ``parse_line("kill n1") == Kill("n1")``.
_LINE = field(default=1, compare=False)
_SOURCE = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every parsed command. ``name`` is the keyword that introduces it."""

    name: ClassVar[str] = ""


@dataclass(frozen=True, slots=True)
class Cluster(Command):
    """``cluster [option=value ...]``: build a fresh cluster.

    ``options`` holds only the options given, already converted, in the canonical order
    of :data:`CLUSTER_OPTIONS`, so two spellings of the same cluster compare equal.
    """

    name: ClassVar[str] = "cluster"
    options: tuple[tuple[str, object], ...] = ()
    line: int = _LINE
    source: str = _SOURCE

    def get(self, name: str, default: object = None) -> object:
        """The converted value of option ``name``, or ``default`` if it was not given."""
        for key, value in self.options:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Put(Command):
    """``[as CLIENT] put KEY VALUE [via=NODE] [n=] [r=] [w=] [pw=]``.

    ``r`` (the read quorum of the put's read-before-write, if the executor uses one) is
    the last behaviour field so that ``Put(client, key, value, via, n, w, pw)`` reads
    positionally as the write it describes.
    """

    name: ClassVar[str] = "put"
    client: str | None
    key: str
    value: str
    via: str | None = None
    n: int | None = None
    w: int | None = None
    pw: int | None = None
    r: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Get(Command):
    """``[as CLIENT] get KEY [via=NODE] [n=] [r=] [pr=]``."""

    name: ClassVar[str] = "get"
    client: str | None
    key: str
    via: str | None = None
    n: int | None = None
    r: int | None = None
    pr: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Delete(Command):
    """``[as CLIENT] delete KEY [via=NODE] [w=]``."""

    name: ClassVar[str] = "delete"
    client: str | None
    key: str
    via: str | None = None
    w: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Kill(Command):
    """``kill NODE``: crash a node (its durable storage survives)."""

    name: ClassVar[str] = "kill"
    node: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Recover(Command):
    """``recover NODE``: restart a killed node."""

    name: ClassVar[str] = "recover"
    node: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Wipe(Command):
    """``wipe NODE``: erase a node's storage (a disk loss)."""

    name: ClassVar[str] = "wipe"
    node: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Partition(Command):
    """``partition A,B | C,D,E``: split the network into groups that cannot talk."""

    name: ClassVar[str] = "partition"
    groups: tuple[tuple[str, ...], ...]
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Heal(Command):
    """``heal``: remove every network partition."""

    name: ClassVar[str] = "heal"
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Loss(Command):
    """``loss P``: drop each message with probability ``p``."""

    name: ClassVar[str] = "loss"
    p: float
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Latency(Command):
    """``latency LO..HI``: message delay, uniform in ``[lo, hi]`` microseconds."""

    name: ClassVar[str] = "latency"
    lo: int
    hi: int
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Skew(Command):
    """``skew NODE +5s``: offset a node's clock (matters for LWW and vclock pruning)."""

    name: ClassVar[str] = "skew"
    node: str
    micros: int
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Run(Command):
    """``run DURATION``: advance virtual time."""

    name: ClassVar[str] = "run"
    micros: int
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Step(Command):
    """``step [COUNT]``: process the next ``count`` events."""

    name: ClassVar[str] = "step"
    count: int = 1
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Settle(Command):
    """``settle [DURATION]``: run until no events are pending, or for at most ``limit``."""

    name: ClassVar[str] = "settle"
    limit: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Inspect(Command):
    """``inspect KEY [on NODE]``: show a key's versions (on every replica, or one node)."""

    name: ClassVar[str] = "inspect"
    key: str
    node: str | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Say(Command):
    """``say "text"``: narration for lessons and recorded sessions."""

    name: ClassVar[str] = "say"
    text: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Join(Command):
    """``join NODE [vnodes=N]``: add a node to the ring."""

    name: ClassVar[str] = "join"
    node: str
    vnodes: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Leave(Command):
    """``leave NODE``: a node leaves gracefully, handing its ranges over."""

    name: ClassVar[str] = "leave"
    node: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Remove(Command):
    """``remove NODE``: an operator removes a (dead) node from the membership."""

    name: ClassVar[str] = "remove"
    node: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class AntiEntropy(Command):
    """``antientropy A B``: one Merkle-tree anti-entropy exchange between two nodes."""

    name: ClassVar[str] = "antientropy"
    a: str
    b: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Gossip(Command):
    """``gossip NODE``: one membership gossip round started by a node."""

    name: ClassVar[str] = "gossip"
    node: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Views(Command):
    """``views``: show every node's membership view."""

    name: ClassVar[str] = "views"
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class WaitUntil(Command):
    """``wait until PREDICATE [timeout=DURATION]``; the predicate is kept as raw text."""

    name: ClassVar[str] = "wait"
    predicate: str
    timeout: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Pause(Command):
    """``pause``: stop a lesson or replay until the user continues."""

    name: ClassVar[str] = "pause"
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Expect(Command):
    """``expect CHECK``: a lesson's assertion; the check is kept as raw text."""

    name: ClassVar[str] = "expect"
    check: str
    line: int = _LINE
    source: str = _SOURCE


# --------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------

_OPTION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class _Token:
    """One word of a line. ``start``/``end`` index the line; ``value`` is unescaped."""

    value: str
    start: int
    end: int
    quoted: bool = False
    key: str | None = None  # set for ``key=value`` options; ``value`` is then the value
    value_start: int = 0  # index of the option's value (or its opening quote)

    @property
    def column(self) -> int:
        return self.start + 1

    @property
    def value_column(self) -> int:
        return self.value_start + 1

    def show(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(slots=True)
class _Lexed:
    tokens: list[_Token]
    end: int  # index where the command text ends (a comment or the end of the line)


def _read_string(text: str, start: int, line: int) -> tuple[str, int]:
    """Read the quoted string opening at ``text[start]``; return (value, index after)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt in ('"', "\\") and nxt:
                out.append(nxt)
                i += 2
                continue
            if not nxt:
                break
            raise CommandError(
                line, i + 1, f'unknown escape {_show(ch + nxt)} in a string; expected \\" or \\\\'
            )
        out.append(ch)
        i += 1
    raise CommandError(line, start + 1, "unterminated string; expected a closing '\"'")


def _lex(text: str, line: int) -> _Lexed:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        if text[i] == "#":
            return _Lexed(tokens, start)
        if text[i] == '"':
            value, i = _read_string(text, i, line)
            _need_space(text, i, line)
            tokens.append(_Token(value, start, i, quoted=True))
            continue
        m = _OPTION.match(text, i)
        if m and m.end() < n and text[m.end()] == '"':
            value, i = _read_string(text, m.end(), line)
            _need_space(text, i, line)
            tokens.append(_Token(value, start, i, True, m.group(1), m.end()))
            continue
        while i < n and not text[i].isspace():
            if text[i] == '"':
                raise CommandError(
                    line, i + 1, "unexpected '\"' inside a word; quote the whole word instead"
                )
            i += 1
        word = text[start:i]
        m = _OPTION.match(word)
        if m:
            tokens.append(_Token(word[m.end() :], start, i, False, m.group(1), start + m.end()))
        else:
            tokens.append(_Token(word, start, i))
    return _Lexed(tokens, n)


def _need_space(text: str, i: int, line: int) -> None:
    if i < len(text) and not text[i].isspace():
        raise CommandError(line, i + 1, "expected a space after the closing '\"'")


def _show(s: str, limit: int = 40) -> str:
    """``s`` quoted for an error message, shortened and with control characters escaped."""
    if len(s) > limit:
        s = s[: limit - 3] + "..."
    return repr(s) if s.isprintable() else ascii(s)


# --------------------------------------------------------------------------------------
# Value converters. Each takes (text, column, line, what) and returns the value or raises.
# --------------------------------------------------------------------------------------

_MAX_DIGITS = 18
_UNITS = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000}
_UNIT_HINT = "a unit: us, ms, s or m (e.g. '2s', '1.5s', '200ms')"
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(us|ms|s|m)")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def _int(text: str, col: int, line: int, what: str, minimum: int = 1) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise CommandError(line, col, f"expected {what} as a whole number, got {_show(text)}")
    if len(text.lstrip("0")) > _MAX_DIGITS:
        raise CommandError(line, col, f"{what} {_show(text)} is too large")
    value = int(text)
    if value < minimum:
        raise CommandError(line, col, f"expected {what} to be at least {minimum}, got {value}")
    return value


def _duration(text: str, col: int, line: int, what: str, positive: bool = True) -> int:
    m = _DURATION.fullmatch(text)
    if not m:
        if _NUMBER.fullmatch(text):
            raise CommandError(line, col, f"{what} {_show(text)} needs {_UNIT_HINT}")
        raise CommandError(line, col, f"expected {what} with {_UNIT_HINT}, got {_show(text)}")
    number, unit = m.groups()
    if len(number) > _MAX_DIGITS + 1:
        raise CommandError(line, col, f"{what} {_show(text)} is too long")
    micros = Fraction(number) * _UNITS[unit]
    if micros.denominator != 1:
        raise CommandError(line, col, f"{what} {_show(text)} is finer than a microsecond")
    if positive and micros <= 0:
        raise CommandError(line, col, f"expected {what} greater than zero, got {_show(text)}")
    return int(micros)


def _skew(text: str, col: int, line: int, what: str) -> int:
    if text in ("0", "+0", "-0"):
        return 0
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    if not body:
        raise CommandError(line, col, f"expected {what} like '+5s' or '-200ms', got {_show(text)}")
    return sign * _duration(body, col, line, what, positive=False)


def _probability(text: str, col: int, line: int, what: str) -> float:
    if not _NUMBER.fullmatch(text) or len(text) > _MAX_DIGITS + 2:
        raise CommandError(
            line,
            col,
            f"expected {what} as a probability from 0 to 1 (e.g. 0.05), got {_show(text)}",
        )
    p = Fraction(text)
    if p > 1:
        raise CommandError(line, col, f"expected {what} between 0 and 1, got {_show(text)}")
    return float(p)


def _range(text: str, col: int, line: int, what: str) -> tuple[int, int]:
    if ".." in text:
        lo_text, _, hi_text = text.partition("..")
        lo = _duration(lo_text, col, line, what, positive=False)
        hi = _duration(hi_text, col + len(lo_text) + 2, line, what, positive=False)
        if lo > hi:
            raise CommandError(
                line, col, f"expected {what} as LOW..HIGH with LOW <= HIGH, got {_show(text)}"
            )
        return lo, hi
    single = _duration(text, col, line, what, positive=False)
    return single, single


def _name(text: str, col: int, line: int, what: str) -> str:
    if not _NAME.fullmatch(text):
        raise CommandError(
            line,
            col,
            f"expected {what} made of letters, digits, '-' and '_', got {_show(text)}",
        )
    return text


def _names(text: str, col: int, line: int, what: str) -> tuple[str, ...]:
    names: list[str] = []
    offset = 0
    for part in text.split(","):
        _name(part, col + offset, line, what)
        if part in names:
            raise CommandError(line, col + offset, f"{what} {part!r} is listed twice")
        names.append(part)
        offset += len(part) + 1
    return tuple(names)


def _choice(*choices: str) -> _Converter:
    def convert(text: str, col: int, line: int, what: str) -> str:
        if text not in choices:
            raise CommandError(
                line,
                col,
                f"expected {what} to be one of: {', '.join(choices)}; got {_show(text)}",
            )
        return text

    return convert


def _switch(text: str, col: int, line: int, what: str) -> bool:
    return _choice("on", "off")(text, col, line, what) == "on"


def _nodes(text: str, col: int, line: int, what: str) -> int | tuple[str, ...]:
    if re.fullmatch(r"[0-9]+", text):
        return _int(text, col, line, "the number of nodes")
    return _names(text, col, line, "node name")


def _path(text: str, col: int, line: int, what: str) -> str:
    if not text:
        raise CommandError(line, col, f"expected {what} after 'dir='")
    return text


def _positive(text: str, col: int, line: int, what: str) -> int:
    return _int(text, col, line, what)


_Converter = Callable[[str, int, int, str], object]

CLUSTER_OPTIONS: dict[str, _Converter] = {
    "nodes": _nodes,
    "n": _positive,
    "r": _positive,
    "w": _positive,
    "vnodes": _positive,
    "partitions": _positive,
    "strategy": _choice("equal", "random"),
    "versioning": _choice("dvv", "vclock"),
    "resolver": _choice("siblings", "lww"),
    "seed": lambda t, c, ln, w: _int(t, c, ln, w, minimum=0),
    "latency": _range,
    "loss": _probability,
    "seeds": lambda t, c, ln, w: _names(t, c, ln, "seed node name"),
    "handoff": _switch,
    "readrepair": _switch,
    "antientropy": _switch,
    "routing": _choice("aware", "lb"),
    "storage": _choice("memory", "sqlite"),
    "dir": _path,
}
"""Options of ``cluster``, in canonical order, each with its converter."""

_NODE_OPT: dict[str, _Converter] = {"via": _name}


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    """One command being parsed: its keyword token, positional words and options."""

    text: str
    line: int
    keyword: _Token
    args: list[_Token]
    options: list[_Token]
    end: int  # index where the command's text ends (comment or end of line)

    def fail(self, column: int, message: str) -> CommandError:
        return CommandError(self.line, column, message)

    @property
    def end_column(self) -> int:
        """The column just after the last character of the command (for "expected ...")."""
        return len(self.text[: self.end].rstrip()) + 1

    def rest(self) -> str:
        """The raw text after the keyword, without a trailing comment."""
        return self.text[self.keyword.end : self.end].strip()

    def expect(self, index: int, what: str) -> _Token:
        """The ``index``-th positional word, or an error saying ``what`` was expected."""
        if index < len(self.args):
            return self.args[index]
        after = self.args[index - 1].show(self.text) if index else self.keyword.value
        raise self.fail(self.end_column, f"expected {what} after {_show(after)}")

    def at_most(self, count: int, usage: str) -> None:
        if len(self.args) > count:
            extra = self.args[count]
            raise self.fail(
                extra.column, f"unexpected {_show(extra.show(self.text))}; usage: {usage}"
            )

    def node(self, index: int, what: str = "a node name") -> str:
        token = self.expect(index, what)
        return _name(token.value, token.column, self.line, what)

    def take_options(self, allowed: dict[str, _Converter]) -> dict[str, tuple[object, _Token]]:
        """Convert the options against ``allowed``; errors name the valid ones."""
        name = self.keyword.value
        got: dict[str, tuple[object, _Token]] = {}
        for opt in self.options:
            assert opt.key is not None
            if opt.key not in allowed:
                if not allowed:
                    raise self.fail(
                        opt.column,
                        f"unknown option {opt.key!r} for {name}; {name} takes no options"
                        " (quote a word that contains '=')",
                    )
                hint = difflib.get_close_matches(opt.key.lower(), list(allowed), n=1)
                maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.fail(
                    opt.column,
                    f"unknown option {opt.key!r} for {name}; expected one of: "
                    + ", ".join(allowed)
                    + maybe,
                )
            if opt.key in got:
                raise self.fail(opt.column, f"option {opt.key!r} is given twice")
            if not opt.value and not opt.quoted:
                raise self.fail(opt.value_column, f"expected a value after '{opt.key}='")
            value = allowed[opt.key](opt.value, opt.value_column, self.line, opt.key)
            got[opt.key] = (value, opt)
        return got

    def check_quorum(self, got: dict[str, tuple[object, _Token]], *names: str) -> None:
        """Reject r/w/pr/pw larger than n when both are given (a quorum of more than N
        replicas could never be met, paper section 4.5)."""
        if "n" not in got:
            return
        n = got["n"][0]
        for q in names:
            if q in got:
                value, token = got[q]
                if isinstance(value, int) and isinstance(n, int) and value > n:
                    raise self.fail(
                        token.column,
                        f"{q}={value} is larger than n={n}; expected {q} <= n",
                    )


def _opt(got: dict[str, tuple[object, _Token]], key: str) -> object:
    return got[key][0] if key in got else None


def _key(ctx: _Ctx, index: int) -> str:
    token = ctx.expect(index, "a key")
    if not token.value:
        raise ctx.fail(token.column, "expected a non-empty key")
    return token.value


def _parse_cluster(ctx: _Ctx) -> Command:
    ctx.at_most(0, "cluster [option=value ...]")
    got = ctx.take_options(CLUSTER_OPTIONS)
    ctx.check_quorum(got, "r", "w")
    nodes = _opt(got, "nodes")
    count = nodes if isinstance(nodes, int) else len(nodes) if isinstance(nodes, tuple) else None
    if count is not None and "n" in got and got["n"][0] > count:  # type: ignore[operator]
        raise ctx.fail(
            got["n"][1].column,
            f"n={got['n'][0]} is more than the {count} nodes; expected n <= nodes",
        )
    if isinstance(nodes, tuple) and "seeds" in got:
        seeds, token = got["seeds"]
        for seed in seeds:  # type: ignore[union-attr]
            if seed not in nodes:
                raise ctx.fail(
                    token.value_column,
                    f"seed {seed!r} is not one of the nodes; expected one of: {', '.join(nodes)}",
                )
    options = tuple((k, got[k][0]) for k in CLUSTER_OPTIONS if k in got)
    return Cluster(options)


def _parse_put(ctx: _Ctx, client: str | None) -> Command:
    ctx.at_most(2, "put KEY VALUE [via=NODE] [n=] [r=] [w=] [pw=]")
    key = _key(ctx, 0)
    value = ctx.expect(1, "a value (quote it if it has spaces)").value
    quorum = {"n": _positive, "r": _positive, "w": _positive, "pw": _positive}
    got = ctx.take_options({**_NODE_OPT, **quorum})
    ctx.check_quorum(got, "r", "w", "pw")
    via, n, w, pw, r = (_opt(got, k) for k in ("via", "n", "w", "pw", "r"))
    return Put(client, key, value, via, n, w, pw, r)


def _parse_get(ctx: _Ctx, client: str | None) -> Command:
    ctx.at_most(1, "get KEY [via=NODE] [n=] [r=] [pr=]")
    key = _key(ctx, 0)
    got = ctx.take_options({**_NODE_OPT, "n": _positive, "r": _positive, "pr": _positive})
    ctx.check_quorum(got, "r", "pr")
    return Get(client, key, _opt(got, "via"), _opt(got, "n"), _opt(got, "r"), _opt(got, "pr"))


def _parse_delete(ctx: _Ctx, client: str | None) -> Command:
    ctx.at_most(1, "delete KEY [via=NODE] [w=]")
    key = _key(ctx, 0)
    got = ctx.take_options({**_NODE_OPT, "w": _positive})
    return Delete(client, key, _opt(got, "via"), _opt(got, "w"))


def _one_node(cls: type[Command]) -> Callable[[_Ctx], Command]:
    def parse(ctx: _Ctx) -> Command:
        ctx.at_most(1, f"{cls.name} NODE")
        node = ctx.node(0)
        ctx.take_options({})
        return cls(node)  # type: ignore[call-arg]

    return parse


def _no_args(cls: type[Command]) -> Callable[[_Ctx], Command]:
    def parse(ctx: _Ctx) -> Command:
        ctx.at_most(0, cls.name)
        ctx.take_options({})
        return cls()

    return parse


_PARTITION_TOKEN = re.compile(r"[^\s,|]+|[,|]")


def _parse_partition(ctx: _Ctx) -> Command:
    base = ctx.keyword.end
    groups: list[list[str]] = [[]]
    seen: set[str] = set()
    expect_name = True
    last_col = ctx.end_column
    for m in _PARTITION_TOKEN.finditer(ctx.text, base, ctx.end):
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
            raise ctx.fail(col, f"expected ',' or '|' before {_show(word)}")
        _name(word, col, ctx.line, "a node name")
        if word in seen:
            raise ctx.fail(
                col, f"node {word!r} is listed twice; each node belongs to exactly one group"
            )
        seen.add(word)
        groups[-1].append(word)
        expect_name = False
    if expect_name:
        if len(groups) == 1 and not groups[0]:
            raise ctx.fail(
                last_col,
                "expected groups of node names after 'partition', e.g. 'partition n1,n2 | n3,n4'",
            )
        raise ctx.fail(last_col, "expected a node name at the end of the line")
    if len(groups) < 2:
        raise ctx.fail(last_col, "expected at least two groups separated by '|'")
    return Partition(tuple(tuple(g) for g in groups))


def _parse_loss(ctx: _Ctx) -> Command:
    ctx.at_most(1, "loss P")
    token = ctx.expect(0, "a probability from 0 to 1")
    ctx.take_options({})
    return Loss(_probability(token.value, token.column, ctx.line, "the loss"))


def _parse_latency(ctx: _Ctx) -> Command:
    ctx.at_most(1, "latency LOW..HIGH | latency DURATION")
    token = ctx.expect(0, "a latency like '1ms..5ms'")
    ctx.take_options({})
    lo, hi = _range(token.value, token.column, ctx.line, "the latency")
    return Latency(lo, hi)


def _parse_skew(ctx: _Ctx) -> Command:
    ctx.at_most(2, "skew NODE +5s")
    node = ctx.node(0)
    token = ctx.expect(1, "a clock skew like '+5s' or '-200ms'")
    ctx.take_options({})
    return Skew(node, _skew(token.value, token.column, ctx.line, "the skew"))


def _parse_run(ctx: _Ctx) -> Command:
    ctx.at_most(1, "run DURATION")
    token = ctx.expect(0, "a duration like '2s'")
    ctx.take_options({})
    return Run(_duration(token.value, token.column, ctx.line, "the duration"))


def _parse_step(ctx: _Ctx) -> Command:
    ctx.at_most(1, "step [COUNT]")
    ctx.take_options({})
    if not ctx.args:
        return Step()
    token = ctx.args[0]
    return Step(_int(token.value, token.column, ctx.line, "the step count"))


def _parse_settle(ctx: _Ctx) -> Command:
    ctx.at_most(1, "settle [DURATION]")
    ctx.take_options({})
    if not ctx.args:
        return Settle()
    token = ctx.args[0]
    return Settle(_duration(token.value, token.column, ctx.line, "the time limit"))


def _parse_inspect(ctx: _Ctx) -> Command:
    key = _key(ctx, 0)
    ctx.take_options({})
    if len(ctx.args) == 1:
        return Inspect(key)
    on = ctx.args[1]
    if on.value != "on" or on.quoted:
        raise ctx.fail(
            on.column, f"expected 'on NODE' after the key, got {_show(on.show(ctx.text))}"
        )
    node = ctx.node(2, "a node name")
    ctx.at_most(3, "inspect KEY [on NODE]")
    return Inspect(key, node)


def _parse_say(ctx: _Ctx) -> Command:
    tokens = ctx.args + ctx.options
    if not tokens:
        raise ctx.fail(ctx.end_column, "expected text to say after 'say', e.g. say \"hello\"")
    if len(tokens) == 1 and tokens[0].quoted and tokens[0].key is None:
        return Say(tokens[0].value)
    return Say(ctx.rest())


def _parse_join(ctx: _Ctx) -> Command:
    ctx.at_most(1, "join NODE [vnodes=N]")
    node = ctx.node(0)
    got = ctx.take_options({"vnodes": _positive})
    return Join(node, _opt(got, "vnodes"))  # type: ignore[arg-type]


def _parse_antientropy(ctx: _Ctx) -> Command:
    ctx.at_most(2, "antientropy A B")
    a = ctx.node(0)
    b = ctx.node(1, "a second node name")
    ctx.take_options({})
    if a == b:
        raise ctx.fail(ctx.args[1].column, f"expected two different nodes, got {a!r} twice")
    return AntiEntropy(a, b)


def _parse_wait(ctx: _Ctx) -> Command:
    words = sorted(ctx.args + ctx.options, key=lambda t: t.start)
    if not words or words[0].value != "until" or words[0].key is not None or words[0].quoted:
        column = words[0].column if words else ctx.end_column
        raise ctx.fail(column, "expected 'until' after 'wait' (wait until PREDICATE)")
    until, body = words[0], words[1:]
    timeout = None
    end = ctx.end
    if body and body[-1].key == "timeout":
        last = body.pop()
        timeout = _duration(last.value, last.value_column, ctx.line, "the timeout")
        end = last.start
    predicate = ctx.text[until.end : end].strip()
    if not predicate:
        raise ctx.fail(until.end + 1, "expected a predicate after 'wait until'")
    return WaitUntil(predicate, timeout)


def _parse_expect(ctx: _Ctx) -> Command:
    check = ctx.rest()
    if not check:
        raise ctx.fail(ctx.end_column, "expected a check after 'expect'")
    return Expect(check)


_Parser = Callable[[_Ctx], Command]
_CLIENT_PARSERS: dict[str, Callable[[_Ctx, str | None], Command]] = {
    "put": _parse_put,
    "get": _parse_get,
    "delete": _parse_delete,
}

# name -> (parser, syntax, description); the order is the help screen's order.
_COMMANDS: dict[str, tuple[_Parser, str, str]] = {
    "cluster": (
        _parse_cluster,
        "cluster [nodes=5|S1,S2,..] [n= r= w=] [vnodes=] [partitions=] [strategy=equal|random]"
        " [versioning=dvv|vclock] [resolver=siblings|lww] [seed=] [latency=1ms..5ms] [loss=P]"
        " [seeds=n1,n2] [handoff= readrepair= antientropy=on|off] [routing=aware|lb]"
        " [storage=memory|sqlite] [dir=PATH]",
        "Build a fresh cluster with these settings.",
    ),
    "put": (
        lambda ctx: _parse_put(ctx, None),
        "[as CLIENT] put KEY VALUE [via=NODE] [n=] [r=] [w=] [pw=]",
        "Write a value (with the client's context for the key).",
    ),
    "get": (
        lambda ctx: _parse_get(ctx, None),
        "[as CLIENT] get KEY [via=NODE] [n=] [r=] [pr=]",
        "Read a key; shows every sibling version and the context.",
    ),
    "delete": (
        lambda ctx: _parse_delete(ctx, None),
        "[as CLIENT] delete KEY [via=NODE] [w=]",
        "Delete a key (writes a tombstone over the client's context).",
    ),
    "kill": (_one_node(Kill), "kill NODE", "Crash a node; its storage survives."),
    "recover": (_one_node(Recover), "recover NODE", "Restart a crashed node."),
    "wipe": (_one_node(Wipe), "wipe NODE", "A node loses its disk and restarts empty, as a new actor (the kv679 case)."),
    "partition": (
        _parse_partition,
        "partition A,B | C,D,E [| ...]",
        "Split the network into groups that cannot reach each other.",
    ),
    "heal": (_no_args(Heal), "heal", "Remove every network partition."),
    "loss": (_parse_loss, "loss P", "Drop each message with probability P (0 to 1)."),
    "latency": (
        _parse_latency,
        "latency LOW..HIGH",
        "Delay each message uniformly between LOW and HIGH (e.g. 1ms..5ms).",
    ),
    "skew": (_parse_skew, "skew NODE +5s", "Offset a node's clock by a signed duration."),
    "run": (_parse_run, "run DURATION", "Advance virtual time, e.g. run 2s."),
    "step": (_parse_step, "step [COUNT]", "Process the next event (or COUNT events)."),
    "settle": (
        _parse_settle,
        "settle [DURATION]",
        "Run until nothing is pending (or at most DURATION).",
    ),
    "inspect": (
        _parse_inspect,
        "inspect KEY [on NODE]",
        "Show a key's preference list and stored versions.",
    ),
    "say": (_parse_say, 'say "TEXT"', "Show narration text (lessons and sessions)."),
    "join": (_parse_join, "join NODE [vnodes=N]", "A new node joins: it claims partitions and pulls the ranges it gains."),
    "leave": (_one_node(Leave), "leave NODE", "A node leaves gracefully, handing off its data."),
    "remove": (_one_node(Remove), "remove NODE", "A node is gone for good; its ranges are rebuilt from the other replicas."),
    "antientropy": (
        _parse_antientropy,
        "antientropy A B",
        "Merkle-tree anti-entropy between two nodes, for every range both replicate.",
    ),
    "gossip": (_one_node(Gossip), "gossip NODE", "Run one gossip round from a node."),
    "views": (_no_args(Views), "views", "Show every node's membership view."),
    "wait": (
        _parse_wait,
        "wait until PREDICATE [timeout=DURATION]",
        "Run until the predicate holds (lessons).",
    ),
    "pause": (_no_args(Pause), "pause", "Pause until the user continues (lessons)."),
    "expect": (_parse_expect, "expect CHECK", "Check the cluster's state (lessons)."),
}

COMMAND_NAMES: tuple[str, ...] = tuple(_COMMANDS)
"""Every command keyword, in help order (for completion in the TUI)."""


def command_help() -> list[tuple[str, str]]:
    """(syntax, one-line description) of every command, for the help screen and --help."""
    return [(syntax, description) for _, syntax, description in _COMMANDS.values()]


def _unknown(word: _Token, text: str, line: int) -> CommandError:
    shown = word.show(text)
    if word.quoted or word.key is not None:
        return CommandError(
            line, word.column, f"expected a command name, got {_show(shown)}; try 'help'"
        )
    hint = difflib.get_close_matches(word.value.lower(), [*COMMAND_NAMES, "as"], n=1)
    maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
    return CommandError(line, word.column, f"unknown command {_show(shown)}{maybe}")


def parse_line(text: str, line: int = 1) -> Command | None:
    """Parse one line; ``None`` for a blank or comment-only line.

    Raises :class:`CommandError` (and nothing else) for any other text.
    """
    if "\n" in text:
        raise CommandError(line, text.index("\n") + 1, "expected one line, found a line break")
    lexed = _lex(text, line)
    tokens = lexed.tokens
    if not tokens:
        return None
    client: str | None = None
    first = tokens[0]
    if first.value == "as" and not first.quoted and first.key is None:
        if len(tokens) < 2:
            raise CommandError(line, first.end + 1, "expected a client name after 'as'")
        client_token = tokens[1]
        client = _name(client_token.value, client_token.column, line, "a client name")
        if len(tokens) < 3:
            raise CommandError(
                line, client_token.end + 1, f"expected put, get or delete after 'as {client}'"
            )
        first = tokens[2]
        tokens = tokens[2:]
        if first.quoted or first.key is not None or first.value not in _CLIENT_PARSERS:
            if not first.quoted and first.key is None and first.value in _COMMANDS:
                raise CommandError(
                    line,
                    first.column,
                    f"'as {client}' can only come before put, get or delete, not {first.value!r}",
                )
            raise _unknown(first, text, line)
    elif first.quoted or first.key is not None or first.value not in _COMMANDS:
        raise _unknown(first, text, line)
    rest = tokens[1:]
    ctx = _Ctx(
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
        command = _COMMANDS[first.value][0](ctx)
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
