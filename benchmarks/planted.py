"""How many realistic protocol bugs ``dynviz check`` catches: fifteen bugs planted by hand.

    python -m benchmarks planted [--only 1,5] [--seeds N] [--ops N] [--jobs N]
                                 [--timeout SEC] [--tests] [--json]

A checker that passes on the real protocol proves little until it is shown to fail on a
broken one (the way Jepsen's checkers are validated against stores with known bugs).
Each bug below is one small, realistic slip in the protocol, written as data: the file,
the exact snippet of today's code, and what it becomes. For each bug the tree is copied
to a temporary directory, the one mutation applied there (the working tree is never
touched), and a campaign of ``dynviz check`` run on the copy with a wall-clock limit
(default 60 s: "a campaign of at most a minute"). The bug is *caught* when the run
exits 1 having reported failing seeds; a run that crashes counts as caught but is
marked apart, since a crash is louder than a verdict but says less. ``--tests`` also
runs the unit and simulation tests on each copy, to compare the two nets.

Before any bug, the unmutated copy runs once as a control: a checker that fails on the
real protocol cannot be credited with catching anything, so the benchmark stops there.
The copy's own ``dynviz`` is what runs (``PYTHONPATH`` and the working directory point
at the copy); the control proves it by checking ``dynviz.__file__`` and by planting a
sabotage that must make the run fail.

Snippets drift as the code changes: a bug whose ``old`` text no longer occurs exactly
once in its file fails loudly, naming the bug, rather than silently testing nothing
(``tests/test_planted.py`` checks every bug against the current files).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_SEEDS = 200
DEFAULT_OPS = 300
"""200 seeds of 300 operations, with two workers on this project's 2-core machine: about
9 s on the unmutated tree and 15-31 s with a bug planted (a broken protocol makes more
work: retries, repairs, violations recorded). That leaves room for a checker that grows
slower before a campaign stops fitting in its minute, and 200 seeds give the rarer
fault combinations (a wipe, a join during a partition) a fair chance to come up."""
DEFAULT_TIMEOUT = 60.0
DEFAULT_TESTS_TIMEOUT = 600.0
TEST_DIRS = ("tests/core", "tests/node", "tests/sim", "tests/check")


class Drift(RuntimeError):
    """A bug's ``old`` snippet no longer occurs exactly once: the code moved on, and the
    bug must be re-derived from it."""


@dataclass(frozen=True, slots=True)
class Bug:
    """One planted bug: replace ``old`` (which occurs exactly once in ``path``) by ``new``."""

    number: int
    name: str
    description: str
    path: str
    old: str
    new: str

    def apply(self, text: str) -> str:
        """``text`` (the file's current contents) with the bug planted."""
        count = text.count(self.old)
        if count != 1:
            where = "does not occur" if count == 0 else f"occurs {count} times"
            raise Drift(f"bug {self.number} ({self.name}): its snippet {where} in {self.path}; "
                        f"the code drifted, re-derive the bug from it")
        return text.replace(self.old, self.new)

    def plant(self, tree: Path) -> None:
        """Plant the bug in the copy at ``tree``."""
        target = tree / self.path
        target.write_text(self.apply(target.read_text()))


BUGS: tuple[Bug, ...] = (
    Bug(1, "walk keeps a repeated node",
        "The preference-list walk forgets to mark a node as chosen, so a node met again "
        "further round the ring is chosen twice and the list holds fewer distinct nodes.",
        "dynviz/core/ring.py",
        "            if node not in seen:\n                seen.add(node)\n                chosen.append(node)\n",
        "            if node not in seen:\n                chosen.append(node)\n"),
    Bug(2, "dot covering off by one",
        "A context covers the dot one past its version vector too (counter <= c + 1), so a "
        "write supersedes a concurrent sibling its client never saw.",
        "dynviz/core/versions.py",
        "                if counter <= c:\n                    return True\n",
        "                if counter <= c + 1:\n                    return True\n"),
    Bug(3, "clock merge takes the minimum",
        "The merge of the siblings' causal pasts into a get's context takes the pointwise "
        "minimum instead of the maximum (this is the clock merge dvv mode, the checker's "
        "default, runs; VClock.merge only serves vclock mode).",
        "dynviz/core/versions.py",
        "            for a, c in v.past.vv:\n                if c > vv.get(a, 0):\n                    vv[a] = c\n"
        "            dots.extend(v.past.dots)\n",
        "            for a, c in v.past.vv:\n                vv[a] = min(c, vv.get(a, c))\n"
        "            dots.extend(v.past.dots)\n"),
    Bug(4, "read repair skips not-found",
        "Read repair fixes only replicas that answered with a stale version, skipping those "
        "that answered \"not found\".",
        "dynviz/node/readcore.py",
        "                    if mine is not merged and mine != merged:\n",
        "                    if mine is not None and mine is not merged and mine != merged:\n"),
    Bug(5, "hint deleted when sent",
        "A stand-in deletes a hint as soon as it sends it to the intended node, not when "
        "the handoff is acknowledged: a lost handoff loses the write.",
        "dynviz/node/node.py",
        "            rt.send(intended, HintHandoff(key, siblings))\n",
        "            rt.send(intended, HintHandoff(key, siblings))\n            self.remove_hint(intended, key, siblings)\n"),
    Bug(6, "quorum tally counts failures",
        "A put counts a replica that timed out toward W as if it had acked (the tally only "
        "has ok answers, so the failure is fed to it as one), and no stand-in is tried.",
        "dynviz/node/coordinator.py",
        "    def replica_timeout(self, target: str) -> None:\n        self.replica_failed(target, suspect=True)\n",
        "    def replica_timeout(self, target: str) -> None:\n"
        "        self.node.detector.suspect(target, f\"no ack for put of {show_key(self.key)}\")\n"
        "        self.ack(target)\n"),
    Bug(7, "Merkle parent misses a child",
        "An interior Merkle hash is taken over all children but the last, so a difference "
        "under a parent's last child never reaches the root and anti-entropy misses it.",
        "dynviz/core/merkle.py",
        "[child.get(c, child_empty) for c in range(base, base + fanout)]",
        "[child.get(c, child_empty) for c in range(base, base + fanout - 1)]"),
    Bug(8, "gossip ignores heartbeats",
        "Gossip notes a peer's progress only when its entry carries a rumour (a new version "
        "or generation), never for a heartbeat alone, so live peers go suspected.",
        "dynviz/node/gossip.py",
        "            if update.heartbeat_progressed:\n                self.progress[name] = now\n",
        "            if update.heartbeat_progressed and update.is_rumour:\n                self.progress[name] = now\n"),
    Bug(9, "old owner drops before the ack",
        "After a ring change the old owner counts any ack for a key toward its latest "
        "handoff of it, so a late ack for an older copy lets it drop a newer copy that no new "
        "owner has acknowledged (the bug ecaed17 fixed, planted back on the fixed code).",
        "dynviz/node/rebalance.py",
        "        if msg.siblings != siblings:\n"
        "            return  # an ack for an older handoff of the key: the latest one waits for its own\n",
        ""),
    Bug(10, "context key check skipped on a cache hit",
        "A context token found in the verified-token cache is returned before the check that "
        "it was issued for this key, so a context can be replayed on another key.",
        "dynviz/core/context.py",
        "    if ctx is None:\n        ctx = _verify(token, secret)\n",
        "    if ctx is not None:\n        return ctx\n    if ctx is None:\n        ctx = _verify(token, secret)\n"),
    Bug(11, "wiped node keeps its epoch",
        "A node that loses its disk comes back under its old actor name, so it issues dots "
        "it already issued before the wipe (riak_kv#679).",
        "dynviz/node/node.py",
        "        self.issued.clear()\n        self.epoch += 1\n",
        "        self.issued.clear()\n"),
    Bug(12, "tombstones reaped early",
        "dynviz keeps tombstones and has no collector; the nearest equivalent: a replica "
        "collects a key whose siblings are all tombstones as soon as it stores them, without "
        "waiting until every replica holds the delete and no hint is pending (DESIGN §7).",
        "dynviz/node/node.py",
        "        existing = self.store.get(key)\n"
        "        merged = siblings if existing is None else self.merge(existing, siblings)\n"
        "        if merged is not existing:\n",
        "        existing = self.store.get(key)\n"
        "        merged = siblings if existing is None else self.merge(existing, siblings)\n"
        "        if merged.versions and merged.all_tombstones():\n"
        "            self.drop_key(key)\n"
        "            return merged\n"
        "        if merged is not existing:\n"),
    Bug(13, "coordinator ignores its issued dots",
        "A coordinator makes a new version without the largest counter it has issued for the "
        "key, so a stand-in that handed its hints back re-issues a dot for another write.",
        "dynviz/node/node.py",
        "actor, self.runtime.wall_clock(), issued)\n",
        "actor, self.runtime.wall_clock())\n"),
    Bug(14, "hint removed on a stale ack",
        "A stand-in removes whatever hint it holds for the key on a handoff ack, even when the "
        "hint changed (a newer write merged into it) after the handoff the ack covers was sent "
        "(the bug 0073372 fixed, planted back on the fixed code).",
        "dynviz/node/node.py",
        "        if self.hints.get(src, msg.key) == msg.siblings:\n"
        "            self.remove_hint(src, msg.key, msg.siblings)\n",
        "        hint = self.hints.get(src, msg.key)\n"
        "        if hint is not None:\n"
        "            self.remove_hint(src, msg.key, hint)\n"),
    Bug(15, "anti-entropy fetches only missing keys",
        "Anti-entropy exchanges only keys one side lacks and skips keys both sides hold in "
        "different versions.",
        "dynviz/node/antientropy.py",
        "            a, b = near.get(key), far.get(key)\n            if a == b:\n",
        "            a, b = near.get(key), far.get(key)\n            if a is not None and b is not None:\n"),
)

SABOTAGE = "dynviz/__init__.py"
"""Replaced in the control's copy by a failing import: if the campaign still runs, the
copy is not what runs."""


# -- the tree -------------------------------------------------------------------------


def tree_files(root: Path = ROOT) -> list[str]:
    """The working tree's files as git sees them: tracked and not ignored untracked ones
    (a new module a colleague has not committed yet is imported by what they changed)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                         capture_output=True, check=True).stdout
    return sorted({p for p in out.decode().split("\0") if p and (root / p).is_file()})


def copy_tree(dest: Path, root: Path = ROOT, rev: str | None = None) -> None:
    """Copy the working tree (or commit ``rev``) of ``root`` into ``dest``."""
    if rev is not None:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=root, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return
    for rel in tree_files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(slots=True)
class Run:
    """One child process's end: exit code (None: killed at its time limit), output, time."""

    code: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.code is None


def run(argv: Sequence[str], tree: Path, timeout: float) -> Run:
    """Run ``argv`` in ``tree`` with the copy first on the path; at ``timeout`` the child
    and everything it started (a campaign's worker pool) are killed, as one process group."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=tree, env=_env(tree), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    return Run(code, out, err, time.perf_counter() - start)


# -- what a campaign reported -----------------------------------------------------------

_NOT_FAILURES = {"seeds", "ops", "failed_ops", "acked", "converged", "failing_seeds", "failures", "reproduce",
                 "sessions", "seed", "lost_values", "phantom_values", "unconverged_keys"}
"""JSON keys that count work or point at failures rather than being failures."""


def _size(value: Any) -> int:
    """How much failure a JSON value holds: a number itself, a collection its length, a
    mapping the sum of its values (``{"quorum": 0, "hint": 2}`` holds 2)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return len(value)
    if isinstance(value, str):
        return int(bool(value))
    return 0


def _flat(name: str, value: Any) -> dict[str, int]:
    """``value``'s nonzero failure counts under ``name``; a mapping's by sub-name
    (``violations.hint``), so a report says which rule broke."""
    if isinstance(value, dict) and all(isinstance(v, (int, float, dict)) for v in value.values()):
        out: dict[str, int] = {}
        for sub, v in value.items():
            out.update(_flat(f"{name}.{sub}", v))
        return out
    size = _size(value)
    return {name: size} if size else {}


def findings(summary: dict[str, Any]) -> dict[str, int]:
    """Every nonzero failure count in a ``dynviz check --json`` summary, by name.

    Generic on purpose: the checker grows new kinds of failure (invariants, violations)
    and each must show here without this file knowing it. Known counters come first;
    any other top-level key that is a nonzero number or a non-empty collection counts,
    and so does any such key of the per-seed failures not already at the top."""
    found: dict[str, int] = {}
    seeds = summary.get("seeds")
    converged = summary.get("converged")
    for name in ("lost", "phantoms"):
        if _size(summary.get(name)):
            found[name] = _size(summary[name])
    if isinstance(seeds, int) and isinstance(converged, int) and converged < seeds:
        found["unconverged"] = seeds - converged
    for name, value in summary.items():
        if name not in _NOT_FAILURES and name not in ("lost", "phantoms"):
            found.update(_flat(name, value))
    extra: dict[str, int] = {}
    for failure in summary.get("failures") or ():
        if not isinstance(failure, dict):
            continue
        for name, value in failure.items():
            if name in _NOT_FAILURES or name in summary:
                continue
            for flat, size in _flat(name, value).items():
                extra[flat] = extra.get(flat, 0) + size
    found.update(extra)
    return found


@dataclass(slots=True)
class Verdict:
    """What one campaign (or test run) made of one tree."""

    status: str
    """``reported`` (exit 1 with failures), ``crashed``, ``passed``, ``timeout``, or
    ``exit 1`` (failed without saying why in its JSON)."""
    seconds: float
    failing_seeds: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    detail: str = ""

    @property
    def caught(self) -> bool:
        return self.status in ("reported", "crashed", "exit 1")

    def describe(self) -> str:
        if self.status == "reported":
            parts = [f"{self.failing_seeds} seeds"] + [f"{k} {v}" for k, v in self.findings.items()]
            return ", ".join(parts)
        return self.detail or self.status


def judge_campaign(result: Run) -> Verdict:
    """Exit code 1 is the primary signal; the JSON says what was found."""
    if result.timed_out:
        return Verdict("timeout", result.seconds, detail="no verdict within the time limit")
    summary: dict[str, Any] | None = None
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if lines:
        try:
            parsed = json.loads(lines[-1])
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            summary = parsed
    crashed = "Traceback (most recent call last)" in result.stderr
    if summary is None or crashed or result.code not in (0, 1):
        return Verdict("crashed", result.seconds, detail=f"crashed (exit {result.code}): {_last_line(result.stderr)}")
    found = findings(summary)
    failing = _size(summary.get("failing_seeds"))
    if result.code == 0:
        return Verdict("passed", result.seconds, failing, found, "nothing reported")
    if not found and not failing:
        return Verdict("exit 1", result.seconds, detail="exit 1, nothing in the JSON")
    return Verdict("reported", result.seconds, failing, found)


def judge_tests(result: Run) -> Verdict:
    if result.timed_out:
        return Verdict("timeout", result.seconds, detail="tests did not finish in time")
    if result.code == 0:
        return Verdict("passed", result.seconds, detail="tests passed")
    return Verdict("reported" if result.code == 1 else "crashed", result.seconds,
                   detail=_last_line(result.stdout) or _last_line(result.stderr))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


# -- the benchmark -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    seeds: int = DEFAULT_SEEDS
    ops: int = DEFAULT_OPS
    jobs: int = 2
    timeout: float = DEFAULT_TIMEOUT
    tests: bool = False
    tests_timeout: float = DEFAULT_TESTS_TIMEOUT
    rev: str | None = None

    def check_argv(self) -> list[str]:
        return [sys.executable, "-m", "dynviz", "check", "--seeds", str(self.seeds), "--ops", str(self.ops),
                "--jobs", str(self.jobs), "--no-repro", "--json"]

    def tests_argv(self) -> list[str]:
        return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TEST_DIRS]


class NotClean(RuntimeError):
    """The unmutated tree fails its own campaign, or the copy is not what runs."""


def control(settings: Settings, work: Path) -> Verdict:
    """Run the unmutated copy (it must pass) and prove the copy is what runs: its
    ``dynviz`` is the one imported, and a sabotaged copy fails."""
    tree = work / "control"
    tree.mkdir()
    copy_tree(tree, rev=settings.rev)
    where = run([sys.executable, "-c", "import dynviz; print(dynviz.__file__)"], tree, 60)
    imported = Path(where.stdout.strip() or "?").resolve()
    if where.code != 0 or tree.resolve() not in imported.parents:
        raise NotClean(f"the copy's dynviz is not the one imported (got {imported}; "
                       f"{_last_line(where.stderr)})")
    verdict = judge_campaign(run(settings.check_argv(), tree, settings.timeout))
    if verdict.status != "passed":
        raise NotClean(f"the unmutated tree does not pass its own campaign: {verdict.describe()}")
    (tree / SABOTAGE).write_text("raise ImportError('planted: sabotage')\n")
    sabotaged = judge_campaign(run(settings.check_argv(), tree, settings.timeout))
    if sabotaged.status != "crashed":
        raise NotClean(f"a sabotaged copy still ran ({sabotaged.describe()}): the copy is not what runs")
    shutil.rmtree(tree)
    return verdict


@dataclass(slots=True)
class Outcome:
    bug: Bug
    check: Verdict
    tests: Verdict | None = None


def measure(bug: Bug, settings: Settings, work: Path) -> Outcome:
    """Copy the tree, plant ``bug``, run the campaign (and the tests), clean up."""
    tree = work / f"bug{bug.number:02d}"
    tree.mkdir()
    try:
        copy_tree(tree, rev=settings.rev)
        bug.plant(tree)
        check = judge_campaign(run(settings.check_argv(), tree, settings.timeout))
        tests = judge_tests(run(settings.tests_argv(), tree, settings.tests_timeout)) if settings.tests else None
        return Outcome(bug, check, tests)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def select(only: str | None) -> tuple[Bug, ...]:
    """The bugs named by ``--only`` (``1,5`` or ``3-7``), all by default."""
    if not only:
        return BUGS
    wanted: set[int] = set()
    for part in only.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise ValueError(f"--only takes bug numbers like 1,5 or 3-7, not {part!r}") from None
        wanted.update(range(first, last + 1))
    unknown = sorted(wanted - {b.number for b in BUGS})
    if unknown or not wanted:
        raise ValueError(f"no bug {', '.join(map(str, unknown)) or 'named'}; the bugs are 1-{len(BUGS)}")
    return tuple(b for b in BUGS if b.number in wanted)


def table(outcomes: Iterable[Outcome], tests: bool) -> str:
    rows = [("#", "bug", "check", "reported", "s")]
    if tests:
        rows[0] += ("tests", "s")
    for o in outcomes:
        mark = {"reported": "yes", "crashed": "yes (crashed)", "exit 1": "yes"}.get(o.check.status,
                                                                                  f"no ({o.check.status})")
        if o.check.status == "passed":
            mark = "no"
        row: tuple[str, ...] = (str(o.bug.number), o.bug.name, mark, o.check.describe(), f"{o.check.seconds:.1f}")
        if tests:
            t = o.tests
            row += ("-", "-") if t is None else ("yes" if t.caught else f"no ({t.status})" if t.status != "passed"
                                                 else "no", f"{t.seconds:.1f}")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks planted", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="bug numbers to run, e.g. 1,5 or 3-7 (default: all)")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"seeds per campaign ({DEFAULT_SEEDS})")
    parser.add_argument("--ops", type=int, default=DEFAULT_OPS, help=f"operations per seed ({DEFAULT_OPS})")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes per campaign (2)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"wall-clock seconds a campaign may take ({DEFAULT_TIMEOUT:.0f})")
    parser.add_argument("--tests", action="store_true", help="also run the tests on each mutated copy")
    parser.add_argument("--tests-timeout", type=float, default=DEFAULT_TESTS_TIMEOUT,
                        help=f"wall-clock seconds the tests may take per bug ({DEFAULT_TESTS_TIMEOUT:.0f})")
    parser.add_argument("--rev", help="copy this commit instead of the working tree")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        bugs = select(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    if args.seeds < 1 or args.ops < 1 or args.jobs < 1 or args.timeout <= 0 or args.tests_timeout <= 0:
        parser.error("--seeds, --ops and --jobs must be at least 1, the timeouts positive")
    settings = Settings(args.seeds, args.ops, args.jobs, args.timeout, args.tests, args.tests_timeout, args.rev)
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if args.json else print
    with tempfile.TemporaryDirectory(prefix="dynviz-planted-") as tmp:
        work = Path(tmp)
        # Every snippet is checked before anything runs: a drifted bug stops the
        # benchmark at once, naming itself, instead of after minutes of campaigns.
        sources = _sources(settings.rev)
        for bug in bugs:
            bug.apply(sources(bug.path))
        say(f"campaign: {settings.seeds} seeds x {settings.ops} ops, {settings.jobs} jobs, "
            f"limit {settings.timeout:.0f}s; control run on the unmutated tree...")
        try:
            clean = control(settings, work)
        except NotClean as exc:
            say(f"the checker is not clean: {exc}")
            if args.json:
                print(json.dumps({"clean": False, "error": str(exc)}))
            return 1
        say(f"control passed in {clean.seconds:.1f}s; the copy's dynviz is the one that runs")
        outcomes = []
        for bug in bugs:
            outcome = measure(bug, settings, work)
            outcomes.append(outcome)
            say(f"  bug {bug.number:2d} {bug.name}: {outcome.check.status} ({outcome.check.seconds:.1f}s)")
    caught = sum(o.check.caught for o in outcomes)
    crashed = sum(o.check.status == "crashed" for o in outcomes)
    tests_caught = sum(o.tests.caught for o in outcomes if o.tests is not None)
    if args.json:
        print(json.dumps({
            "clean": True,
            "settings": asdict(settings),
            "control_seconds": round(clean.seconds, 2),
            "bugs": [{"number": o.bug.number, "name": o.bug.name, "description": o.bug.description,
                      "path": o.bug.path, "caught": o.check.caught, "crashed": o.check.status == "crashed",
                      "check": _verdict_json(o.check),
                      **({"tests": _verdict_json(o.tests)} if o.tests is not None else {})}
                     for o in outcomes],
            "caught": caught, "crashed": crashed, "total": len(outcomes),
            **({"tests_caught": tests_caught} if settings.tests else {}),
        }))
        return 0
    print()
    print(table(outcomes, settings.tests))
    print()
    print(f"checker caught {caught}/{len(outcomes)}" + (f" ({crashed} by crashing)" if crashed else ""))
    if settings.tests:
        print(f"tests caught {tests_caught}/{len(outcomes)}")
    return 0


def _verdict_json(v: Verdict) -> dict[str, Any]:
    return {"status": v.status, "caught": v.caught, "seconds": round(v.seconds, 2),
            "failing_seeds": v.failing_seeds, "findings": v.findings, "detail": v.detail}


def _sources(rev: str | None) -> Callable[[str], str]:
    """How to read a file of the tree the bugs are planted in (the working tree, or
    ``rev``), for the snippet check before anything runs."""
    if rev is None:
        return lambda path: (ROOT / path).read_text()

    def at_rev(path: str) -> str:
        return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout

    return at_rev


if __name__ == "__main__":
    raise SystemExit(main())
