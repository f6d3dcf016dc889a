"""Membership views merge deterministically and derive the same ring from the same entries."""

from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.core.membership import Member, View
from dynviz.core.ring import build_ring, node_names

entries = st.builds(
    Member,
    name=st.sampled_from(["n1", "n2", "n3"]),
    version=st.integers(1, 4),
    generation=st.integers(1, 3),
    heartbeat=st.integers(0, 5),
    status=st.sampled_from(["up", "joining", "leaving"]),
)


@given(a=st.lists(entries, max_size=6), b=st.lists(entries, max_size=6))
@settings(max_examples=200, deadline=None)
def test_merge_order_does_not_matter(a: list[Member], b: list[Member]) -> None:
    one, two = View(), View()
    one.merge(a)
    one.merge(b)
    two.merge(b)
    two.merge(a)
    assert one.digest() == two.digest()
    for name in one.members:
        assert one.members[name].order == two.members[name].order


def test_newer_version_wins_over_heartbeat() -> None:
    view = View([Member("n1", version=1, heartbeat=50)])
    updates = view.merge([Member("n1", version=2, heartbeat=0, status="leaving")])
    assert view.members["n1"].status == "leaving"
    assert updates and updates[0].is_rumour
    assert not view.merge([Member("n1", version=1, heartbeat=99)])


def test_views_with_the_same_tokens_share_a_ring_and_pending_ring_appears() -> None:
    ring = build_ring(node_names(4), "equal")
    members = [Member(n, tokens=ring.tokens_of(n)) for n in ring.nodes]
    one, two = View(members), View(list(members))
    assert one.ring() is two.ring()
    assert one.pending_ring() is None
    moved = members[0].bumped(pending=members[0].tokens[1:])
    one.put(moved)
    assert one.pending_ring() is not None
    assert one.ring().preference_list(b"k", 3) == two.ring().preference_list(b"k", 3)
