"""An exploration scenario: a small file in the command language (issue 17).

::

    # comment
    cluster nodes=3 n=3 r=2 w=2 versioning=vclock seed=1     <- the setup: any commands,
    put cart book                                               run as a replay runs them
    run 200ms                                                   (requests to their answer)
    as alice get cart
    explore depth=14 drops=1 crashes=1 timers=0               <- the bounds and budgets
    as alice put cart lamp via=n1                              <- each client's operations,
    as bob put cart pen via=n1                                   in order per client
    always hints <= 1                                          <- properties, besides the
    sometimes inspect cart on n2 has lamp                         built-in ones

The ``explore`` options: ``depth=N`` (choices on one path), the budgets ``drops=``,
``duplicates=``, ``crashes=``, ``partitions=`` (a partition cuts one node off) and
``timers=`` (firing a pending timer early: the clock moves on to it), ``fire=WORD,...``
(only timers whose purpose has one of the words, e.g. ``fire=replica``), ``crash=NODE,...``
(only these nodes may crash), ``siblings=N`` (the most siblings a replica may hold;
default one per write), ``symmetry=off``, ``por=off``, ``stop=first`` (end the search at
the first violation; the default, ``stop=all``, explores the whole bounded space).

After the ``explore`` line every message is held: the explorer is the network. Each
client's first operation is issued at the start, each next one as soon as the one
before it is answered; the choices are which pending message to deliver next, and,
within the budgets, which to drop or duplicate, which timer to fire, which node to
crash (and later recover) and which node to cut off by a partition (and later heal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from dynviz import commands as c
from dynviz.cluster import ClusterConfig
from dynviz.commands.errors import CommandError
from dynviz.explore.properties import Property, parse_property
from dynviz.wording import plural

BUDGETS = ("drops", "duplicates", "crashes", "partitions", "timers")
"""The faults an exploration may inject, each at most as many times as its budget."""

_SINGULAR = {"drops": "drop", "duplicates": "duplicate", "crashes": "crash", "partitions": "partition",
             "timers": "timer firing"}
DEFAULT_DEPTH = 30
MAX_DEPTH = 10_000


class SpecError(ValueError):
    """A scenario file that cannot be explored: the message names the line."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """How far the search goes: the depth (choices on one path) and each fault budget."""

    depth: int = DEFAULT_DEPTH
    drops: int = 0
    duplicates: int = 0
    crashes: int = 0
    partitions: int = 0
    timers: int = 0
    fire: tuple[str, ...] = ()  # the timers that may fire (words of their purpose); () is every timer
    crash: tuple[str, ...] = ()  # the nodes that may crash; () is every node
    siblings: int | None = None  # most siblings a replica may hold; None: one per write of the scenario
    symmetry: bool = True
    por: bool = True
    first: bool = False  # stop at the first violation (stop=first)

    def describe(self) -> str:
        """The bound in words, for the report ("depth 14, 1 drop, 1 crash")."""
        parts = [f"depth {self.depth}"]
        for name in BUDGETS:
            count = getattr(self, name)
            if count:
                parts.append(plural(count, _SINGULAR[name], name))
        if not any(getattr(self, name) for name in BUDGETS):
            parts.append("no faults")
        if self.timers and self.fire:
            parts.append("timers: " + ",".join(self.fire))
        if self.crashes and self.crash:
            parts.append("may crash: " + ",".join(self.crash))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Operation:
    """One client request of the scenario, as command text."""

    client: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Spec:
    path: str
    setup: tuple[tuple[str, int], ...]  # (command text, line)
    bounds: Bounds
    operations: tuple[Operation, ...]
    properties: tuple[Property, ...] = field(default=())

    @property
    def clients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(op.client for op in self.operations))

    def program(self, client: str) -> tuple[str, ...]:
        return tuple(op.text for op in self.operations if op.client == client)

    @property
    def writes(self) -> int:
        """Puts and deletes, setup included: the default bound on siblings."""
        count = 0
        for text, _ in self.setup:
            count += isinstance(c.parse_line(text), (c.Put, c.Delete))
        return count + sum(1 for op in self.operations if isinstance(c.parse_line(op.text), (c.Put, c.Delete)))


def _bounds(text: str, line: int, overrides: dict[str, int | bool]) -> Bounds:
    values: dict[str, object] = {}
    for word in text.split()[1:]:
        name, eq, value = word.partition("=")
        if not eq:
            raise SpecError(f"line {line}: explore takes name=value options, not {word!r}")
        if name in ("fire", "crash"):
            values[name] = tuple(part for part in value.split(",") if part)
            continue
        if name == "stop":
            if value not in ("first", "all"):
                raise SpecError(f"line {line}: stop= is first (at the first violation) or all, not {value!r}")
            values["first"] = value == "first"
            continue
        if name in ("symmetry", "por"):
            if value not in ("on", "off"):
                raise SpecError(f"line {line}: {name}= is on or off, not {value!r}")
            values[name] = value == "on"
            continue
        if name not in ("depth", "siblings", *BUDGETS):
            raise SpecError(f"line {line}: unknown explore option {name!r}; the options are depth, "
                            f"{', '.join(BUDGETS)}, fire, crash, siblings, symmetry, por, stop")
        if not value.isdigit() or len(value) > 6:
            raise SpecError(f"line {line}: {name}= takes a whole number, not {value!r}")
        values[name] = int(value)
    values.update(overrides)
    depth = values.get("depth", DEFAULT_DEPTH)
    if not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise SpecError(f"line {line}: depth must be between 1 and {MAX_DEPTH}")
    return Bounds(**values)  # type: ignore[arg-type]  # checked above, name by name


def parse_spec(text: str, path: str = "", overrides: dict[str, int | bool] | None = None) -> Spec:
    """Read a scenario; ``overrides`` (from the command line) replace explore options."""
    setup: list[tuple[str, int]] = []
    operations: list[Operation] = []
    properties: list[Property] = []
    bounds: Bounds | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        first = line.split()[0]
        if first == "explore":
            if bounds is not None:
                raise SpecError(f"line {number}: a second explore line (one per scenario)")
            bounds = _bounds(line, number, overrides or {})
            continue
        if first in ("always", "eventually", "sometimes"):
            if bounds is None:
                raise SpecError(f"line {number}: properties come after the explore line")
            try:
                properties.append(parse_property(line, number))
            except CommandError as exc:
                raise SpecError(str(exc)) from None
            continue
        try:
            command = c.parse_line(line, number)
        except CommandError as exc:
            raise SpecError(str(exc)) from None
        if command is None:
            continue
        if bounds is None:
            if isinstance(command, (c.Hold, c.Release, c.Deliver, c.DropMessage, c.Duplicate, c.Delay, c.Fire)):
                raise SpecError(f"line {number}: {first} in the setup: the explorer holds and chooses "
                                "every message after the explore line")
            setup.append((line, number))
        elif isinstance(command, (c.Put, c.Get, c.Delete)):
            operations.append(Operation(command.client or "client", line, number))
        else:
            raise SpecError(f"line {number}: after the explore line come client requests (put, get, "
                            f"delete) and properties (always, eventually, sometimes), not {first!r}")
    if bounds is None:
        raise SpecError("no explore line: write 'explore depth=N ...' between the setup and the operations")
    if not operations:
        raise SpecError("no client operations after the explore line: nothing to explore")
    head = c.parse_line(setup[0][0]) if setup else None
    if not isinstance(head, c.Cluster):
        raise SpecError("the first command must be 'cluster ...' (the explorer needs the cluster stated)")
    try:
        nodes = ClusterConfig.from_options(dict(head.options)).nodes
    except ValueError as exc:
        raise SpecError(f"line {setup[0][1]}: {exc}") from None
    unknown = [name for name in bounds.crash if name not in nodes]
    if unknown:
        raise SpecError(f"crash= names {', '.join(unknown)}, not a node of this cluster ({', '.join(nodes)})")
    spec = Spec(path, tuple(setup), bounds, tuple(operations), tuple(properties))
    if bounds.siblings is None:  # one sibling per write, counted once here
        spec = replace(spec, bounds=replace(bounds, siblings=max(1, spec.writes)))
    return spec


def load_spec(path: str | os.PathLike[str], overrides: dict[str, int | bool] | None = None) -> Spec:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not UTF-8 text (a scenario is a command file)") from None
    return parse_spec(text, str(path), overrides)
