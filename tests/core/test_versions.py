"""Promises of dynviz.core.versions: clock laws, reconciliation laws, paper Figure 3."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.core.versions import (
    EMPTY_CONTEXT,
    CausalContext,
    DvvVersioning,
    Order,
    Siblings,
    VClock,
    VClockVersioning,
    Version,
    decode_siblings,
    encode_siblings,
    resolve_lww,
    versioning,
)

ACTORS = ["a", "b", "c", "d"]

# ------------------------------------------------------------------ strategies

vclocks = st.dictionaries(
    st.sampled_from(ACTORS),
    st.tuples(st.integers(1, 5), st.integers(0, 3)),
    max_size=len(ACTORS),
).map(lambda d: VClock(tuple(sorted((a, c, t) for a, (c, t) in d.items()))))

contexts = st.builds(
    CausalContext.of,
    st.dictionaries(st.sampled_from(ACTORS), st.integers(0, 4)),
    st.lists(st.tuples(st.sampled_from(ACTORS), st.integers(1, 8)), max_size=6),
)


@st.composite
def histories(draw, vs):
    """Sibling sets reached by random puts and merges on a few replicas.

    Each replica coordinates with its own actor (as nodes do); clients write over
    the context of some replica's state at some point (possibly stale, possibly
    joined with another read), so every context is a real causal history."""
    n = 3
    states = [Siblings() for _ in range(n)]
    seen_contexts = [EMPTY_CONTEXT]
    snapshots = [Siblings()]
    t = 0
    for _ in range(draw(st.integers(1, 14))):
        i = draw(st.integers(0, n - 1))
        if draw(st.booleans()):
            j = draw(st.integers(0, n - 1))
            states[i] = vs.merge(states[i], states[j])
        else:
            ctx = draw(st.sampled_from(seen_contexts))
            if draw(st.booleans()):
                ctx = ctx.join(vs.context_of(states[draw(st.integers(0, n - 1))]))
            t += draw(st.integers(0, 2))
            value = draw(st.one_of(st.none(), st.binary(max_size=2)))
            v = vs.new_version(states[i], ctx, value, f"n{i}", t)
            states[i] = vs.merge(states[i], Siblings((v,)))
        seen_contexts.append(vs.context_of(states[i]))
        snapshots.append(states[i])
    return snapshots


MODES = [DvvVersioning(), VClockVersioning(), VClockVersioning(prune_threshold=2)]


def _three(data, vs):
    snaps = data.draw(histories(vs))
    return [data.draw(st.sampled_from(snaps)) for _ in range(3)]


# ---------------------------------------------------------------------- VClock


@given(vclocks, vclocks)
def test_vclock_merge_commutative(a, b):
    assert a.merge(b) == b.merge(a)


@given(vclocks, vclocks, vclocks)
def test_vclock_merge_associative(a, b, c):
    assert a.merge(b).merge(c) == a.merge(b.merge(c))


@given(vclocks)
def test_vclock_merge_idempotent(a):
    assert a.merge(a) == a


@given(vclocks, vclocks)
def test_vclock_merge_is_upper_bound(a, b):
    m = a.merge(b)
    assert m.descends(a) and m.descends(b)


@given(vclocks)
def test_vclock_compare_reflexive(a):
    assert a.compare(a) is Order.EQUAL


@given(vclocks, vclocks)
def test_vclock_compare_antisymmetric(a, b):
    flip = {Order.BEFORE: Order.AFTER, Order.AFTER: Order.BEFORE}
    o = a.compare(b)
    assert b.compare(a) is flip.get(o, o)
    if o is Order.EQUAL:
        assert a.as_dict() == b.as_dict()


@given(vclocks, vclocks, vclocks)
def test_vclock_compare_transitive(a, b, c):
    if a.compare(b) is Order.BEFORE and b.compare(c) is Order.BEFORE:
        assert a.compare(c) is Order.BEFORE


@given(vclocks, vclocks)
def test_vclock_compare_matches_pointwise(a, b):
    da, db = a.as_dict(), b.as_dict()
    ge = all(da.get(k, 0) >= v for k, v in db.items())
    le = all(db.get(k, 0) >= v for k, v in da.items())
    expected = {
        (True, True): Order.EQUAL,
        (True, False): Order.AFTER,
        (False, True): Order.BEFORE,
        (False, False): Order.CONCURRENT,
    }[(ge, le)]
    assert a.compare(b) is expected
    assert a.descends(b) is ge


def test_vclock_basics():
    c = VClock.of({"b": 2, "a": 1, "z": 0}, timestamp=7)
    assert c.entries == (("a", 1, 7), ("b", 2, 7))
    assert c.counter("b") == 2 and c.counter("q") == 0
    assert c.increment("a", 9).entries == (("a", 2, 9), ("b", 2, 7))
    assert c.increment("0", 9).entries[0] == ("0", 1, 9)
    assert c.increment("c", 9).entries[-1] == ("c", 1, 9)
    assert len(c) == 2 and c.as_dict() == {"a": 1, "b": 2}
    # On equal counters merge keeps the later timestamp.
    assert VClock((("a", 1, 3),)).merge(VClock((("a", 1, 5),))).entries == (("a", 1, 5),)


@given(st.dictionaries(st.text(max_size=3), st.integers(0, 100), max_size=12), st.integers(0, 6))
def test_prune_keeps_threshold_and_drops_oldest(stamps, threshold):
    clock = VClock(tuple(sorted((a, 1, t) for a, t in stamps.items())))
    pruned = clock.prune(threshold)
    assert len(pruned) == min(len(clock), threshold)
    kept = set(pruned.entries)
    dropped = set(clock.entries) - kept
    assert kept <= set(clock.entries)
    for d in dropped:
        assert all((d[2], d[0]) < (k[2], k[0]) for k in kept)


def test_prune_example():
    clock = VClock((("a", 1, 5), ("b", 1, 1), ("c", 1, 1), ("d", 1, 9)))
    assert clock.prune(2).as_dict() == {"a": 1, "d": 1}
    assert clock.prune(3).as_dict() == {"a": 1, "c": 1, "d": 1}
    assert clock.prune(10) is clock


# ---------------------------------------------------------------- CausalContext


@given(contexts, contexts)
def test_context_join_commutative(a, b):
    assert a.join(b) == b.join(a)


@given(contexts, contexts, contexts)
def test_context_join_associative(a, b, c):
    assert a.join(b).join(c) == a.join(b.join(c))


@given(contexts)
def test_context_join_idempotent_and_identity(a):
    assert a.join(a) == a
    assert a.join(EMPTY_CONTEXT) == a == EMPTY_CONTEXT.join(a)


@given(contexts, contexts, st.tuples(st.sampled_from(ACTORS), st.integers(1, 10)))
def test_context_join_contains_union(a, b, dot):
    assert a.join(b).contains(dot) == (a.contains(dot) or b.contains(dot))


@given(contexts, st.tuples(st.sampled_from(ACTORS), st.integers(1, 10)))
def test_context_add(a, dot):
    added = a.add(dot)
    assert added.contains(dot)
    assert added == a.join(CausalContext.of({}, [dot]))
    assert added.max_counter(dot[0]) == max(a.max_counter(dot[0]), dot[1])


@given(contexts)
def test_context_is_normalised(c):
    vv = dict(c.vv)
    assert list(c.vv) == sorted(c.vv) and all(n > 0 for n in vv.values())
    assert list(c.dots) == sorted(set(c.dots))
    for a, n in c.dots:
        assert n > vv.get(a, 0) + 1


def test_context_normalisation_folds_contiguous_dots():
    c = CausalContext.of({"a": 3}, [("a", 4), ("a", 5), ("a", 7), ("b", 1), ("b", 3), ("a", 2)])
    assert c.vv == (("a", 5), ("b", 1))
    assert c.dots == (("a", 7), ("b", 3))
    assert c.as_dict() == {"a": 7, "b": 3}
    assert c.max_counter("a") == 7 and c.max_counter("z") == 0
    assert not c.contains(("a", 6)) and c.contains(("a", 7)) and c.contains(("b", 1))
    assert CausalContext.EMPTY.is_empty() and not c.is_empty()


# ------------------------------------------------------------ reconciliation laws


@pytest.mark.parametrize("vs", MODES, ids=repr)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_merge_commutative(vs, data):
    a, b, _ = _three(data, vs)
    assert vs.merge(a, b) == vs.merge(b, a)


@pytest.mark.parametrize("vs", MODES, ids=repr)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_merge_associative(vs, data):
    a, b, c = _three(data, vs)
    assert vs.merge(vs.merge(a, b), c) == vs.merge(a, vs.merge(b, c))


@pytest.mark.parametrize("vs", MODES, ids=repr)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_merge_idempotent(vs, data):
    a, b, _ = _three(data, vs)
    assert vs.merge(a, a) == a
    m = vs.merge(a, b)
    assert vs.merge(m, a) == m == vs.merge(m, b)
    assert vs.merge(a, Siblings()) == a == vs.merge(Siblings(), a)


@pytest.mark.parametrize("vs", MODES, ids=repr)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_merged_siblings_are_mutually_uncovered(vs, data):
    a, b, _ = _three(data, vs)
    m = vs.merge(a, b)
    assert list(m.versions) == sorted(m.versions, key=lambda v: v.dot)
    for v in m:
        assert not any(vs.covers(w, v) for w in m if w is not v)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_dvv_never_loses_a_write(data):
    """Every version in any input is in the merge or covered by one that is."""
    vs = DvvVersioning()
    a, b, _ = _three(data, vs)
    m = vs.merge(a, b)
    for v in (*a, *b):
        assert v in m.versions or any(vs.covers(w, v) for w in m)


# ----------------------------------------------------------- paper, Figure 3


def test_figure_3():
    vs = VClockVersioning()
    d1 = vs.new_version(Siblings(), EMPTY_CONTEXT, b"D1", "Sx", 1)
    assert d1.clock.as_dict() == {"Sx": 1}
    sx = vs.merge(Siblings(), Siblings((d1,)))
    d2 = vs.new_version(sx, vs.context_of(sx), b"D2", "Sx", 2)
    assert d2.clock.as_dict() == {"Sx": 2}
    sx = vs.merge(sx, Siblings((d2,)))
    assert sx.versions == (d2,)  # D1 dropped
    ctx2 = vs.context_of(sx)
    d3 = vs.new_version(Siblings((d2,)), ctx2, b"D3", "Sy", 3)
    d4 = vs.new_version(Siblings((d2,)), ctx2, b"D4", "Sz", 4)
    assert d3.clock.as_dict() == {"Sx": 2, "Sy": 1}
    assert d4.clock.as_dict() == {"Sx": 2, "Sz": 1}
    sy = vs.merge(Siblings((d2,)), Siblings((d3,)))
    sz = vs.merge(Siblings((d2,)), Siblings((d4,)))
    both = vs.merge(sy, sz)
    assert set(both.values()) == {b"D3", b"D4"}  # concurrent: both kept
    assert vs.context_of(both).vv == (("Sx", 2), ("Sy", 1), ("Sz", 1))
    d5 = vs.new_version(sx, vs.context_of(both), b"D5", "Sx", 5)
    assert d5.clock.as_dict() == {"Sx": 3, "Sy": 1, "Sz": 1}
    final = vs.merge(both, Siblings((d5,)))
    assert final.versions == (d5,)


# ------------------------------------------------------- the lost-update lesson


def test_dvv_two_writes_over_one_context_through_one_coordinator_both_survive():
    vs = DvvVersioning()
    base = vs.new_version(Siblings(), EMPTY_CONTEXT, b"v0", "a", 1)
    stored = Siblings((base,))
    ctx = vs.context_of(stored)
    w1 = vs.new_version(stored, ctx, b"x", "a", 2)
    stored = vs.merge(stored, Siblings((w1,)))
    w2 = vs.new_version(stored, ctx, b"y", "a", 3)
    stored = vs.merge(stored, Siblings((w2,)))
    assert w1.dot != w2.dot
    assert sorted(stored.values()) == [b"x", b"y"]
    # A write over the context of both supersedes both.
    w3 = vs.new_version(stored, vs.context_of(stored), b"z", "a", 4)
    assert vs.merge(stored, Siblings((w3,))).values() == [b"z"]


def test_dvv_new_counter_is_past_every_known_counter():
    vs = DvvVersioning()
    stored = Siblings((Version(b"x", ("a", 4), CausalContext.of({"a": 2}), VClock(), 0),))
    assert vs.new_version(stored, CausalContext.of({"a": 6}), b"", "a", 0).dot == ("a", 7)
    assert vs.new_version(stored, EMPTY_CONTEXT, b"", "a", 0).dot == ("a", 5)
    v = vs.new_version(stored, CausalContext.of({"b": 1}), b"", "a", 9)
    assert v.clock.as_dict() == {"a": 5, "b": 1}


def test_vclock_two_writes_over_one_context_through_one_coordinator_lose_one():
    vs = VClockVersioning()
    w1 = vs.new_version(Siblings(), EMPTY_CONTEXT, b"x", "a", 2)
    w2 = vs.new_version(Siblings((w1,)), EMPTY_CONTEXT, b"y", "a", 3)
    assert w1.clock.compare(w2.clock) is Order.EQUAL
    one = vs.merge(Siblings((w1,)), Siblings((w2,)))
    other = vs.merge(Siblings((w2,)), Siblings((w1,)))
    assert len(one) == 1 and one == other
    assert one.values() == [b"y"]  # larger timestamp kept, the other write lost


def test_dvv_non_contiguous_context_does_not_cover_the_gap():
    vs = DvvVersioning()
    saw_5_not_4 = CausalContext.of({"a": 3}, [("a", 5)])
    assert not saw_5_not_4.contains(("a", 4)) and saw_5_not_4.contains(("a", 5))
    v4 = Version(b"four", ("a", 4), CausalContext.of({"a": 3}), VClock(), 1)
    v5 = Version(b"five", ("a", 5), CausalContext.of({"a": 3}), VClock(), 2)
    w = Version(b"w", ("b", 1), saw_5_not_4, VClock(), 3)
    assert vs.covers(w, v5) and not vs.covers(w, v4)
    merged = vs.merge(Siblings((v4, v5)), Siblings((w,)))
    assert sorted(merged.values()) == [b"four", b"w"]


def test_vclock_prune_keeps_coordinator_entry():
    vs = VClockVersioning(prune_threshold=2)
    ctx = CausalContext.of({"b": 1, "c": 1, "d": 1})
    v = vs.new_version(Siblings(), ctx, b"x", "a", 5)
    assert len(v.clock) == 2 and v.clock.counter("a") == 1 and v.dot == ("a", 1)


def test_versioning_by_name():
    assert versioning("dvv").name == "dvv"
    vc = versioning("vclock", prune_threshold=3)
    assert isinstance(vc, VClockVersioning) and vc.prune_threshold == 3
    with pytest.raises(ValueError, match="dvv.*vclock"):
        versioning("lamport")
    with pytest.raises(ValueError):
        VClockVersioning(prune_threshold=0)


def test_siblings_helpers():
    t = Version(None, ("a", 1), EMPTY_CONTEXT, VClock(), 0)
    v = Version(b"x", ("b", 1), EMPTY_CONTEXT, VClock(), 0)
    assert t.is_tombstone and not v.is_tombstone
    s = Siblings((t, v))
    assert s.values() == [None, b"x"] and len(s) == 2 and list(s) == [t, v]
    assert not s.all_tombstones() and Siblings((t,)).all_tombstones()
    assert Siblings().is_empty() and not s.is_empty()


# ------------------------------------------------------------------------- LWW


def test_resolve_lww_picks_max_timestamp_and_loses_the_other():
    vs = DvvVersioning()
    early = vs.new_version(Siblings(), EMPTY_CONTEXT, b"early", "a", 100)
    late = vs.new_version(Siblings(), EMPTY_CONTEXT, b"late", "b", 200)
    both = vs.merge(Siblings((early,)), Siblings((late,)))
    assert len(both) == 2
    assert resolve_lww(both).values() == [b"late"]
    # A skewed clock makes LWW keep the causally older write.
    tie_a = vs.new_version(Siblings(), EMPTY_CONTEXT, b"A", "a", 7)
    tie_b = vs.new_version(Siblings(), EMPTY_CONTEXT, b"B", "b", 7)
    assert resolve_lww(Siblings((tie_a, tie_b))).values() == [b"B"]  # tie: larger dot
    assert resolve_lww(Siblings()) == Siblings()


# -------------------------------------------------------------------- encoding


@pytest.mark.parametrize("vs", MODES, ids=repr)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_encode_decode_round_trip(vs, data):
    s, _, _ = _three(data, vs)
    raw = encode_siblings(s)
    assert decode_siblings(raw) == s
    assert encode_siblings(decode_siblings(raw)) == raw


def test_encode_round_trips_every_byte():
    v = Version(
        bytes(range(256)),
        ("é", 3),
        CausalContext.of({"a": 1}, [("b", 4)]),
        VClock.of({"é": 3}, 5),
        -2,
    )
    assert decode_siblings(encode_siblings(Siblings((v,)))) == Siblings((v,))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe",
        b"null",
        b"[]",
        b'{"f":1}',
        b'{"f":2,"s":[]}',
        b'{"f":true,"s":[]}',
        b'{"f":1,"s":[["a",0,0,null,[],[],[]]]}',
        b'{"f":1,"s":[["a",1,0,"\\u0100",[],[],[]]]}',
        b'{"f":1,"s":[["a",1,0,null,[["b",1],["b",2]],[],[]]]}',
        b'{"f":1,"s":[["a",1,0,null,[],[],[["a",1]]]]}',
        b'{"f":1,"s":[["a",1,0.5,null,[],[],[]]]}',
        b"[" * 100000,
    ],
)
def test_decode_garbage_raises_value_error(raw):
    with pytest.raises(ValueError, match="malformed"):
        decode_siblings(raw)


@given(st.binary())
def test_decode_random_bytes_raises_only_value_error(raw):
    try:
        decode_siblings(raw)
    except ValueError:
        pass
