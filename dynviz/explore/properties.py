"""The properties a teacher adds to a scenario: ``always P``, ``sometimes P``,
``eventually P`` (issue 17), in the lesson predicate language plus a few words about
what the clients saw.

* ``always P``: P holds in every state the search reaches (a safety property; the
  shortest path to a state where it fails is the counterexample).
* ``sometimes P``: P holds in at least one reachable state (the shortest path to one is
  kept as an example; it is violated when the search ends without finding one, and the
  report says whether the search was complete).
* ``eventually P``: P holds once the faults are over and the cluster has quiesced: at
  every end state (nothing left to deliver) the explorer heals, recovers, lets the
  cluster settle as ``dynviz check``'s ending does, and then tests P.

P is built from atoms with ``not``, ``and``, ``or`` and ``implies`` (weakest first:
``implies``, then ``or``, ``and``, ``not``). An atom is

* any state predicate of the lesson language (``hints <= 1``, ``n2 is down``,
  ``siblings cart >= 2``, ``quiet`` ...; see :mod:`dynviz.session.predicates`) or its
  ``inspect KEY on NODE has|lacks VALUE`` check (no request is made);
* ``acked VALUE``: a put of VALUE has been acknowledged to its client;
* ``CLIENT read VALUE``: CLIENT's latest answered get returned VALUE among its siblings;
* ``CLIENT read``: a get of CLIENT's has been answered successfully;
* ``CLIENT done``: every operation of CLIENT's has been answered (ok or not).

So "can Bob's read ever miss Alice's acknowledged write?" is
``always acked lamp and bob read implies bob read lamp`` (the read must start after the
ack for that to be a fair question: give one client the write and then the read, as
``sessions/explore/handoff-substitute-crash-w1.dyn`` does, or read the counterexample). Predicates about events (``hint stored``, ``read repair`` ...) are
about a path, not a state, and are refused here with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.session.predicates import Context, Word, parse_check, parse_predicate, tokenize

KINDS = ("always", "sometimes", "eventually")
_EVENT_WORDS = ("hint stored", "hint delivered", "ring change", "read repair", "antientropy exchanged")


class Observed(Protocol):
    """What a property may look at in one state."""

    @property
    def cluster(self) -> Cluster: ...

    def acked(self, value: bytes) -> bool: ...

    def last_read(self, client: str) -> tuple[bytes, ...] | None: ...

    def finished(self, client: str) -> bool: ...


Test = Callable[[Observed], bool]


@dataclass(frozen=True, slots=True)
class Property:
    kind: str  # always, sometimes, eventually
    text: str  # the predicate, as written
    line: int
    test: Test
    names: tuple[str, ...] = ()  # clients and values it names (symmetry must keep them apart)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.text}"


def parse_property(line_text: str, line: int) -> Property:
    kind, _, rest = line_text.strip().partition(" ")
    rest = rest.strip()
    if kind not in KINDS:
        raise c.CommandError(line, 1, f"a property starts with {', '.join(KINDS)}")
    if not rest:
        raise c.CommandError(line, len(kind) + 1, f"{kind} needs a predicate after it")
    column = line_text.index(rest) + 1
    words = tokenize(rest, line, column)
    names: list[str] = []
    test = _implies(words, line, names)
    return Property(kind, rest, line, test, tuple(names))


def _split(words: list[Word], keyword: str) -> list[list[Word]]:
    parts: list[list[Word]] = [[]]
    for word in words:
        if word.text == keyword and not word.quoted:
            parts.append([])
        else:
            parts[-1].append(word)
    return parts


def _nonempty(parts: list[list[Word]], keyword: str, line: int) -> None:
    for part in parts:
        if not part:
            raise c.CommandError(line, 1, f"'{keyword}' needs a predicate on each side")


def _implies(words: list[Word], line: int, names: list[str]) -> Test:
    parts = _split(words, "implies")
    if len(parts) > 2:
        raise c.CommandError(line, parts[2][0].column if parts[2] else 1, "one 'implies' per property")
    _nonempty(parts, "implies", line)
    if len(parts) == 1:
        return _or(parts[0], line, names)
    premise, conclusion = _or(parts[0], line, names), _or(parts[1], line, names)
    return lambda world: not premise(world) or conclusion(world)


def _or(words: list[Word], line: int, names: list[str]) -> Test:
    parts = _split(words, "or")
    _nonempty(parts, "or", line)
    tests = [_and(part, line, names) for part in parts]
    return tests[0] if len(tests) == 1 else (lambda world: any(t(world) for t in tests))


def _and(words: list[Word], line: int, names: list[str]) -> Test:
    parts = _split(words, "and")
    _nonempty(parts, "and", line)
    tests = [_not(part, line, names) for part in parts]
    return tests[0] if len(tests) == 1 else (lambda world: all(t(world) for t in tests))


def _not(words: list[Word], line: int, names: list[str]) -> Test:
    if words[0].text == "not" and not words[0].quoted:
        if len(words) == 1:
            raise c.CommandError(line, words[0].column, "'not' needs a predicate after it")
        inner = _not(words[1:], line, names)
        return lambda world: not inner(world)
    return _atom(words, line, names)


def _atom(words: list[Word], line: int, names: list[str]) -> Test:
    texts = [w.text for w in words]
    column = words[0].column
    if texts[0] == "acked" and len(texts) == 2:
        value = texts[1].encode()
        names.append(texts[1])
        return lambda world: world.acked(value)
    if len(texts) == 3 and texts[1] == "read":
        client, value = texts[0], texts[2].encode()
        names.extend((client, texts[2]))
        return lambda world: value in (world.last_read(client) or ())
    if len(texts) == 2 and texts[1] == "read":
        client = texts[0]
        names.append(client)
        return lambda world: world.last_read(client) is not None
    if len(texts) == 2 and texts[1] == "done":
        client = texts[0]
        names.append(client)
        return lambda world: world.finished(client)
    text = " ".join(f'"{w.text}"' if w.quoted else w.text for w in words)
    for phrase in _EVENT_WORDS:
        if text.startswith(phrase):
            raise c.CommandError(line, column, f"{phrase!r} is about events on a path, not about a state; "
                                 "explore properties test states (try 'hints OP N', 'inspect KEY on NODE has V')")
    if texts[0] == "inspect":
        check = parse_check(text, line, column)
        names.extend(texts[1:])
        return lambda world: check(Context(world.cluster)).ok
    if texts[0] in ("get", "as", "table"):
        raise c.CommandError(line, column, "a property cannot make a request (it would change the state it "
                             "tests); use 'CLIENT read VALUE' about a client's own get, or 'inspect'")
    predicate = parse_predicate(text, line, column)
    names.extend(texts)
    return lambda world: predicate.holds(Context(world.cluster))
