"""English counts: the noun agrees with the number ("1 partition", "2 partitions")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynviz.wording import noun, plural


@pytest.mark.parametrize(("count", "expected"), [(0, "0 partitions"), (1, "1 partition"), (2, "2 partitions"),
                                                  (-1, "-1 partition"), (1.5, "1.5 partitions")])
def test_regular_plurals(count: float, expected: str) -> None:
    assert plural(count, "partition") == expected  # type: ignore[arg-type]


def test_irregular_plurals_are_given_and_numbers_can_be_formatted() -> None:
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"
    assert plural(1024, "node", spec=",") == "1,024 nodes"
    assert noun(1, "leaf", "leaves") == "leaf" and noun(0, "leaf", "leaves") == "leaves"


@given(st.integers(-10**6, 10**6), st.from_regex(r"[a-z]{1,10}", fullmatch=True))
def test_singular_exactly_for_one(count: int, word: str) -> None:
    text = plural(count, word)
    number, shown = text.split(" ")
    assert int(number) == count
    assert shown == (word if abs(count) == 1 else word + "s")


def _no_one_plurals(text: str) -> None:
    """No "1 partitions": a 1 followed by a word this project pluralises."""
    found = re.findall(r"(?<![\d.,/])\b1 (partitions|replicas|waits|expects|commands|events|nodes|vnodes|items|"
                       r"tables|records|keys|siblings|hints|phantoms|ops|leaves|hashes|bytes|entries|reads|"
                       r"writes|updates|stretches|acks|replies|primaries|steps|seeds|members)\b", text)
    assert not found, text


def test_texts_that_count_say_one_thing_in_the_singular() -> None:
    from dynviz.events import TransferProgress, VersionStored
    from dynviz.node.antientropy import AntiEntropyExchange
    from dynviz.node.quorum import Tally

    texts = [VersionStored(0, "n1", b"k", 1, "put").describe(),
             TransferProgress(0, "join n9", "n1", "n9", 1, 1, 1).describe(),
             AntiEntropyExchange(0, "n1", "n2", 3, hashes_compared=1, path=((0, 0),), leaves=(4,),
                                 keys_sent_by_a=(b"k",), bytes_moved=1).describe()]
    tally = Tally(1, needed_primaries=1)
    tally.add_ok("n1", primary=True)
    texts.append(tally.describe())
    for text in texts:
        _no_one_plurals(text)
    assert "1 key exchanged" in texts[2] and "1 leaf differs" in texts[2] and "(1/1 primary)" in texts[3]
