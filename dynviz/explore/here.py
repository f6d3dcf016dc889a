"""Explore from a running cluster's current state (the app's "explore from here").

The app's cluster is copied (the timeline's snapshot pickler: the copy shares nothing
with the original), the copy's requests in flight forget their callbacks (they point
into the app) and are followed by a fresh history instead, every message is held, and
the search starts there with no further client operations: the choices are the pending
messages, and, within the bounds, drops, duplicates, crashes, partitions and timers.
The writes that were in flight count for the lost-write rule once acknowledged; writes
finished before "here" are known only as values that were written (so a read of one
is no phantom); their acknowledgements are not, so the rules that guard them are the
run-time invariants and, at each end state, convergence and no hint left.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dynviz.check.history import History
from dynviz.check.invariants import Invariants
from dynviz.check.judge import Write
from dynviz.check.scenario import Scenario
from dynviz.client import GetResult
from dynviz.cluster import Cluster, Pending
from dynviz.executor import Executor
from dynviz.explore.spec import Bounds, Spec
from dynviz.explore.world import World
from dynviz.session.recording import cluster_line
from dynviz.session.timeline import Snapshot


def spec_here(world: World, bounds: Bounds) -> Spec:
    """A spec for exploring from ``world`` (:func:`world_here`): its cluster line, no
    operations, and unless ``bounds`` says, one sibling per value known at the start."""
    if bounds.siblings is None:
        bounds = replace(bounds, siblings=max(1, len(world.scenario.history.writes)))
    return Spec("(here)", ((cluster_line(world.cluster.config), 0),), bounds, ())


def world_here(cluster: Cluster) -> World:
    """A world whose cluster is a copy of ``cluster`` as it is now, every message held."""
    copy = Snapshot.take(cluster).restore()
    executor = Executor(config=copy.config)
    executor.adopt(copy, announce=False)
    scenario = Scenario.__new__(Scenario)
    scenario.executor = executor
    scenario.cluster = copy
    scenario.keys = tuple(sorted({key for node in copy.nodes.values() for key, _ in node.store.items()}
                                 | {p.key for p in copy.pending.values()}))
    scenario.history = History(copy)
    # Values stored before "here" were written by someone: known (not phantoms), but
    # their acknowledgements happened before this history began.
    for key, value in sorted({(key, v.value) for node in copy.nodes.values() for key, siblings in node.store.items()
                              for v in siblings.versions if v.value is not None}):
        scenario.history.writes.append(Write(key, value))
    scenario.recorder = None
    scenario.invariants = Invariants(copy)
    current: dict[str, Pending[Any] | None] = {}
    for pending in copy.pending.values():
        pending.callbacks = []
        client = pending.client.name
        if isinstance(pending.result, GetResult) or pending.op == "get":
            scenario.history.track_get(client, pending)
        elif pending.op in ("put", "delete"):
            scenario.history.track_write(client, pending)
        current.setdefault(client, pending)
    if not copy.network.holds:
        scenario.issue("hold", strict=True)
    return World(scenario, {}, current)
