"""The quorum tally decides alone whether a request has enough answers."""

from dynviz.node.quorum import Tally


def test_enough_counts_any_replica() -> None:
    tally = Tally(2)
    tally.add_ok("a", primary=True)
    assert not tally.enough()
    tally.add_ok("x", primary=False)
    assert tally.enough()


def test_duplicates_do_not_count_twice() -> None:
    tally = Tally(2)
    tally.add_ok("a", primary=True)
    tally.add_ok("a", primary=True)
    assert not tally.enough()


def test_pw_counts_primaries_only() -> None:
    tally = Tally(2, needed_primaries=2)
    tally.add_ok("a", primary=True)
    tally.add_ok("x", primary=False)
    assert not tally.enough()
    tally.add_ok("b", primary=True)
    assert tally.enough()
    assert tally.describe() == "3/2 (2/2 primaries)"
