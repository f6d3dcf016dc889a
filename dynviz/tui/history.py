"""The version history of one key as a DAG, laid out with networkx.

Nodes are the versions coordinators created (``VersionCreated`` events); an edge
``w -> v`` means ``v`` was written over a context that saw ``w`` (it supersedes it:
syntactic reconciliation, paper section 4.4). Versions nothing supersedes are the
current siblings; a version that supersedes two or more concurrent ones is a
reconciliation. Layers are networkx's topological generations, so siblings share a
row and the picture reads top to bottom in causal order.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from dynviz.core.versions import Version
from dynviz.events import VersionCreated


@dataclass(frozen=True, slots=True)
class HistoryNode:
    dot: tuple[str, int]
    value: bytes | None
    clock: dict[str, int]
    coordinator: str
    time: int
    layer: int
    supersedes: tuple[tuple[str, int], ...]
    reconciles: bool  # supersedes two or more versions that were concurrent
    current: bool  # nothing known supersedes it


def _covers(w: Version, v: Version, mode_vclock: bool) -> bool:
    if mode_vclock:
        a, b = w.clock.as_dict(), v.clock.as_dict()
        return a != b and all(a.get(k, 0) >= c for k, c in b.items())
    return w.past.contains(v.dot)


def build_history(events: list[VersionCreated], vclock: bool = False) -> list[HistoryNode]:
    """The DAG of the given key's versions (events already filtered to that key)."""
    versions: dict[tuple[str, int, int, bytes], tuple[Version, VersionCreated]] = {}
    for ev in events:
        v = ev.version
        if isinstance(v, Version):
            versions.setdefault((v.dot[0], v.dot[1], v.timestamp, v.value or b""), (v, ev))
    graph: nx.DiGraph = nx.DiGraph()
    items = list(versions.items())
    for ident, _ in items:
        graph.add_node(ident)
    for a, (va, _) in items:
        for b, (vb, _) in items:
            if a != b and _covers(vb, va, vclock):
                graph.add_edge(a, b)
    # Keep only direct supersession (transitive reduction) so the picture stays readable.
    reduced = nx.transitive_reduction(graph) if nx.is_directed_acyclic_graph(graph) else graph
    layers: dict[object, int] = {}
    if nx.is_directed_acyclic_graph(reduced):
        for depth, generation in enumerate(nx.topological_generations(reduced)):
            for ident in generation:
                layers[ident] = depth
    out: list[HistoryNode] = []
    for ident, (v, ev) in items:
        preds = sorted(reduced.predecessors(ident), key=lambda d: (d[0], d[1]))
        out.append(HistoryNode(
            dot=v.dot, value=v.value, clock=v.clock.as_dict(), coordinator=ev.node, time=ev.time,
            layer=layers.get(ident, 0), supersedes=tuple((p[0], p[1]) for p in preds),
            reconciles=len(preds) >= 2, current=reduced.out_degree(ident) == 0,
        ))
    out.sort(key=lambda h: (h.layer, h.time, h.dot))
    return out
