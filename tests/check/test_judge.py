"""The judge's rules, over hand-built histories: a pure function, so plain asserts."""

from __future__ import annotations

from dynviz.check.judge import Write, items, judge
from dynviz.core.versions import EMPTY_CONTEXT, Siblings, VClock, Version

K = b"k"


def test_a_write_seen_by_a_surviving_write_is_not_lost() -> None:
    writes = [Write(K, b"v1", (), acked=True), Write(K, b"v2", (b"v1",), acked=True)]
    verdict = judge(writes, {K: (b"v2",)})
    assert verdict.lost_values == ()
    assert verdict.phantom_values == ()


def test_an_empty_final_read_with_no_delete_loses_every_acked_write() -> None:
    writes = [Write(K, b"v1", (), acked=True), Write(K, b"v2", (b"v1",), acked=True)]
    assert judge(writes, {K: ()}).lost_values == (b"v1", b"v2")


def test_coverage_is_transitive_and_unacked_writes_count_as_observers() -> None:
    writes = [
        Write(K, b"v1", (), acked=True),
        Write(K, b"v2", (b"v1",), acked=False),  # failed, but stored and seen
        Write(K, b"v3", (b"v2",), acked=True),
    ]
    assert judge(writes, {K: (b"v3",)}).lost_values == ()


def test_a_concurrent_write_missing_from_the_final_read_is_lost() -> None:
    writes = [
        Write(K, b"v1", (), acked=True),
        Write(K, b"a", (b"v1",), acked=True),
        Write(K, b"b", (b"v1",), acked=True),  # same context as a: a sibling
    ]
    assert judge(writes, {K: (b"a",)}).lost_values == (b"b",)
    assert judge(writes, {K: (b"a", b"b")}).lost_values == ()


def test_a_delete_covers_what_it_saw_while_its_tombstone_or_an_observer_survives() -> None:
    tomb = ("n1", 4)
    writes = [
        Write(K, b"v1", (), acked=True),
        Write(K, None, (b"v1",), acked=True, dot=tomb),
        Write(K, b"v2", (tomb,), acked=True),  # read the tombstone, wrote over it
    ]
    assert judge(writes[:2], {K: (tomb,)}).lost_values == ()
    assert judge(writes, {K: (b"v2",)}).lost_values == ()
    # v2 was written over the tombstone, so a final state of just the tombstone lost it.
    assert judge(writes, {K: (tomb,)}).lost_values == (b"v2",)
    # Neither the tombstone nor anything that saw it survived: v1 and v2 are lost.
    assert judge(writes, {K: ()}).lost_values == (b"v1", b"v2")


def test_a_value_nobody_wrote_is_a_phantom() -> None:
    writes = [Write(K, b"v1", (), acked=True)]
    verdict = judge(writes, {K: (b"v1", b"ghost")}, {K: {b"v1", b"boo"}})
    assert verdict.phantom_values == (b"boo", b"ghost")
    # A value written to another key is a phantom here too.
    assert judge([Write(b"other", b"x", (), acked=True)], {K: (b"x",)}).phantom_values == (b"x",)


def test_an_unacknowledged_write_is_never_lost_and_keys_are_judged_apart() -> None:
    writes = [Write(K, b"v1", (), acked=False), Write(b"j", b"w1", (), acked=True)]
    assert judge(writes, {K: (), b"j": (b"w1",)}).lost_values == ()
    # The same value name on another key does not cover this key's write.
    assert judge(writes, {K: (b"w1",), b"j": ()}).lost_values == (b"w1",)


def test_a_delete_without_a_dot_covers_nothing() -> None:
    # A delete whose coordinator made no tombstone (it failed early) cannot be present.
    writes = [Write(K, b"v1", (), acked=True), Write(K, None, (b"v1",), acked=False)]
    assert judge(writes, {K: (("n1", 1),)}).lost_values == (b"v1",)


def test_items_are_values_and_tombstone_dots_in_sibling_order() -> None:
    live = Version(b"v", ("n1", 1), EMPTY_CONTEXT, VClock(), 0)
    tomb = Version(None, ("n2", 3), EMPTY_CONTEXT, VClock(), 0)
    assert items(Siblings((live, tomb))) == (b"v", ("n2", 3))
    assert items(None) == ()
    assert items(Siblings()) == ()


def test_a_returned_sibling_that_another_returned_sibling_observed_is_superseded() -> None:
    writes = [Write(b"k", b"a", acked=True), Write(b"k", b"b", (b"a",), acked=True),
              Write(b"k", b"c", acked=False)]
    # b was written over a context that saw a: both coming back means a merge kept a
    # version it should have discarded (a clock or dot rule off by one).
    assert judge(writes, {b"k": [b"a", b"b"]}).superseded_values == (b"a",)
    assert judge(writes, {b"k": [b"b", b"c"]}).superseded_values == ()
    # Unacknowledged but present: it was stored, and its context still covered a.
    writes[1] = Write(b"k", b"b", (b"a",), acked=False)
    assert judge(writes, {b"k": [b"b", b"a"]}).superseded_values == (b"a",)


def test_superseding_is_transitive() -> None:
    # c was written over b, which was written over a: a coming back beside c is wrong
    # even though c's own client never saw a (a context covers what its versions did).
    writes = [Write(b"k", b"a", acked=True), Write(b"k", b"b", (b"a",), acked=True),
              Write(b"k", b"c", (b"b",), acked=True)]
    assert judge(writes, {b"k": [b"a", b"c"]}).superseded_values == (b"a",)
