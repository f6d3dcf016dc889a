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

import base64
import binascii
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, ClassVar

__all__ = [
    "COMMAND_NAMES",
    "Abort",
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
    """``say "text" [key=KEY] [node=NODE] [panel=PANEL]``: narration for lessons and
    recorded sessions. The options are the narration's *cue*: what it is about. The app
    selects the key and the node and brings the panel on screen while it is read."""

    name: ClassVar[str] = "say"
    text: str
    key: str | None = None
    node: str | None = None
    panel: str | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class Abort(Command):
    """``abort``: stop a long ``step``/``run``/``settle`` the app is running in slices
    (what escape does; recorded, so a replay shows where it stopped)."""

    name: ClassVar[str] = "abort"
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
# Tables (issue 7): ``table SUBCOMMAND ...``. Every table command's ``name`` is "table";
# ``verb`` is its subcommand.
# --------------------------------------------------------------------------------------

_TYPE_NAMES = ("S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS")
_NUMBER_WORD = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@dataclass(frozen=True, slots=True)
class TableValue:
    """One attribute value as the user wrote it.

    ``kind`` is ``word`` (bare: its type is inferred, a number is N, ``true``/``false``
    BOOL, ``null`` NULL, anything else S), ``string`` (quoted: S) or ``json`` (``text``
    is a DynamoDB typed value, ``{"N":"42"}``, as canonical JSON; binary as base64). A
    key attribute written as a word or a string takes the type its table declares."""

    text: str
    kind: str = "word"

    def attribute(self) -> dict[str, Any]:
        """The value in DynamoDB's JSON wire shape (binary as base64 text)."""
        if self.kind == "json":
            return json.loads(self.text)  # type: ignore[no-any-return]
        if self.kind == "word":
            if self.text in ("true", "false"):
                return {"BOOL": self.text == "true"}
            if self.text == "null":
                return {"NULL": True}
            if _NUMBER_WORD.fullmatch(self.text):
                return {"N": self.text}
        return {"S": self.text}

    def as_type(self, type_name: str) -> dict[str, Any]:
        """The value as a key attribute of type ``type_name`` (S, N or B); raises
        ValueError with a message for the user when it cannot be one."""
        if self.kind == "json":
            return self.attribute()
        if type_name == "N":
            if not _NUMBER_WORD.fullmatch(self.text):
                raise ValueError(f"expected a number, got {_show(self.text)}")
            return {"N": self.text}
        if type_name == "B":
            return {"B": base64.b64encode(self.text.encode("utf-8")).decode("ascii")}
        return {"S": self.text}

    def show(self) -> str:
        """The value as it would be typed again."""
        if self.kind == "word":
            return self.text
        if self.kind == "string":
            return _quote(self.text)
        return self.text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


Attributes = tuple[tuple[str, TableValue], ...]
"""Named attribute values in the order written (an item, or a key)."""


@dataclass(frozen=True, slots=True)
class TableIndex:
    """An index of ``table create``: ``lsi=NAME:ATTR:TYPE[:PROJ]`` or
    ``gsi=NAME:PK:TYPE[:SK:TYPE][:PROJ]``; ``projection`` is ALL or KEYS_ONLY."""

    index: str
    pk: tuple[str, str]
    sk: tuple[str, str] | None = None
    projection: str = "ALL"


@dataclass(frozen=True, slots=True)
class KeyTerm:
    """One condition: ``attr op values`` with ``op`` one of = <> < <= > >= between
    begins_with contains (``between`` has two values, the others one; ``contains``
    only in filters, as in DynamoDB)."""

    attr: str
    op: str
    values: tuple[TableValue, ...]

    def show(self) -> str:
        if self.op == "between":
            return f"{self.attr} between {self.values[0].show()} and {self.values[1].show()}"
        if self.op in ("begins_with", "contains"):
            return f"{self.attr} {self.op} {self.values[0].show()}"
        if self.op == "=":
            return f"{self.attr}={self.values[0].show()}"
        return f"{self.attr} {self.op} {self.values[0].show()}"


@dataclass(frozen=True, slots=True)
class TableCreate(Command):
    """``table create NAME pk=ATTR[:TYPE] [sk=ATTR[:TYPE]] [lsi=...] [gsi=...]
    [rcu=N wcu=N | ondemand] [stream=VIEW] [accelerator=on|off] [resolver=lww|merge]``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "create"
    table: str
    pk: tuple[str, str]
    sk: tuple[str, str] | None = None
    lsis: tuple[TableIndex, ...] = ()
    gsis: tuple[TableIndex, ...] = ()
    rcu: int | None = None
    wcu: int | None = None
    stream: str | None = None
    accelerator: bool = False
    resolver: str = "LWW"
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TablePut(Command):
    """``table put NAME ATTR=VALUE ...`` or ``table put NAME {JSON}``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "put"
    table: str
    item: Attributes
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableGet(Command):
    """``table get NAME ATTR=VALUE [ATTR=VALUE] [consistent]``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "get"
    table: str
    item_key: Attributes
    consistent: bool = False
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableDelete(Command):
    """``table delete NAME ATTR=VALUE [ATTR=VALUE]``: delete one item."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "delete"
    table: str
    item_key: Attributes
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableQuery(Command):
    """``table query NAME PK=V [SORT-CONDITION] [where FILTER] [index=] [limit=] [desc]
    [consistent] [after KEY]``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "query"
    table: str
    partition: KeyTerm
    sort: KeyTerm | None = None
    where: tuple[KeyTerm, ...] = ()
    index: str | None = None
    limit: int | None = None
    descending: bool = False
    consistent: bool = False
    after: Attributes = ()
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableScan(Command):
    """``table scan NAME [where FILTER] [index=] [limit=] [segment=I/N] [consistent]
    [after KEY]``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "scan"
    table: str
    where: tuple[KeyTerm, ...] = ()
    index: str | None = None
    limit: int | None = None
    segment: tuple[int, int] | None = None
    consistent: bool = False
    after: Attributes = ()
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableStream(Command):
    """``table stream NAME [from=trim_horizon|latest] [limit=N]``: read the table's
    stream from where the last ``table stream`` of it stopped."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "stream"
    table: str
    start: str | None = None
    limit: int | None = None
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableList(Command):
    """``table list``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "list"
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableDescribe(Command):
    """``table describe NAME``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "describe"
    table: str
    line: int = _LINE
    source: str = _SOURCE


@dataclass(frozen=True, slots=True)
class TableDrop(Command):
    """``table drop NAME``: delete the table and its items."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "drop"
    table: str
    line: int = _LINE
    source: str = _SOURCE


TABLE_COMMANDS: tuple[type[Command], ...] = (
    TableCreate, TablePut, TableGet, TableDelete, TableQuery, TableScan, TableStream, TableList,
    TableDescribe, TableDrop,
)


# --------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------

_OPTION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class _Token:
    """One word of a line. ``start``/``end`` index the line; ``value`` is unescaped."""

    value: str
    start: int
    end: int
    quoted: bool = False
    key: str | None = None  # set for ``key=value`` options; ``value`` is then the value
    value_start: int = 0  # index of the option's value (or its opening quote)
    data: object = None  # the decoded JSON of a ``{...}`` word (``table`` lines only)

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


def _lex(text: str, line: int, braces: bool = False) -> _Lexed:
    """Split a line into words. With ``braces`` (``table`` lines), a word that starts
    with ``{`` is a JSON object running to its matching ``}`` (spaces and ``#`` inside)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        if text[i] == "#":
            return _Lexed(tokens, start)
        if braces and text[i] == "{":
            data, i = _read_json(text, i, line)
            _need_space(text, i, line)
            tokens.append(_Token(text[start:i], start, i, data=data))
            continue
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


class _Num(str):
    """A JSON number kept as its exact text (DynamoDB numbers are decimal strings)."""


class _Constant(str):
    """NaN or Infinity in JSON: not a number DynamoDB accepts (rejected when checked)."""


_JSON = json.JSONDecoder(parse_int=_Num, parse_float=_Num, parse_constant=_Constant)


def _read_json(text: str, start: int, line: int) -> tuple[object, int]:
    """Decode the JSON object opening at ``text[start]``; return (value, index after)."""
    try:
        return _JSON.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise CommandError(line, min(exc.pos, len(text)) + 1, f"bad JSON: {exc.msg}") from None
    except RecursionError:
        raise CommandError(line, start + 1, "bad JSON: nested too deeply") from None


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
            f"expected {what} made of letters, digits, '-' and '_' (starting with a letter or digit), "
            f"got {_show(text)}",
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


MAX_STEP = 100_000_000
"""The most events one ``step`` runs (tens of minutes of work; more is surely a typo)."""
MAX_RUN = 24 * 3600 * 1_000_000
"""The longest ``run`` or ``settle``: one virtual day."""


def _at_most(value: int, limit: int, token: _Token, line: int, what: str, shown: str) -> int:
    if value > limit:
        raise CommandError(line, token.column, f"{what} is at most {shown}, got {_show(token.value)} "
                                               "(split the work; settle runs until nothing is pending)")
    return value


def _parse_run(ctx: _Ctx) -> Command:
    ctx.at_most(1, "run DURATION")
    token = ctx.expect(0, "a duration like '2s'")
    ctx.take_options({})
    micros = _duration(token.value, token.column, ctx.line, "the duration")
    return Run(_at_most(micros, MAX_RUN, token, ctx.line, "a run", "1440m (a virtual day)"))


def _parse_step(ctx: _Ctx) -> Command:
    ctx.at_most(1, "step [COUNT]")
    ctx.take_options({})
    if not ctx.args:
        return Step()
    token = ctx.args[0]
    count = _int(token.value, token.column, ctx.line, "the step count")
    return Step(_at_most(count, MAX_STEP, token, ctx.line, "the step count", f"{MAX_STEP:,}"))


def _parse_settle(ctx: _Ctx) -> Command:
    ctx.at_most(1, "settle [DURATION]")
    ctx.take_options({})
    if not ctx.args:
        return Settle()
    token = ctx.args[0]
    micros = _duration(token.value, token.column, ctx.line, "the time limit")
    return Settle(_at_most(micros, MAX_RUN, token, ctx.line, "settle's time limit", "1440m (a virtual day)"))


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


CUE_PANELS: tuple[str, ...] = ("ring", "preflist", "versions", "log", "nodes", "messages", "gossip", "merkle")
"""Panels a narration's cue can name (the app's panel names, ``dynviz.tui.panels``)."""


def _cue_panel(text: str, col: int, line: int, what: str) -> str:
    if text not in CUE_PANELS:
        hint = difflib.get_close_matches(text, CUE_PANELS, n=1)
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise CommandError(line, col, f"unknown panel {_show(text)}{maybe}; the panels are {', '.join(CUE_PANELS)}")
    return text


def _cue_key(text: str, col: int, line: int, what: str) -> str:
    if not text:
        raise CommandError(line, col, "expected a non-empty key after key=")
    return text


_SAY_CUES: dict[str, _Converter] = {"key": _cue_key, "node": _name, "panel": _cue_panel}


def _parse_say(ctx: _Ctx) -> Command:
    tokens = ctx.args + ctx.options
    if not tokens:
        raise ctx.fail(ctx.end_column, "expected text to say after 'say', e.g. say \"hello\"")
    if len(ctx.args) == 1 and tokens[0].quoted and tokens[0].key is None:
        got = ctx.take_options(_SAY_CUES)
        return Say(tokens[0].value, _opt(got, "key"), _opt(got, "node"), _opt(got, "panel"))  # type: ignore[arg-type]
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


# -- tables ------------------------------------------------------------------------------

_TABLE_LINE = re.compile(r"\s*table(?:\s|$)")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_ATTR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMPARE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(<=|>=|<>|<|>)(.*)")
_OP_WORD = re.compile(r"(<=|>=|<>|<|>|=)(.*)")
_BEGINS = re.compile(r"(begins_with|contains)\(([A-Za-z_][A-Za-z0-9_]*),(.+)\)")
_STREAM_VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
_MAX_JSON_DEPTH = 32

TABLE_SYNTAX: dict[str, tuple[str, str]] = {
    "create": (
        "table create NAME pk=ATTR[:S|N|B] [sk=ATTR[:TYPE]] [lsi=NAME:ATTR:TYPE[:all|keys]]"
        " [gsi=NAME:PK:TYPE[:SK:TYPE][:all|keys]] [rcu=N wcu=N | ondemand]"
        " [stream=KEYS_ONLY|NEW_IMAGE|OLD_IMAGE|NEW_AND_OLD_IMAGES] [accelerator=on] [resolver=lww|merge]",
        "Create a table (on-demand unless rcu/wcu are given; GSIs get the table's rcu/wcu). resolver=merge "
        "unions set attributes of concurrent versions (the paper's shopping cart) instead of last write wins.",
    ),
    "put": (
        "table put NAME ATTR=VALUE ... | table put NAME {JSON}",
        "Write an item: 42 is a number, \"42\" or ada a string, true/false/null; or DynamoDB JSON.",
    ),
    "get": ("table get NAME PK=V [SK=V] [consistent]", "Read one item (consistent: R=N)."),
    "delete": ("table delete NAME PK=V [SK=V]", "Delete one item."),
    "query": (
        "table query NAME PK=V [SK=V | SK<V | SK<=V | SK>V | SK>=V | SK between A and B |"
        " SK begins_with P] [where FILTER] [index=NAME] [limit=N] [desc] [consistent] [after KEY]",
        "Query one partition key (sort key condition; where filters after limit; after pages on).",
    ),
    "scan": (
        "table scan NAME [where FILTER] [index=NAME] [limit=N] [segment=I/N] [consistent] [after KEY]",
        "Scan a page of items (segment=I/N: one part of a parallel scan).",
    ),
    "stream": (
        "table stream NAME [from=trim_horizon|latest] [limit=N]",
        "Read the table's stream records since the last read (the shard iterators are kept).",
    ),
    "list": ("table list", "List the tables."),
    "describe": ("table describe NAME", "Keys, indexes, capacity, stream and counts of a table."),
    "drop": ("table drop NAME", "Delete a table and its items."),
}
"""``table`` subcommand -> (syntax, description), for the help screen."""


def table_help() -> list[tuple[str, str]]:
    """(syntax, description) of every ``table`` subcommand."""
    return list(TABLE_SYNTAX.values())


def _table_name(ctx: _Ctx, token: _Token | None, verb: str) -> str:
    if token is None:
        raise ctx.fail(ctx.end_column, f"expected a table name after 'table {verb}'")
    if token.key is not None or token.data is not None or not _TABLE_NAME.fullmatch(token.value):
        raise ctx.fail(
            token.column,
            "expected a table name (3 to 255 letters, digits, '_', '-' or '.'), got "
            + _show(token.show(ctx.text)),
        )
    return token.value


def _attr_value(ctx: _Ctx, token: _Token) -> TableValue:
    """The value of an ``ATTR=VALUE`` word."""
    if not token.value and not token.quoted:
        raise ctx.fail(token.value_column, f"expected a value after '{token.key}='")
    return TableValue(token.value, "string" if token.quoted else "word")


def _plain_value(ctx: _Ctx, token: _Token) -> TableValue:
    """A value written alone (after an operator, between, begins_with)."""
    if token.key is not None or token.data is not None:
        raise ctx.fail(token.column, f"expected a value, got {_show(token.show(ctx.text))}")
    return TableValue(token.value, "string" if token.quoted else "word")


def _json_number(value: str, where: str) -> str:
    if isinstance(value, _Constant) or not _NUMBER_WORD.fullmatch(value.strip()):
        raise ValueError(f"{where}: {value!r} is not a number")
    return str(value)


def _json_b64(value: object, where: str) -> str:
    if not isinstance(value, str) or isinstance(value, _Num):
        raise ValueError(f"{where}: expected base64 text for B")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where}: {_show(value)} is not base64") from None
    return str(value)


def _typed(value: object, where: str, depth: int = 0) -> dict[str, Any]:
    """Check a DynamoDB typed value (``{"S": "x"}``) and return it in canonical form."""
    if depth > _MAX_JSON_DEPTH:
        raise ValueError(f"{where}: nested more than {_MAX_JSON_DEPTH} levels")
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in _TYPE_NAMES:
        raise ValueError(f"{where}: expected a typed value like {{\"S\": \"x\"}} or {{\"N\": \"1\"}}, "
                         f"one of the types {', '.join(_TYPE_NAMES)}")
    kind, v = next(iter(value.items()))
    if kind == "S":
        if not isinstance(v, str) or isinstance(v, (_Num, _Constant)):
            raise ValueError(f"{where}: S takes a JSON string")
        return {"S": str(v)}
    if kind == "N":
        if not isinstance(v, str):
            raise ValueError(f"{where}: N takes a number or a string of digits")
        return {"N": _json_number(v, where)}
    if kind == "B":
        return {"B": _json_b64(v, where)}
    if kind == "BOOL":
        if not isinstance(v, bool):
            raise ValueError(f"{where}: BOOL takes true or false")
        return {"BOOL": v}
    if kind == "NULL":
        if v is not True:
            raise ValueError(f"{where}: NULL takes true")
        return {"NULL": True}
    if not isinstance(v, (list, dict)) or (kind == "M") != isinstance(v, dict):
        raise ValueError(f"{where}: {kind} takes a JSON {'object' if kind == 'M' else 'array'}")
    if kind == "M":
        return {"M": {str(k): _typed(x, f"{where}.{k}", depth + 1) for k, x in v.items()}}  # type: ignore[union-attr]
    if kind == "L":
        return {"L": [_typed(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]}
    out = []
    for i, x in enumerate(v):
        at = f"{where}[{i}]"
        if kind == "SS":
            if not isinstance(x, str) or isinstance(x, (_Num, _Constant)):
                raise ValueError(f"{at}: SS holds strings")
            out.append(str(x))
        elif kind == "NS":
            if not isinstance(x, str):
                raise ValueError(f"{at}: NS holds numbers")
            out.append(_json_number(x, at))
        else:
            out.append(_json_b64(x, at))
    return {kind: out}


def _plain(value: object, where: str, depth: int = 0) -> dict[str, Any]:
    """Plain JSON (``{"id": 42}``) as a typed value: numbers N, strings S, true/false
    BOOL, null NULL, arrays L, objects M."""
    if depth > _MAX_JSON_DEPTH:
        raise ValueError(f"{where}: nested more than {_MAX_JSON_DEPTH} levels")
    if isinstance(value, _Constant):
        raise ValueError(f"{where}: {value} is not a number DynamoDB accepts")
    if isinstance(value, _Num):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list):
        return {"L": [_plain(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(value)]}
    assert isinstance(value, dict)
    return {"M": {str(k): _plain(x, f"{where}.{k}", depth + 1) for k, x in value.items()}}


def _is_typed(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPE_NAMES


def _json_item(ctx: _Ctx, token: _Token, what: str) -> Attributes:
    """An item or key written as JSON: DynamoDB's typed shape when every value is typed
    (``{"id": {"N": "42"}}``), plain JSON otherwise (``{"id": 42}``)."""
    data = token.data
    assert isinstance(data, dict)
    if not data:
        raise ctx.fail(token.column, f"expected {what} with at least one attribute, got {{}}")
    typed = all(_is_typed(v) for v in data.values())
    out = []
    try:
        for name, value in data.items():
            av = _typed(value, name) if typed else _plain(value, name)
            out.append((str(name), TableValue(json.dumps(av, sort_keys=True, separators=(",", ":"),
                                                         ensure_ascii=False), "json")))
    except ValueError as exc:
        raise ctx.fail(token.column, f"bad JSON for {what.split(' ', 1)[-1]}: {exc}") from None
    return tuple(out)


def _attributes(ctx: _Ctx, words: list[_Token], what: str, usage: str) -> Attributes:
    """``ATTR=VALUE ...`` words or one ``{JSON}`` word."""
    if not words:
        raise ctx.fail(ctx.end_column, f"expected {what} as ATTR=VALUE ... or {{JSON}}; usage: {usage}")
    if words[0].data is not None:
        if len(words) > 1:
            raise ctx.fail(words[1].column, f"unexpected {_show(words[1].show(ctx.text))} after the JSON; "
                                            f"usage: {usage}")
        return _json_item(ctx, words[0], what)
    out: list[tuple[str, TableValue]] = []
    seen: set[str] = set()
    for w in words:
        if w.key is None:
            raise ctx.fail(w.column, f"expected ATTR=VALUE, got {_show(w.show(ctx.text))}; usage: {usage}")
        if w.key in seen:
            raise ctx.fail(w.column, f"attribute {w.key!r} is given twice")
        seen.add(w.key)
        out.append((w.key, _attr_value(ctx, w)))
    return tuple(out)


def _key_type(ctx: _Ctx, text: str, column: int, what: str) -> tuple[str, str]:
    """``ATTR`` or ``ATTR:TYPE`` (TYPE S, N or B; S when omitted)."""
    attr, _, type_name = text.partition(":")
    if not _ATTR_NAME.fullmatch(attr):
        raise ctx.fail(column, f"expected {what} as ATTR or ATTR:TYPE, got {_show(text)}")
    type_name = type_name or "S"
    if type_name.upper() not in ("S", "N", "B"):
        raise ctx.fail(column + len(attr) + 1, f"expected the type of {attr!r} to be S, N or B; got {_show(type_name)}")
    return attr, type_name.upper()


def _index_spec(ctx: _Ctx, token: _Token, local: bool) -> TableIndex:
    kind = "lsi" if local else "gsi"
    usage = "lsi=NAME:ATTR:TYPE[:all|keys]" if local else "gsi=NAME:PK:TYPE[:SK:TYPE][:all|keys]"
    parts = token.value.split(":")
    projection = "ALL"
    if parts and parts[-1].lower() in ("all", "keys") and len(parts) in ((4,) if local else (4, 6)):
        projection = "ALL" if parts.pop().lower() == "all" else "KEYS_ONLY"
    shapes = (3,) if local else (3, 5)
    if len(parts) not in shapes or not all(parts):
        raise ctx.fail(token.value_column, f"expected {usage}, got {_show(token.value)}")
    col = token.value_column
    name = parts[0]
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", name):
        raise ctx.fail(col, f"expected an index name (3 to 255 letters, digits, '_', '-' or '.'), got {_show(name)}")
    col += len(name) + 1
    pk = _key_type(ctx, f"{parts[1]}:{parts[2]}", col, f"the {kind}'s key")
    sk = None
    if len(parts) == 5:
        sk = _key_type(ctx, f"{parts[3]}:{parts[4]}", col + len(parts[1]) + len(parts[2]) + 2,
                       f"the {kind}'s sort key")
    if local:
        return TableIndex(name, ("", ""), pk, projection)  # an LSI keeps the table's partition key
    return TableIndex(name, pk, sk, projection)


def _parse_table_create(ctx: _Ctx, name: str, words: list[_Token]) -> Command:
    got: dict[str, tuple[object, _Token]] = {}
    lsis: list[TableIndex] = []
    gsis: list[TableIndex] = []
    ondemand: _Token | None = None
    allowed = ("pk", "sk", "lsi", "gsi", "rcu", "wcu", "stream", "accelerator", "resolver")
    for w in words:
        if w.key is None:
            if w.value == "ondemand" and not w.quoted and w.data is None:
                ondemand = w
                continue
            raise ctx.fail(w.column, f"unexpected {_show(w.show(ctx.text))}; usage: {TABLE_SYNTAX['create'][0]}")
        if w.key not in allowed:
            hint = difflib.get_close_matches(w.key.lower(), list(allowed), n=1)
            maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ctx.fail(w.column, f"unknown option {w.key!r} for table create; expected one of: "
                                     + ", ".join(allowed) + maybe)
        if not w.value:
            raise ctx.fail(w.value_column, f"expected a value after '{w.key}='")
        if w.key in ("lsi", "gsi"):
            ix = _index_spec(ctx, w, w.key == "lsi")
            if any(x.index == ix.index for x in (*lsis, *gsis)):
                raise ctx.fail(w.value_column, f"index {ix.index!r} is given twice")
            (lsis if w.key == "lsi" else gsis).append(ix)
            continue
        if w.key in got:
            raise ctx.fail(w.column, f"option {w.key!r} is given twice")
        value: object
        if w.key in ("pk", "sk"):
            value = _key_type(ctx, w.value, w.value_column, "the partition key" if w.key == "pk" else "the sort key")
        elif w.key in ("rcu", "wcu"):
            value = _int(w.value, w.value_column, ctx.line, w.key)
        elif w.key == "stream":
            if w.value.upper() not in _STREAM_VIEWS:
                raise ctx.fail(w.value_column, f"expected stream to be one of: {', '.join(_STREAM_VIEWS)}; "
                                               f"got {_show(w.value)}")
            value = w.value.upper()
        elif w.key == "resolver":
            if w.value.lower() not in ("lww", "merge"):
                raise ctx.fail(w.value_column, f"expected resolver to be lww or merge; got {_show(w.value)}")
            value = w.value.upper()
        else:
            value = _switch(w.value, w.value_column, ctx.line, w.key)
        got[w.key] = (value, w)
    if "pk" not in got:
        raise ctx.fail(ctx.end_column, "expected pk=ATTR[:TYPE] (the partition key) for table create")
    if ("rcu" in got) != ("wcu" in got):
        missing = "wcu" if "rcu" in got else "rcu"
        raise ctx.fail(ctx.end_column, f"expected {missing}= too: a provisioned table needs rcu= and wcu=")
    if ondemand is not None and "rcu" in got:
        raise ctx.fail(ondemand.column, "a table is either ondemand or provisioned (rcu= wcu=), not both")
    pk = got["pk"][0]
    sk = _opt(got, "sk")
    if lsis and sk is None:
        first = next(w for w in words if w.key == "lsi")
        raise ctx.fail(first.column, "a local secondary index needs a table with a sort key (sk=)")
    if sk is not None and sk[0] == pk[0]:  # type: ignore[index]
        raise ctx.fail(got["sk"][1].value_column, "the sort key must differ from the partition key")
    lsis = [TableIndex(ix.index, pk, ix.sk, ix.projection) for ix in lsis]  # type: ignore[arg-type]
    return TableCreate(name, pk, sk, tuple(lsis), tuple(gsis), _opt(got, "rcu"), _opt(got, "wcu"),  # type: ignore[arg-type]
                       _opt(got, "stream"), bool(_opt(got, "accelerator")),  # type: ignore[arg-type]
                       _opt(got, "resolver") or "LWW")  # type: ignore[arg-type]


def _term(ctx: _Ctx, words: list[_Token], i: int) -> tuple[KeyTerm, int]:
    """One condition starting at ``words[i]``; returns it and the index after it."""
    w = words[i]
    text = ctx.text
    if w.key is not None:
        return KeyTerm(w.key, "=", (_attr_value(ctx, w),)), i + 1
    if w.quoted or w.data is not None:
        raise ctx.fail(w.column, f"expected a condition like ATTR=V or ATTR>=V, got {_show(w.show(text))}")
    m = _BEGINS.fullmatch(w.value)
    if m:
        return KeyTerm(m.group(2), m.group(1), (TableValue(m.group(3).strip()),)), i + 1
    m = _COMPARE.fullmatch(w.value)
    if m:
        attr, op, rest = m.groups()
        if rest:
            return KeyTerm(attr, op, (TableValue(rest),)), i + 1
        if i + 1 >= len(words):
            raise ctx.fail(ctx.end_column, f"expected a value after {_show(w.value)}")
        return KeyTerm(attr, op, (_plain_value(ctx, words[i + 1]),)), i + 2
    if not _ATTR_NAME.fullmatch(w.value):
        raise ctx.fail(w.column, f"expected a condition like ATTR=V or ATTR>=V, got {_show(w.show(text))}")
    attr = w.value
    if i + 1 >= len(words):
        raise ctx.fail(ctx.end_column, f"expected an operator after {attr!r} (= < <= > >= <> between begins_with contains)")
    op_word = words[i + 1]
    if op_word.key is None and not op_word.quoted and op_word.data is None:
        if op_word.value == "between":
            if i + 4 >= len(words):
                raise ctx.fail(ctx.end_column, f"expected '{attr} between LOW and HIGH'")
            lo, and_word, hi = words[i + 2], words[i + 3], words[i + 4]
            if and_word.value != "and" or and_word.quoted or and_word.key is not None:
                raise ctx.fail(and_word.column, f"expected 'and' in '{attr} between LOW and HIGH'")
            return KeyTerm(attr, "between", (_plain_value(ctx, lo), _plain_value(ctx, hi))), i + 5
        if op_word.value in ("begins_with", "contains"):
            if i + 2 >= len(words):
                what = "a prefix" if op_word.value == "begins_with" else "a value"
                raise ctx.fail(ctx.end_column, f"expected {what} after '{attr} {op_word.value}'")
            return KeyTerm(attr, op_word.value, (_plain_value(ctx, words[i + 2]),)), i + 3
        m = _OP_WORD.fullmatch(op_word.value)
        if m:
            op, rest = m.groups()
            if rest:
                return KeyTerm(attr, op, (TableValue(rest),)), i + 2
            if i + 2 >= len(words):
                raise ctx.fail(ctx.end_column, f"expected a value after '{attr} {op}'")
            return KeyTerm(attr, op, (_plain_value(ctx, words[i + 2]),)), i + 3
    raise ctx.fail(op_word.column, f"expected an operator after {attr!r} (= < <= > >= <> between begins_with contains), "
                                   f"got {_show(op_word.show(text))}")


def _parse_table_read(ctx: _Ctx, verb: str, name: str, words: list[_Token]) -> Command:
    """``table query`` and ``table scan``: key conditions, where, options, after."""
    reserved = {"index": None, "limit": None} if verb == "query" else {"index": None, "limit": None, "segment": None}
    got: dict[str, tuple[object, _Token]] = {}
    keys: list[KeyTerm] = []
    where: list[KeyTerm] = []
    after: list[tuple[str, TableValue]] = []
    flags: set[str] = set()
    region = "keys"
    usage = TABLE_SYNTAX[verb][0]
    i = 0
    while i < len(words):
        w = words[i]
        if w.key in reserved:
            if w.key in got:
                raise ctx.fail(w.column, f"option {w.key!r} is given twice")
            if not w.value:
                raise ctx.fail(w.value_column, f"expected a value after '{w.key}='")
            got[w.key] = (_table_option(ctx, w), w)
            i += 1
            continue
        bare = w.key is None and not w.quoted and w.data is None
        if bare and w.value in ("desc", "consistent") and region != "after":
            if w.value == "desc" and verb == "scan":
                raise ctx.fail(w.column, "a scan has no order to reverse; desc is for query")
            if w.value in flags:
                raise ctx.fail(w.column, f"{w.value!r} is given twice")
            flags.add(w.value)
            i += 1
            continue
        if bare and w.value == "after":
            if region == "after":
                raise ctx.fail(w.column, "'after' is given twice")
            region = "after"
            i += 1
            if i < len(words) and words[i].data is not None:
                after.extend(_json_item(ctx, words[i], "the start key"))
                i += 1
            continue
        if bare and w.value == "where":
            if region != "keys":
                raise ctx.fail(w.column, "'where' comes before 'after'" if region == "after"
                               else "'where' is given twice")
            region = "where"
            i += 1
            continue
        if bare and w.value == "and" and region in ("keys", "where") and (keys if region == "keys" else where):
            i += 1
            continue
        if region == "after":
            if w.key is None:
                raise ctx.fail(w.column, f"expected the start key as ATTR=VALUE after 'after', got "
                                         f"{_show(w.show(ctx.text))}")
            if any(a == w.key for a, _ in after):
                raise ctx.fail(w.column, f"attribute {w.key!r} is given twice")
            after.append((w.key, _attr_value(ctx, w)))
            i += 1
            continue
        if region == "keys" and verb == "scan":
            raise ctx.fail(w.column, f"unexpected {_show(w.show(ctx.text))}: a scan has no key condition "
                                     f"(filter with where); usage: {usage}")
        term, i = _term(ctx, words, i)
        if region == "where":
            where.append(term)
            continue
        if len(keys) == 0 and term.op != "=":
            raise ctx.fail(w.column, f"expected the partition key condition first, as ATTR=VALUE; got "
                                     f"{_show(term.show())}")
        if len(keys) >= 2:
            raise ctx.fail(w.column, "a query takes the partition key and at most one sort key condition; "
                                     "filter other attributes with where")
        keys.append(term)
    if region == "after" and not after:
        raise ctx.fail(ctx.end_column, "expected the start key (ATTR=VALUE ... or {JSON}) after 'after'")
    if region == "where" and not where:
        raise ctx.fail(ctx.end_column, "expected a condition after 'where'")
    if verb == "query":
        if not keys:
            raise ctx.fail(ctx.end_column, f"expected the partition key condition ATTR=VALUE; usage: {usage}")
        return TableQuery(name, keys[0], keys[1] if len(keys) > 1 else None, tuple(where),
                          _opt(got, "index"), _opt(got, "limit"), "desc" in flags,  # type: ignore[arg-type]
                          "consistent" in flags, tuple(after))
    return TableScan(name, tuple(where), _opt(got, "index"), _opt(got, "limit"), _opt(got, "segment"),  # type: ignore[arg-type]
                     "consistent" in flags, tuple(after))


def _table_option(ctx: _Ctx, w: _Token) -> object:
    if w.key == "limit":
        return _int(w.value, w.value_column, ctx.line, "the limit")
    if w.key == "index":
        if not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", w.value):
            raise ctx.fail(w.value_column, f"expected an index name (3 to 255 letters, digits, '_', '-' or '.'), "
                                           f"got {_show(w.value)}")
        return w.value
    m = re.fullmatch(r"([0-9]{1,7})/([0-9]{1,7})", w.value)
    if not m:
        raise ctx.fail(w.value_column, f"expected segment=I/N (segment I of N, counting from 0), got {_show(w.value)}")
    seg, total = int(m.group(1)), int(m.group(2))
    if not 1 <= total <= 1_000_000 or seg >= total:
        raise ctx.fail(w.value_column, f"expected segment=I/N with 0 <= I < N <= 1000000, got {_show(w.value)}")
    return seg, total


def _parse_table(ctx: _Ctx) -> Command:
    words = sorted(ctx.args + ctx.options, key=lambda t: t.start)
    if not words:
        raise ctx.fail(ctx.end_column, "expected a table subcommand after 'table': " + ", ".join(TABLE_SYNTAX))
    sub = words[0]
    verb = sub.value
    if sub.key is not None or sub.quoted or sub.data is not None or verb not in TABLE_SYNTAX:
        hint = difflib.get_close_matches(verb.lower(), list(TABLE_SYNTAX), n=1) if sub.key is None else []
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ctx.fail(sub.column, f"unknown table subcommand {_show(sub.show(ctx.text))}{maybe}; expected one of: "
                                   + ", ".join(TABLE_SYNTAX))
    usage = TABLE_SYNTAX[verb][0]
    if verb == "list":
        if len(words) > 1:
            raise ctx.fail(words[1].column, f"unexpected {_show(words[1].show(ctx.text))}; usage: {usage}")
        return TableList()
    name = _table_name(ctx, words[1] if len(words) > 1 else None, verb)
    rest = words[2:]
    if verb in ("describe", "drop"):
        if rest:
            raise ctx.fail(rest[0].column, f"unexpected {_show(rest[0].show(ctx.text))}; usage: {usage}")
        return TableDescribe(name) if verb == "describe" else TableDrop(name)
    if verb == "create":
        return _parse_table_create(ctx, name, rest)
    if verb == "put":
        return TablePut(name, _attributes(ctx, rest, "an item", usage))
    if verb == "get":
        flags = [w for w in rest if w.key is None and w.data is None and not w.quoted and w.value == "consistent"]
        if len(flags) > 1:
            raise ctx.fail(flags[1].column, "'consistent' is given twice")
        rest = [w for w in rest if w not in flags]
        return TableGet(name, _attributes(ctx, rest, "the item's key", usage), bool(flags))
    if verb == "delete":
        return TableDelete(name, _attributes(ctx, rest, "the item's key", usage))
    if verb == "stream":
        got: dict[str, tuple[object, _Token]] = {}
        for w in rest:
            if w.key not in ("from", "limit"):
                raise ctx.fail(w.column, f"unexpected {_show(w.show(ctx.text))}; usage: {usage}")
            if w.key in got:
                raise ctx.fail(w.column, f"option {w.key!r} is given twice")
            if w.key == "from":
                value: object = _choice("trim_horizon", "latest")(w.value.lower(), w.value_column, ctx.line, "from")
            else:
                value = _int(w.value, w.value_column, ctx.line, "the limit")
                if value > 1000:  # type: ignore[operator]
                    raise ctx.fail(w.value_column, f"expected the limit to be at most 1000, got {value}")
            got[w.key] = (value, w)
        return TableStream(name, _opt(got, "from"), _opt(got, "limit"))  # type: ignore[arg-type]
    return _parse_table_read(ctx, verb, name, rest)


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
    "step": (_parse_step, "step [COUNT]", "Process the next event (or COUNT events, at most 100,000,000)."),
    "abort": (_no_args(Abort), "abort", "Stop a long step, run or settle (escape in the app)."),
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
    "say": (_parse_say, 'say "TEXT" [key=K] [node=N] [panel=P]',
            "Show narration text (lessons and sessions); the options say what it is about."),
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
    "table": (
        _parse_table,
        "table create|put|get|delete|query|scan|stream|list|describe|drop NAME ...",
        "DynamoDB-style tables on the cluster (each subcommand is listed below; T opens the Tables screen).",
    ),
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
    lexed = _lex(text, line, braces=_TABLE_LINE.match(text) is not None)
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
