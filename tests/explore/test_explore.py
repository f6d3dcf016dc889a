"""The model checker (issue 17): it finds the vector-clock lost update by the shortest
path and writes it as a session replay verifies, exhausts the dvv variant, hashes
states the same way in any process, and reports the same whatever runs the search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dynviz.cli import main
from dynviz.explore.properties import parse_property
from dynviz.explore.repro import write_repro
from dynviz.explore.search import explore
from dynviz.explore.spec import SpecError, parse_spec
from dynviz.explore.world import freeze, initial_world, thaw
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "sessions" / "explore"

LOST_UPDATE = """cluster nodes=3 n=3 r=2 w=2 versioning={versioning} seed={seed}
put cart book
run 200ms
as alice get cart
as bob get cart
run 200ms
explore depth=20 {extra}
as alice put cart lamp via=n1
as bob put cart pen via=n1
"""


def lost_update(versioning: str = "vclock", seed: int = 1, extra: str = "") -> tuple[str, object]:
    text = LOST_UPDATE.format(versioning=versioning, seed=seed, extra=extra)
    return text, parse_spec(text, "lost-update.dyn")


def summary(report: object) -> dict[str, object]:
    data = report.as_json()  # type: ignore[attr-defined]
    for volatile in ("seconds", "states_per_second"):
        data.pop(volatile)
    return data


@pytest.mark.parametrize("seed", [1, 7])
def test_vclock_lost_update_is_found_by_the_two_writes_through_one_coordinator(seed: int, tmp_path: Path) -> None:
    text, spec = lost_update("vclock", seed)
    report = explore(spec, text)
    assert report.complete and not report.ok
    lost = next(f for f in report.violations if f.property == "lost")
    assert "lamp" in lost.text or "pen" in lost.text
    choices = [c for c in lost.path if c.startswith(("deliver", "drop", "kill", "fire"))]
    # Both client puts reach n1, one reply of the first write's replica and its ack
    # reach back, and the client hears the ack: five deliveries, none shorter.
    assert len(choices) == 5 == lost.depth
    assert sum(1 for c in lost.path if c.startswith("as ")) == 2
    session_path = write_repro(spec, lost, tmp_path / "lost.jsonl")  # type: ignore[arg-type]
    result = replay_session(load_session(session_path))
    assert result.verified
    assert [c.text for c in load_session(session_path).commands][-5:] == choices


def test_dvv_exhausts_the_same_space_with_no_violation() -> None:
    text, spec = lost_update("dvv")
    report = explore(spec, text)
    assert report.ok and report.complete and report.stats.states > 100
    assert report.stats.ends >= 1  # end states were played out for liveness


def test_the_state_hash_is_the_same_in_another_process_and_after_cloning() -> None:
    text, spec = lost_update("dvv")
    world, _ = initial_world(spec)  # type: ignore[arg-type]
    move = world.moves(spec.bounds)[1]  # type: ignore[attr-defined]
    world.take(move)
    here = world.digest()
    assert thaw(freeze(world)).digest() == here
    probe = ("import sys; from dynviz.explore.spec import parse_spec; from dynviz.explore.world import initial_world;"
             "spec = parse_spec(sys.stdin.read()); w, _ = initial_world(spec); w.take(w.moves(spec.bounds)[1]);"
             "print(w.digest())")
    for hash_seed in ("0", "12345"):
        out = subprocess.run([sys.executable, "-c", probe], input=text, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed}, cwd=ROOT).stdout.strip()
        assert out == here


def test_commuting_deliveries_reach_one_state() -> None:
    """Deliveries to two different nodes in either order: the same canonical state."""
    text, spec = lost_update("dvv")
    world, _ = initial_world(spec)  # type: ignore[arg-type]
    world.take(next(m for m in world.moves(spec.bounds) if m.node == "n1"))  # type: ignore[attr-defined]
    moves = [m for m in world.moves(spec.bounds) if m.kind == "deliver"]
    a, b = next((x, y) for x in moves for y in moves if x.node != y.node)
    one, two = thaw(freeze(world)), thaw(freeze(world))
    one.take(a)
    one.take(next(m for m in one.moves(spec.bounds) if m.token == b.token))  # type: ignore[attr-defined]
    two.take(b)
    two.take(next(m for m in two.moves(spec.bounds) if m.token == a.token))  # type: ignore[attr-defined]
    assert one.digest() == two.digest()


def test_reductions_and_spilling_change_the_work_not_the_verdict() -> None:
    text, spec = lost_update("vclock", extra="depth=9")
    base = explore(spec, text)
    for options in ({"por": False}, {"symmetry": False}):
        other = explore(parse_spec(text, "lost-update.dyn", options), text, overrides=options)
        assert {f.property for f in other.violations} == {f.property for f in base.violations}
        assert other.stats.states >= base.stats.states
        assert min(f.depth for f in other.violations) == min(f.depth for f in base.violations)
    spilled = explore(spec, text, memory_states=3)  # frontier and seen-set mostly on disk
    assert summary(spilled) == summary(base)


def test_parallel_workers_report_exactly_what_one_process_does() -> None:
    from dynviz.scale import LocalBackend

    text, spec = lost_update("vclock", extra="depth=8")
    with LocalBackend(2) as backend:
        parallel = explore(spec, text, backend=backend, chunk=8)
    assert summary(parallel) == summary(explore(spec, text, chunk=8))


def test_user_properties_always_sometimes_eventually() -> None:
    text, _ = lost_update("dvv", extra="depth=20")
    text += ("always hints <= 0\n"
             "sometimes inspect cart on n2 has lamp and inspect cart on n2 lacks pen\n"
             "sometimes n1 is down\n"
             "eventually inspect cart on n3 has pen\n")
    spec = parse_spec(text)
    report = explore(spec, text)
    found = {f.property: f for f in report.findings}
    assert not found["sometimes inspect cart on n2 has lamp and inspect cart on n2 lacks pen"].violated
    assert found["sometimes n1 is down"].violated and "never holds in the whole" in found["sometimes n1 is down"].text
    assert "always hints <= 0" not in found
    assert "eventually inspect cart on n3 has pen" not in found


@pytest.mark.parametrize(("text", "message"), [
    ("cluster nodes=3\nput a b\n", "no explore line"),
    ("cluster nodes=3\nexplore depth=3\n", "no client operations"),
    ("cluster nodes=3\nexplore depht=3\nput a b\n", "unknown explore option 'depht'"),
    ("cluster nodes=3\nexplore depth=0\nput a b\n", "depth must be between"),
    ("cluster nodes=3\nexplore\nput a b\nrun 1s\n", "after the explore line come client requests"),
    ("cluster nodes=3\nhold\nexplore\nput a b\n", "the explorer holds and chooses"),
    ("put a b\nexplore\nput a c\n", "the first command must be 'cluster"),
    ("cluster nodes=3\nalways quiet\nexplore\nput a b\n", "properties come after the explore line"),
])
def test_a_bad_scenario_is_one_clear_message(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


@pytest.mark.parametrize(("line", "message"), [
    ("always hint stored for n1", "about events on a path"),
    ("always get cart", "cannot make a request"),
    ("sometimes", "needs a predicate"),
    ("always quiet and", "needs a predicate on each side"),
])
def test_a_bad_property_is_refused_with_its_reason(line: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        parse_property(line, 4)


def test_the_command_line_exits_1_on_a_violation_and_writes_a_session(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "repro"
    assert main(["explore", str(SCENARIOS / "vclock-lost-update.dyn"), "--depth", "9", "--json",
                 "--repro-dir", str(target)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert {"states", "transitions", "depth", "violations"} <= set(data)
    sessions = [Path(v["session"]) for v in data["violations"]]
    assert sessions and all(p.exists() for p in sessions)
    assert main(["replay", "--verify", str(sessions[0])]) == 0
    assert main(["explore", str(SCENARIOS / "dvv-lost-update.dyn"), "--depth", "9", "--no-repro"]) == 0
    out = capsys.readouterr().out
    assert "no property violated" in out
    assert main(["explore", str(tmp_path / "missing.dyn")]) == 2
    assert "missing.dyn: cannot read it" in capsys.readouterr().err


def test_a_search_on_a_dask_cluster_reports_exactly_what_one_process_does() -> None:
    distributed = pytest.importorskip("distributed")
    from dynviz.scale import DaskBackend

    text, spec = lost_update("vclock", extra="depth=8")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            DaskBackend(cluster.scheduler_address) as backend:
        remote = explore(spec, text, backend=backend, chunk=8)
    assert summary(remote) == summary(explore(spec, text, chunk=8))
    assert not remote.ok


def test_crash_and_stop_options() -> None:
    text, spec = lost_update("vclock", extra="depth=9 crashes=1 crash=n2 stop=first")
    assert spec.bounds.crash == ("n2",) and spec.bounds.first  # type: ignore[attr-defined]
    report = explore(spec, text)
    assert report.stopped == "first violation" and not report.complete
    crashes = {c for f in report.findings for c in f.path if c.startswith("kill")}
    assert crashes <= {"kill n2"}
    with pytest.raises(SpecError, match="crash= names n9"):
        lost_update("vclock", extra="crashes=1 crash=n9")


def test_symmetry_swaps_interchangeable_clients_and_their_values_only() -> None:
    from dynviz.explore.canon import Canon
    from dynviz.explore.search import renames_for

    text, spec = lost_update("dvv")
    renames = renames_for(spec)  # type: ignore[arg-type]
    assert renames[0] == {} and len(renames) == 2
    swap = renames[1]
    assert swap["alice"] == "bob" and swap[b"lamp"] == b"pen" and swap["client:bob"] == "client:alice"
    state = {"alice": [b"lamp", ("client:alice", 5)], "bob": [b"pen", ("client:bob", 6)]}
    mirror = {"bob": [b"pen", ("client:bob", 5)], "alice": [b"lamp", ("client:alice", 6)]}
    assert Canon(swap).encode(state) == Canon().encode(mirror)
    assert Canon().encode(state) != Canon().encode(mirror)
    # A property naming a client keeps them apart, and so do the versionings in which a
    # value decides something (vclock keeps the larger of two equal clocks, LWW breaks
    # ties by value): there, swapping values is no symmetry.
    named = parse_spec(text + "always alice done implies hints <= 1\n")
    assert renames_for(named) == ({},)
    lww = parse_spec(text.replace("versioning=dvv", "versioning=dvv resolver=lww"))
    assert renames_for(lww) == ({},)
    assert renames_for(lost_update("vclock")[1]) == ({},)  # type: ignore[arg-type]


def test_symmetry_halves_the_space_and_keeps_the_verdicts() -> None:
    text, spec = lost_update("dvv", extra="depth=9 drops=1")
    plain = parse_spec(text, "lost-update.dyn", {"symmetry": False})
    with_symmetry, without = explore(spec, text), explore(plain, text, overrides={"symmetry": False})
    assert with_symmetry.stats.states < 0.75 * without.stats.states
    assert with_symmetry.ok == without.ok
    assert {f.property for f in with_symmetry.findings} == {f.property for f in without.findings}
