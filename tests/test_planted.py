"""The planted-bugs benchmark's own promises (benchmarks/planted.py), without running a
campaign: every bug still fits today's code (its snippet occurs exactly once, planting
it changes the file, and the result compiles), a drifted bug fails naming itself, and a
campaign's JSON is read generically, so new kinds of failure count without edits here."""

from __future__ import annotations

import pytest

from benchmarks.planted import BUGS, ROOT, Bug, Drift, Run, findings, judge_campaign, select


def test_fifteen_bugs_numbered_in_order() -> None:
    assert [b.number for b in BUGS] == list(range(1, 16))
    assert len({b.name for b in BUGS}) == len(BUGS)
    for bug in BUGS:
        assert bug.description.endswith(")") or bug.description.endswith(".")
        assert bug.path.startswith(("dynviz/core/", "dynviz/node/", "dynviz/sim/")), bug


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: f"{b.number}-{b.name}")
def test_each_bug_fits_the_current_code(bug: Bug) -> None:
    text = (ROOT / bug.path).read_text()
    assert text.count(bug.old) == 1, f"bug {bug.number} drifted: re-derive it from {bug.path}"
    planted = bug.apply(text)
    assert planted != text
    assert bug.new in planted
    compile(planted, bug.path, "exec")  # still importable: a syntax slip would be a crash, not a bug


def test_a_drifted_snippet_fails_naming_the_bug() -> None:
    bug = Bug(99, "gone", "A bug whose code moved on.", "dynviz/core/ring.py", "no such code\n", "x\n")
    with pytest.raises(Drift, match=r"bug 99 \(gone\).*does not occur.*ring\.py"):
        bug.apply((ROOT / bug.path).read_text())
    twice = Bug(98, "twice", "A snippet that is not unique.", "x.py", "a", "b")
    with pytest.raises(Drift, match="occurs 2 times"):
        twice.apply("a a")


def test_only_selects_numbers_and_ranges() -> None:
    assert [b.number for b in select("1,5")] == [1, 5]
    assert [b.number for b in select("3-5, 15")] == [3, 4, 5, 15]
    assert select(None) == BUGS
    for bad in ("16", "0", "x", "2-x"):
        with pytest.raises(ValueError):
            select(bad)


def test_findings_count_known_and_new_failure_fields() -> None:
    summary = {
        "seeds": 10, "ops": 100, "failed_ops": 7, "acked": 50, "lost": 3, "phantoms": 0, "converged": 8,
        "failing_seeds": [1, 2, 4], "invariants": 5, "violations": {"quorum": 0, "hint": 2, "drop": 1},
        "reproduce": {"1": "dynviz check ..."}, "sessions": {},
        "failures": [{"seed": 1, "lost": 3, "lost_values": ["c1-1"], "converged": False, "unconverged_keys": ["k1"],
                      "violations": ["hint at 1 ms: ...", "drop at 2 ms: ..."], "broken": ["a", "b"]}],
    }
    assert findings(summary) == {"lost": 3, "unconverged": 2, "invariants": 5, "violations.hint": 2,
                                 "violations.drop": 1, "broken": 2}
    clean = {"seeds": 2, "ops": 10, "failed_ops": 1, "acked": 5, "lost": 0, "phantoms": 0, "converged": 2,
             "failing_seeds": [], "failures": [], "reproduce": {}, "sessions": {}, "invariant_violations": 0,
             "violations": {"quorum": 0, "hint": 0}, "superseded": 0}
    assert findings(clean) == {}


def test_the_exit_code_decides_and_a_crash_is_marked() -> None:
    reported = judge_campaign(Run(1, '{"seeds": 2, "converged": 2, "lost": 1, "failing_seeds": [3]}\n', "", 1.0))
    assert (reported.status, reported.caught, reported.failing_seeds) == ("reported", True, 1)
    passed = judge_campaign(Run(0, '{"seeds": 2, "converged": 2, "lost": 0, "failing_seeds": []}\n', "", 1.0))
    assert (passed.status, passed.caught) == ("passed", False)
    crashed = judge_campaign(Run(1, "", "Traceback (most recent call last):\n  ...\nKeyError: 'x'\n", 1.0))
    assert (crashed.status, crashed.caught) == ("crashed", True)
    assert "KeyError" in crashed.detail
    timeout = judge_campaign(Run(None, "", "", 60.0))
    assert (timeout.status, timeout.caught) == ("timeout", False)
