"""Breadth-first search over every interleaving a scenario allows (issue 17).

The search goes level by level (a level is the states one more choice away), so the
first path found to any state is a shortest one, and a counterexample is as short as a
counterexample can be. Each new state is checked at once against the safety
properties (the built-in ones and the scenario's ``always``) and its ``sometimes``;
an end state (nothing left to deliver) is also played out to quiescence after heal and
recover, and checked for liveness: replicas converged, no hint left, nothing lost,
and the scenario's ``eventually``.

Reductions (each can be turned off, for the benchmark that shows what it saves):

* **state deduplication** by the canonical hash (:mod:`dynviz.explore.canon`);
* **partial-order reduction** by sleep sets (Godefroid): moves at different nodes
  commute (delivering, dropping or duplicating a message to one node, crashing or
  recovering another), so after exploring "a then b" from a state the search does not
  also explore "b then a". A state met again with a smaller sleep set is expanded again for
  the choices it had been asleep to, so nothing reachable is skipped;
* **symmetry**: clients with the same operations up to their values (Alice puts lamp
  through n1, Bob puts pen through n1) are interchangeable, and so are their values
  and their requests' labels, unless a property names them: a state's hash is the least
  over swapping them (nodes are not interchangeable: each sits at its own tokens on the
  ring). The renaming that gives the least is the state's *frame*, and its moves' tokens
  (which the sleep sets hold) are named in it, so a token means the same move in every
  state of a symmetry class;
* the **depth bound** and the **fault budgets** of the scenario's ``explore`` line.

Memory: the frontier lives in memory up to ``memory_states`` worlds (20,000 by default,
about 0.7 GB on 3 nodes) and the seen-set up to 50 times as many hashes; beyond that
both spill to an SQLite file (:mod:`dynviz.explore.spill`).
Parallel: with a :class:`~dynviz.scale.Backend` of more than one worker, each level's
states are expanded in chunks on the workers (local processes or a Dask cluster);
the parent deduplicates, so the result is the same whoever ran it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynviz import commands as c
from dynviz.explore.properties import Property
from dynviz.explore.spec import Spec, parse_spec
from dynviz.explore.spill import Frontier, Seen
from dynviz.explore.world import Move, World, cluster_config, freeze, initial_world, thaw

SEEN_PER_STATE = 50
"""The seen-set keeps this many hashes in memory per frontier state allowed there: a
frontier entry is a pickled world (some tens of kilobytes), a seen entry a hash and a
sleep set (a few hundred bytes)."""

BUILT_IN = ("lost", "phantom", "siblings", "invariant", "converged", "hints")
"""The built-in properties (``invariant`` stands for each run-time invariant rule)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A property's verdict: a violation with the shortest path to it, or (for
    ``sometimes``) an example of it holding."""

    property: str  # "lost", "invariant quorum", "always hints <= 1", ...
    text: str
    path: tuple[str, ...]  # the commands after the setup, choices and requests in order
    depth: int
    violated: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"property": self.property, "text": self.text, "depth": self.depth, "path": list(self.path),
                "violated": self.violated}


@dataclass(slots=True)
class Stats:
    states: int = 0  # distinct states (after every reduction)
    transitions: int = 0  # moves made
    depth: int = 0  # deepest level reached
    ends: int = 0  # end states played out for liveness
    revisits: int = 0  # states expanded again for a smaller sleep set
    cut: int = 0  # states at the depth bound that still had choices
    seconds: float = 0.0
    level_states: int = 0  # states in the level being expanded (progress)
    level_done: int = 0
    per_depth: list[int] = field(default_factory=lambda: [1])  # new states found at each depth (the first: 1)

    @property
    def rate(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True)
class Report:
    spec: Spec
    stats: Stats
    findings: list[Finding] = field(default_factory=list)
    complete: bool = False  # every state within the bound explored
    stopped: str = ""  # why the search ended early ("", "stopped", "state limit")

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.violated]

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        s = self.stats
        return {
            "scenario": self.spec.path, "bound": self.spec.bounds.describe(), "complete": self.complete,
            "stopped": self.stopped or None,
            "states": s.states, "transitions": s.transitions, "depth": s.depth, "end_states": s.ends,
            "revisits": s.revisits, "at_bound": s.cut,
            "seconds": round(s.seconds, 3), "states_per_second": round(s.rate, 1),
            "violations": [f.as_json() for f in self.violations],
            "examples": [f.as_json() for f in self.findings if not f.violated],
        }


# -- what one state is checked against ------------------------------------------------


def sibling_bound(spec: Spec) -> int:
    """The most siblings a replica may hold: the explore line's ``siblings=``, or (set
    when the scenario was read) one per write in the scenario."""
    return spec.bounds.siblings if spec.bounds.siblings is not None else 1


def check_state(world: World, spec: Spec) -> list[tuple[str, str, bool]]:
    """(property, text, violated) for each safety property this state breaks and each
    ``sometimes`` it satisfies."""
    found = [(rule, text, True) for rule, text in world.safety(sibling_bound(spec))]
    for prop in spec.properties:
        if prop.kind == "always" and not _holds(prop, world):
            found.append((prop.label, f"fails in this state (line {prop.line})", True))
        elif prop.kind == "sometimes" and _holds(prop, world):
            found.append((prop.label, f"holds in this state (line {prop.line})", False))
    return found


def _holds(prop: Property, world: World) -> bool:
    try:
        return prop.test(world)
    except (LookupError, ValueError) as exc:  # a predicate naming what this state lacks
        raise c.CommandError(prop.line, 1, f"{prop.label}: {exc}") from None


def check_end(world: World, spec: Spec) -> list[tuple[str, str, bool]]:
    """Play an end state out (heal, recover, settle, final reads: ``dynviz check``'s
    ending) and check liveness and the scenario's ``eventually`` properties. The
    world is used up."""
    found: list[tuple[str, str, bool]] = []
    verdict = world.scenario.end()
    for value in verdict.lost:
        found.append(("lost", f"after heal and recover, acknowledged write {value.decode('latin-1')!r} "
                              "is gone from the final read", True))
    for value in verdict.phantoms:
        found.append(("phantom", f"after heal and recover, a read returned {value.decode('latin-1')!r}", True))
    for value in verdict.superseded:
        found.append(("superseded", f"the final read kept {value.decode('latin-1')!r} beside a write that "
                                    "saw it", True))
    for what in verdict.unconverged:
        rule = "hints" if what.startswith("(") else "converged"
        found.append((rule, f"after heal, recover and settling: {what}"
                      + ("" if rule == "hints" else " has replicas that differ"), True))
    for violation in verdict.violations:
        found.append((f"invariant {violation.rule}", violation.text, True))
    for prop in spec.properties:
        if prop.kind == "eventually" and not _holds(prop, world):
            found.append((prop.label, f"fails after heal, recover and settling (line {prop.line})", True))
    return found


# -- expanding states (in this process or a worker's) -----------------------------------


@dataclass(frozen=True, slots=True)
class Child:
    """A successor a worker computed: the parent decides whether it is new."""

    parent: int
    commands: tuple[str, ...]
    digest: str
    data: bytes
    sleep: frozenset[str]
    found: tuple[tuple[str, str, bool], ...]
    end: bool


@dataclass(frozen=True, slots=True)
class Task:
    """A chunk of one level, for a worker: states by index, with their sleep sets."""

    spec_text: str
    spec_path: str
    overrides: tuple[tuple[str, int | bool], ...]
    states: tuple[tuple[int, bytes, frozenset[str]], ...]


_SPECS: dict[tuple[str, str, tuple[tuple[str, int | bool], ...]], Spec] = {}


def _spec_of(task: Task) -> Spec:
    key = (task.spec_text, task.spec_path, task.overrides)
    spec = _SPECS.get(key)
    if spec is None:
        spec = _SPECS[key] = parse_spec(task.spec_text, task.spec_path, dict(task.overrides))
    return spec


def renames_for(spec: Spec) -> tuple[dict[Any, Any], ...]:
    """The renamings symmetry allows: the identity, and each swap of two clients whose
    operations are the same but for their values (values swapped too), when no
    property names either client or their values, and only with dotted version vectors
    and siblings, where a version is named by its dot and nothing depends on a value:
    the paper's vector clocks keep one of two equal clocks by the larger value, and
    LWW breaks ties by value, so swapping values changes what happens next there."""
    cluster = c.parse_line(spec.setup[0][0])
    assert isinstance(cluster, c.Cluster)
    config = cluster_config(cluster)
    if not spec.bounds.symmetry or config.versioning != "dvv" or config.resolver != "siblings":
        return ({},)
    named = {name for prop in spec.properties for name in prop.names}
    shapes: dict[tuple[str, ...], list[tuple[str, list[str]]]] = {}
    for client in spec.clients:
        shape, values = _shape(spec.program(client))
        if client in named or any(v in named for v in values):
            continue
        shapes.setdefault(shape, []).append((client, values))
    renames: list[dict[Any, Any]] = [{}]
    for group in shapes.values():
        for (a, va), (b, vb) in itertools.combinations(group, 2):
            rename: dict[Any, Any] = {a: b, b: a, f"client:{a}": f"client:{b}", f"client:{b}": f"client:{a}"}
            for x, y in zip(va, vb, strict=True):
                rename.update({x: y, y: x, x.encode(): y.encode(), y.encode(): x.encode()})
            for index in range(len(spec.program(a))):  # their requests' labels (canon.py)
                rename.update({f"{a}#{index}": f"{b}#{index}", f"{b}#{index}": f"{a}#{index}"})
            for index in range(len(spec.setup)):  # and their setup requests'
                rename.update({f"{a}#s{index}": f"{b}#s{index}", f"{b}#s{index}": f"{a}#s{index}"})
            renames.append(rename)
    return tuple(renames)


def _shape(program: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """A client's program with the client and values blanked: what symmetry compares."""
    shape, values = [], []
    for text in program:
        command = c.parse_line(text)
        value = getattr(command, "value", None)
        words = text.split()
        if words[0] == "as":
            words = words[2:]
        if isinstance(command, c.Put) and isinstance(value, (str, bytes)):
            shown = value if isinstance(value, str) else value.decode("latin-1")
            values.append(shown)
            words = [w if w != shown else "VALUE" for w in words]
        shape.append(" ".join(words))
    return tuple(shape), values


def expand(task: Task, known: Known | None = None) -> list[Child]:
    """Every successor of every state of ``task`` (a worker's unit of work)."""
    spec = _spec_of(task)
    renames = renames_for(spec)
    children: list[Child] = []
    for index, data, sleep in task.states:
        children.extend(_expand_one(spec, renames, index, data, sleep, known))
    return children


LOCAL = frozenset({"deliver", "drop", "duplicate", "crash", "recover"})
"""Moves that touch one node only (a message's receiver, or the node crashed or
recovered): two of them at different nodes commute. Firing a timer moves the clock and
a partition or heal cuts every link: those depend on everything."""


def _independent(a: Move, b: Move) -> bool:
    return a.kind in LOCAL and b.kind in LOCAL and a.node != b.node


Known = Callable[[str, frozenset[str]], bool]
"""Whether the parent already has a state and needs it no more (its sleep set covers
the new one's): in this process the search asks, and skips cloning and checking it."""


def _expand_one(spec: Spec, renames: tuple[dict[Any, Any], ...], index: int, data: bytes,
                sleep: frozenset[str], known: Known | None = None) -> Iterator[Child]:
    world: World | None = thaw(data)
    assert world is not None
    symmetric = len(renames) > 1
    frame = world.frame(renames)[1] if symmetric else renames[0]
    moves = world.moves(spec.bounds, frame)
    por = spec.bounds.por
    awake = [m for m in moves if not (por and m.token in sleep)]
    asleep = [m for m in moves if por and m.token in sleep]
    for number, move in enumerate(awake):
        # The world the moves were listed in serves the last move; the others get clones.
        child = world if number == len(awake) - 1 and world is not None else thaw(data)
        if child is world:
            world = None
        commands = child.take(move)
        digest, child_frame = child.frame(renames)
        child_sleep: frozenset[str] = frozenset()
        if por:
            covered = [m for m in asleep + awake[:number] if _independent(m, move)]
            if symmetric and covered:
                # Name the covered moves in the child's own frame (a message's id stays
                # the same from parent to child; its token may not, across a symmetry).
                commands_covered = {m.commands[0] for m in covered}
                child_sleep = frozenset(m.token for m in child.moves(spec.bounds, child_frame)
                                        if m.commands[0] in commands_covered)
            else:
                child_sleep = frozenset(m.token for m in covered)
        if known is not None and known(digest, child_sleep):
            yield Child(index, commands, digest, b"", child_sleep, (), False)
            continue
        found = tuple(check_state(child, spec))
        yield Child(index, commands, digest, freeze(child), child_sleep, found, child.quiescent())


# -- the search --------------------------------------------------------------------------


Progress = Callable[[Stats], None]


def explore(spec: Spec, spec_text: str, *, overrides: dict[str, int | bool] | None = None,
            backend: Any = None, max_states: int = 0, memory_states: int = 20_000,
            progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
            chunk: int = 64, start: World | None = None, first_only: bool = False) -> Report:
    """Search ``spec``'s space breadth-first (see the module docstring).

    ``spec_text`` is the scenario's text (workers parse it again); ``backend`` runs the
    expansions (None: in this process); ``max_states`` stops the search after that many
    states (0: no limit); ``should_stop`` is asked between chunks (the app's escape);
    ``start`` begins from a given world instead of the scenario's setup (the app's
    "explore from here"); ``first_only`` stops at the first violation."""
    began = time.perf_counter()
    stats = Stats()
    report = Report(spec, stats)
    renames = renames_for(spec)
    opening: tuple[str, ...] = ()
    if start is not None:
        world = start
    else:
        world, opening = initial_world(spec)
    first = freeze(world)
    seen = Seen(memory_states * SEEN_PER_STATE)
    frontier = Frontier(memory_states)
    parents: list[tuple[int, tuple[str, ...]]] = [(-1, ())]
    seen.put(world.digest(renames), frozenset())
    stats.states = 1
    found_labels: set[str] = set()

    def known(digest: str, sleep: frozenset[str]) -> bool:
        old = seen.get(digest)
        return old is not None and (not spec.bounds.por or old <= sleep)

    ends_checked = 0

    def path_of(index: int) -> tuple[str, ...]:
        steps: list[tuple[str, ...]] = []
        while index > 0:
            parent, commands = parents[index]
            steps.append(commands)
            index = parent
        return opening + tuple(command for commands in reversed(steps) for command in commands)

    def record(index: int, depth: int, found: Sequence[tuple[str, str, bool]]) -> None:
        for label, text, violated in found:
            key = label.split(":")[0]
            if key in found_labels:
                continue
            found_labels.add(key)
            report.findings.append(Finding(label, text, path_of(index), depth, violated))

    def play_out(index: int, data: bytes, depth: int) -> None:
        nonlocal ends_checked
        ends_checked += 1
        stats.ends += 1
        record(index, depth, check_end(thaw(data), spec))

    record(0, 0, check_state(world, spec))
    if world.quiescent():
        play_out(0, first, 0)
    frontier.add(0, first, frozenset())
    options = tuple(sorted((overrides or {}).items()))
    _SPECS[(spec_text, spec.path, options)] = spec  # this process expands with the spec it was given
    stats.level_states = 1
    last_report = time.perf_counter()
    depth = 0
    while len(frontier):
        if depth >= spec.bounds.depth:
            stats.cut += sum(1 for index, data, sleep in frontier.drain() if thaw(data).moves(spec.bounds))
            break
        level = frontier.drain()
        frontier = Frontier(memory_states)
        stats.level_states, stats.level_done = len(level), 0
        depth += 1
        stats.per_depth.append(0)
        tasks = _chunks(level, chunk, spec_text, spec.path, options)
        if backend is None:
            results: Iterable[list[Child]] = (expand(task, known) for task in tasks)
        else:
            results = backend.map(expand, tasks)
        stop_reason = ""
        for children, task in zip(results, tasks, strict=False):
            stats.level_done += len(task.states)
            for child in children:
                stats.transitions += 1
                old = seen.get(child.digest)
                if old is not None:
                    if spec.bounds.por and not old <= child.sleep:
                        seen.put(child.digest, old & child.sleep)
                        stats.revisits += 1
                        frontier.add(_again(parents, child), child.data, old & child.sleep)
                    continue
                parents.append((child.parent, child.commands))
                index = len(parents) - 1
                seen.put(child.digest, child.sleep)
                stats.states += 1
                stats.per_depth[depth] += 1
                stats.depth = depth
                record(index, depth, child.found)
                if child.end:
                    play_out(index, child.data, depth)
                frontier.add(index, child.data, child.sleep)
                if max_states and stats.states >= max_states:
                    stop_reason = "state limit"
            now = time.perf_counter()
            stats.seconds = now - began
            if progress is not None and now - last_report >= 0.25:
                last_report = now
                progress(stats)
            if should_stop is not None and should_stop():
                stop_reason = "stopped"
            if (first_only or spec.bounds.first) and report.violations:
                stop_reason = "first violation"
            if stop_reason:
                break
        if stop_reason:
            report.stopped = stop_reason
            break
    report.complete = not report.stopped and stats.cut == 0
    seen.close()
    frontier.close()
    for prop in spec.properties:
        if prop.kind == "sometimes" and prop.label not in found_labels:
            whole = "in the whole bounded space" if report.complete else "in the states explored"
            report.findings.append(Finding(prop.label, f"never holds {whole} (line {prop.line})", (), 0, True))
    stats.seconds = time.perf_counter() - began
    if progress is not None:
        progress(stats)
    return report


def _again(parents: list[tuple[int, tuple[str, ...]]], child: Child) -> int:
    """A revisited state's entry: a new index whose path is the one that found it now."""
    parents.append((child.parent, child.commands))
    return len(parents) - 1


def _chunks(level: list[tuple[int, bytes, frozenset[str]]], size: int, text: str, path: str,
            options: tuple[tuple[str, int | bool], ...]) -> list[Task]:
    return [Task(text, path, options, tuple(level[i:i + size])) for i in range(0, len(level), size)]
