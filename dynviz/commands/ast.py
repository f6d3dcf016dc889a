"""The commands as data: one frozen, slotted dataclass per command, values already
converted (durations in integer microseconds, probabilities as floats, node lists as
tuples, a table query's key conditions as the table expression layer's AST).

Every command derives from :class:`Command`, which declares once, keyword-only, where a
command came from (``line`` and ``source``). Where is not what: both are left out of
equality, so ``parse_line("kill n1") == Kill("n1")``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dynviz.commands.errors import show
from dynviz.commands.lexer import NUMBER_WORD, quote
from dynviz.table.expressions import Between, Compare, Func, Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Base of every parsed command. ``name`` is the keyword that introduces it;
    ``line`` and ``source`` say where it came from (1-based line, the line's text);
    like equality, ``repr`` shows what a command does, not where it was written."""

    name: ClassVar[str] = ""
    line: int = field(default=1, compare=False, repr=False)
    source: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Cluster(Command):
    """``cluster [option=value ...]``: build a fresh cluster.

    ``options`` holds only the options given, already converted, in the canonical order
    of :data:`CLUSTER_OPTIONS`, so two spellings of the same cluster compare equal.
    """

    name: ClassVar[str] = "cluster"
    options: tuple[tuple[str, object], ...] = ()

    def get(self, name: str, default: object = None) -> object:
        """The converted value of option ``name``, or ``default`` if it was not given."""
        for key, value in self.options:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Put(Command):
    """``[as CLIENT] put KEY VALUE [via=NODE] [n=] [r=] [w=] [pw=] [context=KEY]``.

    ``context`` names another key whose remembered context the put is made over: a
    context is issued for one key, so the node must refuse it (the checker's workload
    tries exactly that).

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
    context: str | None = None


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


@dataclass(frozen=True, slots=True)
class Delete(Command):
    """``[as CLIENT] delete KEY [via=NODE] [w=]``."""

    name: ClassVar[str] = "delete"
    client: str | None
    key: str
    via: str | None = None
    w: int | None = None


@dataclass(frozen=True, slots=True)
class Kill(Command):
    """``kill NODE``: crash a node (its durable storage survives)."""

    name: ClassVar[str] = "kill"
    node: str


@dataclass(frozen=True, slots=True)
class Recover(Command):
    """``recover NODE``: restart a killed node."""

    name: ClassVar[str] = "recover"
    node: str


@dataclass(frozen=True, slots=True)
class Wipe(Command):
    """``wipe NODE``: erase a node's storage (a disk loss)."""

    name: ClassVar[str] = "wipe"
    node: str


@dataclass(frozen=True, slots=True)
class Partition(Command):
    """``partition A,B | C,D,E``: split the network into groups that cannot talk."""

    name: ClassVar[str] = "partition"
    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Heal(Command):
    """``heal``: remove every network partition."""

    name: ClassVar[str] = "heal"


@dataclass(frozen=True, slots=True)
class Loss(Command):
    """``loss P``: drop each message with probability ``p``."""

    name: ClassVar[str] = "loss"
    p: float


@dataclass(frozen=True, slots=True)
class Latency(Command):
    """``latency LO..HI``: message delay, uniform in ``[lo, hi]`` microseconds."""

    name: ClassVar[str] = "latency"
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class Skew(Command):
    """``skew NODE +5s``: offset a node's clock (matters for LWW and vclock pruning)."""

    name: ClassVar[str] = "skew"
    node: str
    micros: int


@dataclass(frozen=True, slots=True)
class Run(Command):
    """``run DURATION``: advance virtual time."""

    name: ClassVar[str] = "run"
    micros: int


@dataclass(frozen=True, slots=True)
class Step(Command):
    """``step [COUNT]``: process the next ``count`` events."""

    name: ClassVar[str] = "step"
    count: int = 1


@dataclass(frozen=True, slots=True)
class Settle(Command):
    """``settle [DURATION]``: run until no events are pending, or for at most ``limit``."""

    name: ClassVar[str] = "settle"
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Inspect(Command):
    """``inspect KEY [on NODE]``: show a key's versions (on every replica, or one node)."""

    name: ClassVar[str] = "inspect"
    key: str
    node: str | None = None


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


@dataclass(frozen=True, slots=True)
class Abort(Command):
    """``abort``: stop a long ``step``/``run``/``settle`` the app is running in slices
    (what escape does; recorded, so a replay shows where it stopped)."""

    name: ClassVar[str] = "abort"


@dataclass(frozen=True, slots=True)
class Join(Command):
    """``join NODE [vnodes=N]``: add a node to the ring."""

    name: ClassVar[str] = "join"
    node: str
    vnodes: int | None = None


@dataclass(frozen=True, slots=True)
class Leave(Command):
    """``leave NODE``: a node leaves gracefully, handing its ranges over."""

    name: ClassVar[str] = "leave"
    node: str


@dataclass(frozen=True, slots=True)
class Remove(Command):
    """``remove NODE``: an operator removes a (dead) node from the membership."""

    name: ClassVar[str] = "remove"
    node: str


@dataclass(frozen=True, slots=True)
class AntiEntropy(Command):
    """``antientropy A B``: one Merkle-tree anti-entropy exchange between two nodes."""

    name: ClassVar[str] = "antientropy"
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class Gossip(Command):
    """``gossip NODE``: one membership gossip round started by a node."""

    name: ClassVar[str] = "gossip"
    node: str


@dataclass(frozen=True, slots=True)
class ShowNetwork(Command):
    """``network [node=N] [key=K] [kind=K]``: list the pending messages (on the wire and
    held) and timers, with their ids; the options filter (``node`` matches either end
    of a message and a timer's owner; ``kind`` a prefix of the message's type or the
    timer's purpose, any case)."""

    name: ClassVar[str] = "network"
    node: str | None = None
    key: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Hold(Command):
    """``hold [NODE | A->B]``: hold every message (no argument), every message to NODE,
    or every message on the link A->B until one is chosen."""

    name: ClassVar[str] = "hold"
    src: str | None = None
    dst: str | None = None


@dataclass(frozen=True, slots=True)
class Release(Command):
    """``release [NODE | A->B]``: end one hold (every hold when none is named); what it
    held is delivered now."""

    name: ClassVar[str] = "release"
    src: str | None = None
    dst: str | None = None
    every: bool = False


@dataclass(frozen=True, slots=True)
class Deliver(Command):
    """``deliver ID``: hand a pending message (``m42``) to its receiver now."""

    name: ClassVar[str] = "deliver"
    message: str


@dataclass(frozen=True, slots=True)
class DropMessage(Command):
    """``drop ID``: lose a pending message."""

    name: ClassVar[str] = "drop"
    message: str


@dataclass(frozen=True, slots=True)
class Duplicate(Command):
    """``duplicate ID``: put a copy of a pending message beside it (it takes a new id)."""

    name: ClassVar[str] = "duplicate"
    message: str


@dataclass(frozen=True, slots=True)
class Delay(Command):
    """``delay ID DURATION``: deliver a pending message DURATION from now, held or not."""

    name: ClassVar[str] = "delay"
    message: str
    micros: int


@dataclass(frozen=True, slots=True)
class Fire(Command):
    """``fire ID``: fire a pending timer (``n1.t42``) now instead of when it is due."""

    name: ClassVar[str] = "fire"
    timer: str


CHOICE_COMMANDS: tuple[type[Command], ...] = (Hold, Release, Deliver, DropMessage, Duplicate, Delay, Fire)
"""The commands that act on the network's pending messages and timers (issue 16)."""


@dataclass(frozen=True, slots=True)
class Views(Command):
    """``views``: show every node's membership view."""

    name: ClassVar[str] = "views"


@dataclass(frozen=True, slots=True)
class WaitUntil(Command):
    """``wait until PREDICATE [timeout=DURATION]``; the predicate is kept as raw text."""

    name: ClassVar[str] = "wait"
    predicate: str
    timeout: int | None = None


@dataclass(frozen=True, slots=True)
class Pause(Command):
    """``pause``: stop a lesson or replay until the user continues."""

    name: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class Script(Command):
    """``script FILE [timeout=DURATION]``: a lesson runs a Python program (a short boto3
    script) against the DynamoDB endpoint on its cluster (dynviz/session/scripts.py).
    ``timeout`` is wall time: the program is a real process."""

    name: ClassVar[str] = "script"
    path: str
    timeout: int | None = None


@dataclass(frozen=True, slots=True)
class Expect(Command):
    """``expect CHECK``: a lesson's assertion; the check is kept as raw text."""

    name: ClassVar[str] = "expect"
    check: str


# --------------------------------------------------------------------------------------
# Tables (issue 7): ``table SUBCOMMAND ...``. Every table command's ``name`` is "table";
# ``verb`` is its subcommand.
# --------------------------------------------------------------------------------------


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
            typed: dict[str, Any] = json.loads(self.text)  # a typed value, checked when parsed
            return typed
        if self.kind == "word":
            if self.text in ("true", "false"):
                return {"BOOL": self.text == "true"}
            if self.text == "null":
                return {"NULL": True}
            if NUMBER_WORD.fullmatch(self.text):
                return {"N": self.text}
        return {"S": self.text}

    def as_type(self, type_name: str) -> dict[str, Any]:
        """The value as a key attribute of type ``type_name`` (S, N or B); raises
        ValueError with a message for the user when it cannot be one."""
        if self.kind == "json":
            return self.attribute()
        if type_name == "N":
            if not NUMBER_WORD.fullmatch(self.text):
                raise ValueError(f"expected a number, got {show(self.text)}")
            return {"N": self.text}
        if type_name == "B":
            return {"B": base64.b64encode(self.text.encode("utf-8")).decode("ascii")}
        return {"S": self.text}

    def show(self) -> str:
        """The value as it would be typed again."""
        return quote(self.text) if self.kind == "string" else self.text


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


Condition = Compare | Between | Func
"""A table term as the table expression layer's AST (:mod:`dynviz.table.expressions`)."""


@dataclass(frozen=True, slots=True)
class KeyTerm:
    """One condition: ``attr op values`` with ``op`` one of = <> < <= > >= between
    begins_with contains (``between`` has two values, the others one; ``contains``
    only in filters, as in DynamoDB).

    ``condition`` is the term as the table expression layer's AST, built here when the
    command is parsed: ``Compare(op, Path((attr,)), value)``, ``Between(...)`` or
    ``Func("begins_with", ...)``. Its operands are the :class:`TableValue` the user
    typed; whoever runs the command types them by the table's schema (a key attribute
    takes its declared type) and hands the tree to the engine, which never sees text."""

    attr: str
    op: str
    values: tuple[TableValue, ...]
    condition: Condition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        path = Path((self.attr,))
        node: Condition
        if self.op == "between":
            node = Between(path, self.values[0], self.values[1])
        elif self.op in ("begins_with", "contains"):
            node = Func(self.op, (path, self.values[0]))
        else:
            node = Compare(self.op, path, self.values[0])
        object.__setattr__(self, "condition", node)  # a frozen dataclass sets derived fields so

    def show(self) -> str:
        """The term as it would be typed again."""
        if self.op == "between":
            return f"{self.attr} between {self.values[0].show()} and {self.values[1].show()}"
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


@dataclass(frozen=True, slots=True)
class TablePut(Command):
    """``table put NAME ATTR=VALUE ...`` or ``table put NAME {JSON}``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "put"
    table: str
    item: Attributes


@dataclass(frozen=True, slots=True)
class TableGet(Command):
    """``table get NAME ATTR=VALUE [ATTR=VALUE] [consistent]``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "get"
    table: str
    item_key: Attributes
    consistent: bool = False


@dataclass(frozen=True, slots=True)
class TableDelete(Command):
    """``table delete NAME ATTR=VALUE [ATTR=VALUE]``: delete one item."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "delete"
    table: str
    item_key: Attributes


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


@dataclass(frozen=True, slots=True)
class TableStream(Command):
    """``table stream NAME [from=trim_horizon|latest] [limit=N]``: read the table's
    stream from where the last ``table stream`` of it stopped."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "stream"
    table: str
    start: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class TableList(Command):
    """``table list``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "list"


@dataclass(frozen=True, slots=True)
class TableDescribe(Command):
    """``table describe NAME``."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "describe"
    table: str


@dataclass(frozen=True, slots=True)
class TableDrop(Command):
    """``table drop NAME``: delete the table and its items."""

    name: ClassVar[str] = "table"
    verb: ClassVar[str] = "drop"
    table: str


TABLE_COMMANDS: tuple[type[Command], ...] = (
    TableCreate, TablePut, TableGet, TableDelete, TableQuery, TableScan, TableStream, TableList,
    TableDescribe, TableDrop,
)
"""Every ``table`` command class (``isinstance(command, TABLE_COMMANDS)``)."""
