"""Promises of dynviz.net.eventcodec: every registered event type crosses the admin
feed and comes back as the same dataclass, found by name in the registry alone (no
import needed for its side effect); what cannot be rebuilt is refused, not guessed."""

from __future__ import annotations

import json

import pytest

from dynviz.events import EVENT_TYPES, AntiEntropyExchange, Event
from dynviz.net.eventcodec import decode_event, encode_event, event_json


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_registered_event_type_round_trips(name: str) -> None:
    event = EVENT_TYPES[name](7)
    doc = json.loads(json.dumps(encode_event(3, event)))
    assert doc[2] is not None, f"{name} fell back to text: its fields cannot cross the wire"
    assert decode_event(doc) == (3, event)
    assert type(decode_event(doc)[1]) is EVENT_TYPES[name]  # type: ignore[index]


def test_an_anti_entropy_exchange_keeps_its_trees_and_keys() -> None:
    event = AntiEntropyExchange(5, "n1", "n2", 3, hashes_compared=4, path=((0, 0), (1, 2)), leaves=(2,),
                                keys_sent_by_a=(b"\xff\x00",), tree_a=(((0, 0), "abcd1234"),))
    assert decode_event(json.loads(json.dumps(encode_event(9, event)))) == (9, event)
    plain = event_json(9, event)
    assert plain["type"] == "AntiEntropyExchange" and plain["kind"] == "antientropy"
    assert plain["text"] == event.describe()


def test_what_cannot_be_rebuilt_is_refused() -> None:
    assert decode_event([1, "NoSuchEvent", []]) is None
    assert decode_event([1, "Event", [0]]) is None  # the base class is no event type
    assert decode_event([1, "NodeDown", ["x"]]) is None  # wrong arity
    assert decode_event([1, "NodeDown", ["x", "n1", False]]) is None  # time is not an int
    assert decode_event("junk") is None


def test_an_event_type_nobody_registered_travels_as_text() -> None:
    class Unlisted(Event):
        kind = "other"

        def describe(self) -> str:
            return "something happened"

    doc = encode_event(4, Unlisted(12))
    assert doc == [4, "Unlisted", None, "something happened", "other", 12]
    assert decode_event(doc) is None
