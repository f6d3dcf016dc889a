"""A finding's path as a session file that ``dynviz replay`` opens and verifies.

The path is re-run from the scenario's setup on a fresh cluster with a
:class:`~dynviz.session.recording.Recorder` attached, so the file carries the digests a
replay checks: the setup's commands, ``hold``, the clients' requests as they started,
and each choice as the command a learner would type on the Network panel (``deliver
m21``, ``drop m23``, ``fire n1.t4``, ``kill n2``...). For a property checked after the
faults end (convergence, hints, ``eventually``), the file goes on with the ending the
explorer played (``release``, ``heal``, ``recover``, ``settle``, the final reads).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dynviz import commands as c
from dynviz.explore.search import Finding
from dynviz.explore.spec import Spec
from dynviz.explore.world import initial_world
from dynviz.session.recording import Recorder

ENDING = ("converged", "hints", "superseded")
"""Findings made after playing an end state out: their file includes the ending."""


def file_name(finding: Finding, number: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", finding.property.lower()).strip("-")[:48] or "property"
    return f"{number:02d}-{slug}.jsonl"


def write_repro(spec: Spec, finding: Finding, path: str | os.PathLike[str]) -> Path:
    """Re-run ``finding``'s path with a recorder and write it to ``path``."""
    first = c.parse_line(spec.setup[0][0])
    assert isinstance(first, c.Cluster)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    from dynviz.explore.world import cluster_config

    config = cluster_config(first)
    with open(target, "w", encoding="utf-8", newline="\n") as stream:
        recorder = Recorder(stream, seed=config.seed, cluster=config)
        world, opening = initial_world(spec, recorder)
        for command in finding.path[len(opening):]:
            if isinstance(c.parse_line(command), (c.Put, c.Get, c.Delete)):
                continue  # a client's next request: the choice before it started it again
            world.apply(command)
            world.start_requests()
        if _after_ending(finding):
            world.scenario.end()
        recorder.close(world.cluster)
    return target


def _after_ending(finding: Finding) -> bool:
    return (finding.property.split()[0] in ENDING or finding.property.startswith("eventually")
            or finding.text.startswith("after heal"))
