"""One state of an exploration and the choices out of it (issue 17).

A :class:`World` is a check :class:`~dynviz.check.scenario.Scenario` (the cluster, its
clients' history and the run-time invariants), each client's remaining operations,
and the fault budgets spent. It is cloned by pickling (:func:`freeze`, :func:`thaw`:
about a millisecond for a 3-node cluster), hashed canonically
(:meth:`World.digest`), and moved by a :class:`Move`: one command of the command
language (``deliver m21``, ``drop m23``, ``fire n1.t4``, ``kill n2``, ``partition n1 |
n2,n3``...) followed by the client requests it let start. A path is therefore a list
of commands, which is what a counterexample is written as (:mod:`dynviz.explore.repro`).
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from dynviz import commands as c
from dynviz.check.judge import Item, items, judge
from dynviz.check.scenario import Scenario
from dynviz.client import GetResult
from dynviz.cluster import Cluster, ClusterConfig, Pending
from dynviz.core.hashing import as_key
from dynviz.core.versions import Siblings
from dynviz.events import EventBus
from dynviz.explore.canon import Canon, Multiset
from dynviz.explore.spec import Bounds, Spec
from dynviz.session.recording import Recorder
from dynviz.sim.choices import pending_timers

_HASH_TYPE = type(hashlib.sha256())


@dataclass(frozen=True, slots=True)
class Move:
    """A choice and what it started: ``commands[0]`` is the choice, the rest are client
    requests issued because an answer arrived. ``kind`` is deliver, drop, duplicate,
    fire, crash, recover, partition or heal; ``node`` the node it acts on (a delivery's
    receiver), for the partial-order reduction; ``token`` names the choice by content,
    the same in every state that offers it (a message's ids differ between paths)."""

    commands: tuple[str, ...]
    kind: str
    node: str
    token: str


@dataclass(slots=True)
class Spent:
    drops: int = 0
    duplicates: int = 0
    crashes: int = 0
    partitions: int = 0
    timers: int = 0


@dataclass(slots=True)
class World:
    scenario: Scenario
    programs: dict[str, list[str]]  # each client's operations not yet issued
    current: dict[str, Pending[Any] | None]  # each client's request in flight
    reads: dict[str, tuple[bytes, ...]] = field(default_factory=dict)  # each client's latest get
    spent: Spent = field(default_factory=Spent)
    crashed: list[str] = field(default_factory=list)  # nodes the explorer crashed and has not recovered
    cut: bool = False  # a partition the explorer made is on
    labels: dict[int, str] = field(default_factory=dict)  # request id -> "alice#1" (see canon.py)

    # -- what properties read -----------------------------------------------------------

    @property
    def cluster(self) -> Cluster:
        return self.scenario.cluster

    def acked(self, value: bytes) -> bool:
        return any(w.acked and w.value == value for w in self.scenario.history.writes)

    def last_read(self, client: str) -> tuple[bytes, ...] | None:
        return self.reads.get(client)

    def finished(self, client: str) -> bool:
        return not self.programs.get(client) and self.current.get(client) is None

    # -- the state's identity -----------------------------------------------------------

    def digest(self, renames: tuple[dict[Any, Any], ...] = ({},)) -> str:
        """The canonical hash (see :mod:`dynviz.explore.canon`): the least over
        ``renames`` (the identity first), so symmetric states hash alike."""
        return self.frame(renames)[0]

    def frame(self, renames: tuple[dict[Any, Any], ...] = ({},)) -> tuple[str, dict[Any, Any]]:
        """The canonical hash and the renaming that gives it (the first, on a tie): the
        state's *frame*, in which its moves' tokens are named, so that a token means the
        same move in every state of one symmetry class (the sleep sets rely on it)."""
        if len(renames) == 1:
            return self._digest(renames[0]), renames[0]
        digest, number = min((self._digest(rename), number) for number, rename in enumerate(renames))
        return digest, renames[number]

    def _digest(self, rename: dict[Any, Any]) -> str:
        canon = Canon(rename, _skip, reqs=self.labels)
        cluster = self.cluster
        network = cluster.network
        held = sorted(canon._alone((src, dst, msg)) for src, dst, msg, _sent, _due in network.held.values())
        timers = []
        for entry in cluster.scheduler.live():
            fn, args = entry[2], entry[3]
            owner = getattr(fn, "__self__", None)
            name = getattr(owner, "name", "")
            if getattr(fn, "__name__", "") == "_fire":  # a node's timer: (incarnation, fn, args, number)
                fn, args = args[1], (args[0], args[2])
            timers.append(((entry[0], name, getattr(fn, "__qualname__", "")), entry[1], fn, args))
        timers.sort(key=lambda t: (t[0], t[1]))
        # The canon renames whole strings (client names, values, labels) wherever they are,
        # dict keys included; the words inside a command's text it renames here.
        programs = {k: [self._renamed_text(t, rename) for t in v] for k, v in self.programs.items()}
        return canon.digest(
            cluster, self._history_view(), self.scenario.invariants, programs,
            {k: (self.labels.get(p.req, p.req) if p is not None else None) for k, p in self.current.items()},
            self.reads,
            (self.spent.drops, self.spent.duplicates, self.spent.crashes, self.spent.partitions,
             self.spent.timers, tuple(self.crashed), self.cut),
            held, [(key, fn, args) for key, _, fn, args in timers])

    def _history_view(self) -> dict[str, Any]:
        """The history as the judge reads it: writes and answers as multisets (their
        order is the order requests happened to be issued or answered in, which the
        judge ignores), each request's write by its label rather than a list index."""
        history = self.scenario.history
        labels = self.labels
        return {
            "writes": Multiset(history.writes),
            "reads": history.reads,
            "answers": {key: Multiset(shown) for key, shown in history.answers.items()},
            "observed": history._observed,
            "tombstones": {labels.get(req, req): dot for req, dot in history._tombstones.items()},
            "write_of": {labels.get(req, req): history.writes[index] for req, index in history._write_of.items()},
        }

    @staticmethod
    def _renamed_text(text: str, rename: dict[Any, Any]) -> str:
        return " ".join(rename.get(word, word) for word in text.split())

    # -- checks ---------------------------------------------------------------------------

    def copies(self) -> dict[bytes, list[Item]]:
        """Every stored copy of every key, on every node (up or down: a crash keeps the
        disk) and in every hint: what "present somewhere" means for a lost write."""
        found: dict[bytes, list[Item]] = {}
        for node in self.cluster.nodes.values():
            for key, siblings in node.store.items():
                found.setdefault(key, []).extend(items(siblings))
            for _intended, key, siblings in node.hints.items():
                found.setdefault(key, []).extend(items(siblings))
        return found

    def safety(self, sibling_bound: int) -> list[tuple[str, str]]:
        """(rule, what) for each built-in safety property broken in this state."""
        history = self.scenario.history
        broken: list[tuple[str, str]] = []
        verdict = judge(history.writes, self.copies(), history.reads)
        for value in verdict.lost_values:
            broken.append(("lost", f"acknowledged write {value.decode('latin-1')!r} is on no node and no hint, "
                                   "and no later write that saw it survives"))
        for value in verdict.phantom_values:
            broken.append(("phantom", f"a read returned {value.decode('latin-1')!r}, which no client wrote"))
        for name, node in sorted(self.cluster.nodes.items()):
            for key, siblings in node.store.items():
                assert isinstance(siblings, Siblings)
                if len(siblings.versions) > sibling_bound:
                    broken.append(("siblings", f"{name} holds {len(siblings.versions)} siblings of "
                                               f"{key.decode('latin-1')} (bound {sibling_bound})"))
        invariants = self.scenario.invariants
        if invariants is not None:
            for violation in invariants.violations:
                broken.append((f"invariant {violation.rule}", violation.text))
        return broken

    # -- moving -----------------------------------------------------------------------------

    def quiescent(self) -> bool:
        """Nothing left to deliver: an end state of the search."""
        return not self.cluster.network.held and not self.cluster.network.in_flight

    def start_requests(self) -> list[str]:
        """Issue each idle client's next operation; the commands issued."""
        issued = []
        for client, program in self.programs.items():
            pending = self.current.get(client)
            if pending is not None and not pending.done:
                continue
            if pending is not None:
                self._answered(client, pending)
                self.current[client] = None
            if program:
                text = program.pop(0)
                pending = self.scenario.issue(text, strict=True)
                self.current[client] = pending
                if pending is not None:
                    done = sum(1 for label in self.labels.values()
                               if label.startswith(client + "#") and not label.startswith(client + "#s"))
                    self.labels[pending.req] = f"{client}#{done}"
                issued.append(text)
        return issued

    def _answered(self, client: str, pending: Pending[Any]) -> None:
        result = pending.result
        if isinstance(result, GetResult) and result.ok:
            self.reads[client] = tuple(sorted(result.values))

    def moves(self, bounds: Bounds, rename: dict[Any, Any] | None = None) -> list[Move]:
        """Every choice enabled in this state within ``bounds``' budgets, in a fixed order
        (messages by id, then timers, crashes, recoveries, partitions); a message's token
        is its content in the frame ``rename`` (see :meth:`frame`)."""
        cluster = self.cluster
        spent = self.spent
        found: list[Move] = []
        seen_tokens: dict[str, int] = {}
        canon = Canon(rename, reqs=self.labels)
        for mid in sorted(cluster.network.held):
            src, dst, msg, _sent, _due = cluster.network.held[mid]
            body = hashlib.sha256(canon.encode((src, dst, msg))).hexdigest()[:20]
            count = seen_tokens[body] = seen_tokens.get(body, 0) + 1
            token = f"{body}#{count}"  # a duplicate's copy is the same message again
            node = dst.removeprefix("client:")
            found.append(Move((f"deliver m{mid}",), "deliver", node, "deliver " + token))
            if spent.drops < bounds.drops:
                found.append(Move((f"drop m{mid}",), "drop", node, "drop " + token))
            if spent.duplicates < bounds.duplicates:
                found.append(Move((f"duplicate m{mid}",), "duplicate", node, "duplicate " + token))
        if spent.timers < bounds.timers:
            for timer in pending_timers(cluster.scheduler):
                if not bounds.fire or any(word in timer.purpose for word in bounds.fire):
                    found.append(Move((f"fire {timer.id}",), "fire", timer.node,
                                      f"fire {timer.node} {timer.purpose} {timer.due}"))
        live = [name for name in cluster.nodes if cluster.is_up(name)]
        if spent.crashes < bounds.crashes:
            found.extend(Move((f"kill {name}",), "crash", name, f"kill {name}") for name in live
                         if not bounds.crash or name in bounds.crash)
        found.extend(Move((f"recover {name}",), "recover", name, f"recover {name}") for name in self.crashed)
        if not self.cut and spent.partitions < bounds.partitions and len(cluster.nodes) > 1:
            for name in cluster.nodes:
                rest = ",".join(n for n in cluster.nodes if n != name)
                found.append(Move((f"partition {name} | {rest}",), "partition", name, f"partition {name}"))
        if self.cut:
            found.append(Move(("heal",), "heal", "", "heal"))
        return found

    def take(self, move: Move) -> tuple[str, ...]:
        """Make ``move`` (its first command), spend its budget, and let idle clients go
        on; returns the commands as they happened (the choice, then any requests)."""
        command = move.commands[0]
        self.apply(command)
        kind = move.kind
        if kind == "drop":
            self.spent.drops += 1
        elif kind == "duplicate":
            self.spent.duplicates += 1
        elif kind == "fire":
            self.spent.timers += 1
        elif kind == "crash":
            self.spent.crashes += 1
            self.crashed.append(move.node)
        elif kind == "recover":
            self.crashed.remove(move.node)
        elif kind == "partition":
            self.spent.partitions += 1
            self.cut = True
        elif kind == "heal":
            self.cut = False
        return (command, *self.start_requests())

    def apply(self, command: str) -> None:
        """Carry out one choice (a command; recorded when the scenario has a recorder)."""
        self.scenario.issue(command, strict=True)
        self.scenario.executor.take_finished()


def _skip(obj: Any, name: str) -> bool:
    """Attributes the state hash walks separately (held messages and timers, so that
    their ids and sequence numbers stay out) or that hold only ids."""
    return name in ("held", "heap", "due", "pending", "_sweep") and not isinstance(obj, World)


# -- cloning -------------------------------------------------------------------------------


def _fresh_bus() -> EventBus:
    return EventBus()


def _fresh_hash() -> Any:
    return hashlib.sha256()


_DISPATCH: dict[type, Callable[[Any], Any]] = {
    # A clone gets its own event bus (nothing listens to it) and a new running trace hash
    # (a counterexample is re-run to record its digests, :mod:`dynviz.explore.repro`).
    # A dispatch table, not ``persistent_id``: pickle looks types up in C, whereas a
    # ``persistent_id`` is a Python call per object pickled (most of a clone's time).
    EventBus: lambda bus: (_fresh_bus, ()),
    _HASH_TYPE: lambda h: (_fresh_hash, ()),
}


def freeze(world: World) -> bytes:
    """The world as bytes (a clone is ``thaw(freeze(world))``); local functions cannot
    be pickled and make this fail with PicklingError, naming them."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(world)
    return buffer.getvalue()


def thaw(data: bytes) -> World:
    world = pickle.loads(data)
    assert isinstance(world, World)
    return world


# -- the first state ----------------------------------------------------------------------


def initial_world(spec: Spec, recorder: Recorder | None = None) -> tuple[World, tuple[str, ...]]:
    """Run the setup, hold every message, issue each client's first request. Returns
    the world and the commands issued after the setup (the start of every path)."""
    first = c.parse_line(spec.setup[0][0])
    assert isinstance(first, c.Cluster)
    scenario = Scenario(cluster_config(first), _keys(spec), recorder)
    setup_labels: dict[int, str] = {}
    for text, _line in spec.setup[1:]:
        pending = scenario.issue(text, strict=True)
        if pending is not None:
            client = pending.client.name
            done = sum(1 for label in setup_labels.values() if label.startswith(client + "#s"))
            setup_labels[pending.req] = f"{client}#s{done}"  # the setup's requests, labelled too
            scenario.cluster.wait(pending)
    opening = ["loss 0"] if scenario.cluster.network.loss else []
    opening.append("hold")
    for text in opening:
        scenario.issue(text, strict=True)
    world = World(scenario, {client: list(spec.program(client)) for client in spec.clients},
                  dict.fromkeys(spec.clients), labels=setup_labels)
    opening.extend(world.start_requests())
    return world, tuple(opening)


def cluster_config(command: c.Cluster) -> ClusterConfig:
    """The scenario's cluster (its ``cluster`` line; the seed is 1 unless it says)."""
    seed = command.get("seed", 1)
    config = ClusterConfig.from_options(dict(command.options))
    return replace(config, seed=seed if isinstance(seed, int) else 1)


def _keys(spec: Spec) -> list[bytes]:
    keys: dict[bytes, None] = {}
    for text in [t for t, _ in spec.setup] + [op.text for op in spec.operations]:
        command = c.parse_line(text)
        key = getattr(command, "key", None)
        if isinstance(key, (str, bytes)):
            keys[as_key(key)] = None
    return list(keys)
