"""Minimal reproductions of failing check seeds, as session files ``dynviz replay`` opens.

A failing seed of ``dynviz check`` is a bug report; this module makes it a small one.
The seed's workload is recorded as commands (:mod:`dynviz.check.workload`: every client
operation with the node it entered through, every fault). Replaying a recording on a
fresh cluster of the same seed, then the run's ending (the same commands the checker
ends with, :meth:`dynviz.check.scenario.Scenario.end`), judges it as the checker does.
Delta debugging (Zeller's ddmin) removes operations and faults while the replay still
fails, and the smallest failing recording is replayed once more with a recorder
attached: the session file holds its commands and the ending's, and a footer from that
very run, so it verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dynviz.check.run import CheckConfig, check_seed
from dynviz.check.scenario import Recording, Scenario, SeedVerdict
from dynviz.session.recording import Recorder

T = TypeVar("T")


def record_seed(config: CheckConfig) -> Recording:
    """Run one seed as ``dynviz check`` does, and return its recorded workload."""
    recording: Recording = []
    check_seed(config, recording)
    return recording


def replay(config: CheckConfig, recording: Recording, recorder: Recorder | None = None) -> SeedVerdict:
    """Replay ``recording`` on the seed's cluster, end the run as the checker does, and
    judge it; with ``recorder``, every command issued is written to it, then the footer."""
    scenario = Scenario(config.cluster(), config.key_names(), recorder, invariants=config.invariants)
    scenario.play(recording)
    verdict = scenario.end()
    if recorder is not None:
        recorder.close(scenario.cluster)
    scenario.close()
    return verdict


def ddmin(items: list[T], fails: Callable[[list[T]], bool], budget: int = 300) -> list[T]:
    """Zeller's delta debugging: a 1-minimal failing subsequence, within ``budget`` tests."""
    n = 2
    tests = 0
    while len(items) >= 2 and tests < budget:
        chunk = max(1, len(items) // n)
        parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]
        reduced = False
        for i in range(len(parts)):
            complement = [x for j, part in enumerate(parts) if j != i for x in part]
            tests += 1
            if complement and fails(complement):
                items, n, reduced = complement, max(n - 1, 2), True
                break
            if tests >= budget:
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


@dataclass(frozen=True, slots=True)
class Reproduction:
    seed: int
    path: Path
    commands: int  # in the minimal recording (the ending's not counted)
    original: int  # in the seed's whole recording
    verdict: SeedVerdict


def reproduce(config: CheckConfig, directory: str | Path, budget: int = 300) -> Reproduction | None:
    """Shrink a failing seed to a minimal session file in ``directory``; None when the
    recording does not fail on replay (the failure depends on timing the recording
    cannot pin down)."""
    recording = record_seed(config)
    if not replay(config, recording).failed:
        return None
    minimal = ddmin(list(recording), lambda candidate: replay(config, candidate).failed, budget)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"check-seed-{config.seed}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        verdict = replay(config, minimal, Recorder(handle, seed=config.seed, cluster=config.cluster()))
    return Reproduction(config.seed, path, len(minimal), len(recording), verdict)
