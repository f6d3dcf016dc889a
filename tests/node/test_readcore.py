"""The pure read core (after riak_kv_get_core): answers in, decisions out, plain asserts.
No node, no runtime, no message: what the coordinators only sequence."""

from __future__ import annotations

from dynviz.core.versions import DvvVersioning, Siblings, merge_lww
from dynviz.node.quorum import Tally
from dynviz.node.readcore import ReadCore, Repair

V = DvvVersioning()


def write(value: str, actor: str = "a", over: Siblings = Siblings.EMPTY, time: int = 1) -> Siblings:
    """A sibling set as a replica would hold it after ``value`` was written over ``over``."""
    version = V.new_version(over, V.context_of(over), value.encode(), actor, time, 0)
    return V.merge(over, Siblings((version,)))


def test_a_get_answers_at_r_with_every_reply_merged_and_the_fastest_replier() -> None:
    old = write("old")
    new = write("new", over=old)
    core = ReadCore(Tally(2), V.merge, key=b"k")
    assert core.add_result("n1", ((b"k", old),), False, primary=True)
    assert not core.enough()
    assert core.add_result("n2", ((b"k", new),), False, primary=True)
    assert core.enough()
    entries, more = core.response()
    assert entries == ((b"k", new),) and not more
    assert core.first == "n1" and core.merged(b"k") == new


def test_a_second_answer_from_the_same_replica_is_not_counted() -> None:
    core = ReadCore(Tally(2), V.merge, key=b"k")
    assert core.add_result("n1", (), False, primary=True)
    assert not core.add_result("n1", (), False, primary=True)
    assert core.tally.ok == ["n1"] and not core.enough()


def test_primaries_only_count_toward_pr() -> None:
    core = ReadCore(Tally(2, 2), V.merge, key=b"k")
    core.add_result("n1", (), False, primary=True)
    core.add_result("n7", (), False, primary=False)  # a stand-in
    assert not core.enough()
    assert core.tally.describe() == "2/2 (1/2 primaries)"


def test_read_repair_fixes_stale_and_missing_replicas_in_the_order_they_answered() -> None:
    old = write("old")
    new = write("new", over=old)
    core = ReadCore(Tally(2), V.merge, key=b"k")
    core.add_result("n3", ((b"k", new),), False, True)
    core.add_result("n1", ((b"k", old),), False, True)
    core.add_result("n2", (), False, True)  # not found
    core.response()
    assert core.final_action() == [Repair("n1", b"k", new), Repair("n2", b"k", new)]


def test_a_get_not_found_at_the_answer_is_still_repaired_from_a_later_reply() -> None:
    value = write("v")
    core = ReadCore(Tally(1), V.merge, key=b"k")
    core.add_result("n1", (), False, True)
    entries, _ = core.response()
    assert entries == ()  # not found, as far as R=1 knew
    core.add_result("n2", ((b"k", value),), False, True)  # a late reply, in the repair window
    assert core.final_action() == [Repair("n1", b"k", value)]


def test_replicas_that_agree_need_no_repair() -> None:
    value = write("v")
    core = ReadCore(Tally(2), V.merge, key=b"k")
    core.add_result("n1", ((b"k", value),), False, True)
    core.add_result("n2", ((b"k", value),), False, True)
    core.response()
    assert core.final_action() == []


def test_concurrent_writes_come_back_as_siblings() -> None:
    a, b = write("milk", "a"), write("eggs", "b")
    core = ReadCore(Tally(2), V.merge, key=b"k")
    core.add_result("n1", ((b"k", a),), False, True)
    core.add_result("n2", ((b"k", b),), False, True)
    merged = core.merged(b"k")
    assert sorted(v.value for v in merged.versions) == [b"eggs", b"milk"]


def test_last_write_wins_merges_to_the_newest() -> None:
    early, late = write("early", time=1), write("late", "b", time=9)
    core = ReadCore(Tally(2), merge_lww, key=b"k")
    core.add_result("n1", ((b"k", early),), False, True)
    core.add_result("n2", ((b"k", late),), False, True)
    assert [v.value for v in core.merged(b"k").versions] == [b"late"]


def test_a_range_answers_the_first_limit_keys_of_the_union_and_says_more() -> None:
    v = write("v")
    core = ReadCore(Tally(2), V.merge, limit=2)
    core.add_result("n1", ((b"a", v), (b"c", v)), True, True)  # stopped at its limit after c
    core.add_result("n2", ((b"b", v), (b"d", v)), True, True)
    entries, more = core.response()
    assert [k for k, _ in entries] == [b"a", b"b"] and more


def test_a_range_repairs_only_inside_what_each_replica_covered() -> None:
    v = write("v")
    core = ReadCore(Tally(2), V.merge, limit=3)
    core.add_result("n1", ((b"a", v),), True, True)  # covered up to a only (limit hit there)
    core.add_result("n2", ((b"a", v), (b"b", v), (b"c", v)), False, True)
    core.response()
    # n1 said nothing about b or c: repairing them there would be a guess
    assert core.final_action() == []


def test_a_reverse_range_orders_and_covers_backwards() -> None:
    v = write("v")
    core = ReadCore(Tally(2), V.merge, limit=2, reverse=True)
    core.add_result("n1", ((b"d", v), (b"c", v)), True, True)
    core.add_result("n2", ((b"d", v),), False, True)
    entries, _ = core.response()
    assert [k for k, _ in entries] == [b"d", b"c"]
    assert core.final_action() == [Repair("n2", b"c", v)]
