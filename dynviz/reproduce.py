"""Minimal reproductions of failing check seeds, as session files ``dynviz replay`` opens.

A failing seed of ``dynviz check`` is a bug report; this module makes it a small one.
The checker's run is recorded as commands (every client operation with the node it
entered through, every fault), followed by the checker's own ending written as commands
too (heal, recover, settle, read every key with R=N). Replaying that script judges the
history exactly as the checker does. Delta debugging (Zeller's ddmin) then removes
operations and faults while the script still fails, and the smallest failing script is
written as a session file whose footer comes from replaying it — so it verifies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dynviz import commands as c
from dynviz.checker import CheckConfig, Item, Write, check_seed, judge, observed_items
from dynviz.client import GetResult, PutResult
from dynviz.cluster import Cluster, ClusterConfig, Pending
from dynviz.core.versions import Dot, Version
from dynviz.executor import Executor
from dynviz.node.node import SECOND

Script = list[tuple[int, str]]


@dataclass(frozen=True, slots=True)
class ScriptVerdict:
    lost: tuple[bytes, ...]
    phantoms: tuple[bytes, ...]
    unconverged: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.phantoms or self.unconverged)


def record_seed(config: CheckConfig) -> Script:
    """Run one seed as ``dynviz check`` does, recording it as commands."""
    script: Script = []
    check_seed(config, script)
    return script


def cluster_config(config: CheckConfig) -> ClusterConfig:
    """The cluster a check seed runs on (the same as ``checker._Run`` builds)."""
    return ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, config.nodes + 1)), seed=config.seed,
                         versioning=config.versioning, resolver=config.resolver, n=3, r=2, w=2)


def ending(cluster: Cluster, keys: Sequence[bytes]) -> list[str]:
    """The checker's ending as commands: undo every fault, settle, read every key at R=N."""
    lines = ["heal", "loss 0"]
    lines += [f"recover {name}" for name in cluster.nodes
              if not cluster.is_up(name) and name not in cluster.departed]
    lines += ["settle", f"run {cluster.config.suspect_for + 100_000}us", "settle"]
    lines += [f"as checker get {key.decode()} r={cluster.config.n}" for key in keys]
    lines += ["settle"]
    return lines


def replay_script(config: CheckConfig, script: Script, keys: Sequence[bytes]) -> tuple[ScriptVerdict, Cluster]:
    """Replay ``script`` (then the checker's ending) and judge it like the checker."""
    executor = Executor(config=cluster_config(config))
    cluster = executor.cluster
    tombstones: dict[int, Dot] = {}

    def observe(req: int, version: Version) -> None:
        if version.value is None:
            tombstones[req] = version.dot

    cluster.observe_versions(observe)
    seen: dict[tuple[str, bytes], tuple[Item, ...]] = {}
    writes: list[Write] = []
    reads: dict[bytes, set[bytes]] = {}
    final: dict[bytes, tuple[Item, ...]] = {}

    def issue(text: str) -> None:
        command = c.parse_line(text)
        assert command is not None
        if isinstance(command, c.Get):
            pending = cluster.submit_get(command.key, command.client, command.via, command.n, command.r)
            client = command.client or "client"

            def got(p: Pending) -> None:
                result = p.result
                assert isinstance(result, GetResult)
                if result.ok:
                    seen[(client, result.key)] = observed_items(result)
                    reads.setdefault(result.key, set()).update(result.values)
                    if client == "checker":
                        final[result.key] = observed_items(result)

            pending.callbacks.append(got)
        elif isinstance(command, (c.Put, c.Delete)):
            client = command.client or "client"
            key = command.key.encode()
            observed = seen.get((client, key), ())
            if isinstance(command, c.Put):
                pending = cluster.submit_put(command.key, command.value, client, command.via)
                value: bytes | None = command.value.encode()
            else:
                pending = cluster.submit_delete(command.key, client, command.via)
                value = None
            index = len(writes)
            writes.append(Write(key, value, observed))

            def written(p: Pending, index: int = index) -> None:
                result = p.result
                assert isinstance(result, PutResult)
                w = writes[index]
                writes[index] = Write(w.key, w.value, w.observed, result.ok, tombstones.get(p.req))
                if result.ok and result.siblings is not None:
                    seen[(client, w.key)] = tuple(
                        v.value if v.value is not None else v.dot for v in result.siblings.versions)

            pending.callbacks.append(written)
        else:
            executor.execute(command)

    for time, text in script:
        cluster.run_until(max(time, cluster.now))
        issue(text)
    cluster.run(SECOND)
    for text in ending(cluster, keys):
        issue(text)
        if text.startswith("as checker get"):
            cluster.settle(5 * SECOND)
    n = cluster.config.n
    unconverged = []
    for key in keys:
        held = [cluster.nodes[name].store.get(key) for name in cluster.ring.preference_list(key, n)]
        if any(h != held[0] for h in held[1:]):
            unconverged.append(key.decode())
    if any(len(node.hints) for node in cluster.nodes.values()):
        unconverged.append("(hints left)")
    verdict = judge(writes, final, reads)
    return ScriptVerdict(verdict.lost_values, verdict.phantom_values, tuple(unconverged)), cluster


def ddmin(items: list, fails: Callable[[list], bool], budget: int = 300) -> list:
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
    commands: int
    original: int
    verdict: ScriptVerdict


def reproduce(config: CheckConfig, directory: str | Path, budget: int = 300) -> Reproduction | None:
    """Shrink a failing seed to a minimal session file in ``directory``; None when the
    recorded script does not fail on replay (the failure depends on timing the script
    cannot pin down)."""
    from dynviz.session.recording import Recorder

    script = record_seed(config)
    keys = [f"k{i}".encode() for i in range(config.keys)]
    verdict, _ = replay_script(config, script, keys)
    if not verdict.failed:
        return None

    def fails(candidate: list) -> bool:
        return replay_script(config, candidate, keys)[0].failed

    minimal = ddmin(list(script), fails, budget)
    verdict, _ = replay_script(config, minimal, keys)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"check-seed-{config.seed}.jsonl"
    # Write the minimal script, the checker's ending included, through the recorder, and
    # its footer from a replay of exactly those commands, so `dynviz replay --verify` holds.
    executor = Executor(config=cluster_config(config))
    cluster = executor.cluster
    with path.open("w", encoding="utf-8") as handle:
        recorder = Recorder(handle, seed=config.seed, cluster=cluster.config)
        timeline = list(minimal)
        for time, text in timeline:
            cluster.run_until(max(time, cluster.now))
            recorder.command(cluster.now, text, "typed")
            executor.submit(c.parse_line(text), lambda _o: None)  # type: ignore[arg-type]
        cluster.run(SECOND)
        for text in ending(cluster, keys):
            recorder.command(cluster.now, text, "typed")
            executor.submit(c.parse_line(text), lambda _o: None)  # type: ignore[arg-type]
            if text.startswith("as checker get"):
                cluster.settle(5 * SECOND)
        recorder.close(cluster)
    return Reproduction(config.seed, path, len(minimal), len(script), verdict)


def with_seed(base: CheckConfig, seed: int) -> CheckConfig:
    return replace(base, seed=seed)
