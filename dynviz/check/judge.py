"""The checker's judge: what the clients saw in, a verdict out (DESIGN §7).

A pure function over a history, in the style of Jepsen's checkers: it never touches a
cluster, so the simulator's checker and the TCP tests (``tests/net``) judge with the
same rules.

What the checker knows
    Only what clients saw. A write records, at submission, what its context observed:
    the sibling values of the get it was made over, and the *dots* of the tombstones
    that get returned (a tombstone has no value; its dot names the delete that made
    it — the checker learns each delete's dot from the coordinator that created it).
    A blind write observed nothing. Every value written is unique.

The rules
    * Observed-by edges: ``v -> w`` when write ``w`` observed ``v`` (``v`` a value, or a
      delete whose tombstone ``w``'s get returned).
    * A write is *present* when its value is in the key's final read, or, for a delete,
      when its tombstone is among the final read's siblings.
    * An acknowledged put ``v`` is **lost** unless some write reachable from ``v`` along
      observed-by edges (``v`` itself included) is present: a later write that saw ``v``
      superseded it on purpose, and a delete that saw it removed it on purpose, as long
      as that later write or delete (or one that saw it, transitively) survived.
      Writes that were never acknowledged may be present or not; they still count as
      observers (a failed put can have been stored and seen).
    * A **phantom** is a value in any read (the final reads included) that no client
      ever tried to write to that key.
    * A **superseded** sibling is a value in the final read that another write in the
      same final read observed, directly or through writes it observed: that write
      was made over a context that covered it (a context covers what the versions it
      was made from covered), so merging the two must have discarded it (a clock or
      dot rule that keeps both shows here; acknowledged or not, a present write was
      stored).

(Whether the replicas converged is not a question about what clients saw: the run
answers it, :mod:`dynviz.check.scenario`.)

In ``dvv`` mode with sibling resolution nothing may be lost. ``lww`` drops concurrent
writes (and later ones, under skew), and ``vclock`` loses one of two writes made over
the same context through the same coordinator (they get equal clocks): the checker
reports both, which is how it proves it can see loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dynviz.core.versions import Dot, Siblings

Item = bytes | tuple[str, int]
"""What a write observed: a sibling value, or the dot of a tombstone sibling."""


def items(siblings: Siblings | None) -> tuple[Item, ...]:
    """What a sibling set shows a client: each sibling's value, or a tombstone's dot."""
    if siblings is None:
        return ()
    return tuple(v.value if v.value is not None else v.dot for v in siblings.versions)


@dataclass(frozen=True, slots=True)
class Write:
    """One attempted put (``value`` set) or delete (``value`` None) of ``key``."""

    key: bytes
    value: bytes | None
    observed: tuple[Item, ...] = ()
    acked: bool = False
    dot: Dot | None = None  # a delete's tombstone dot, when the coordinator made one


@dataclass(frozen=True, slots=True)
class Verdict:
    lost_values: tuple[bytes, ...]
    phantom_values: tuple[bytes, ...]
    superseded_values: tuple[bytes, ...] = ()


def judge(writes: Sequence[Write], final: Mapping[bytes, Sequence[Item]],
          reads: Mapping[bytes, Iterable[bytes]] | None = None) -> Verdict:
    """Apply the rules of the module docstring to a history.

    ``final`` maps each key to its final read: sibling values (bytes) and tombstone dots
    (``(actor, counter)``). ``reads`` maps keys to every value any read returned (for
    phantoms; the final read is always included).
    """
    by_key: dict[bytes, list[int]] = {}
    for i, w in enumerate(writes):
        by_key.setdefault(w.key, []).append(i)
    lost: list[bytes] = []
    phantoms: list[bytes] = []
    superseded: list[bytes] = []
    keys = sorted(set(by_key) | set(final) | set(reads or ()))
    for key in keys:
        ids = by_key.get(key, [])
        by_value: dict[bytes, int] = {}
        by_dot: dict[Dot, list[int]] = {}
        for i in ids:
            w = writes[i]
            if w.value is not None:
                by_value[w.value] = i
            elif w.dot is not None:
                by_dot.setdefault(w.dot, []).append(i)
        # Reverse observed-by edges: observer -> the writes it observed.
        observed_by_writer: dict[int, list[int]] = {}
        for i in ids:
            observed_by_writer[i] = _writes_of(writes[i].observed, by_value, by_dot)
        state = final.get(key, ())
        present = _writes_of(state, by_value, by_dot)
        for p in present:
            below = _reachable(p, observed_by_writer)
            for j in present:
                value = writes[j].value
                if j != p and j in below and value is not None and value not in superseded:
                    superseded.append(value)
        safe = set(present)
        stack = list(present)
        while stack:
            for j in observed_by_writer.get(stack.pop(), ()):
                if j not in safe:
                    safe.add(j)
                    stack.append(j)
        for i in ids:
            w = writes[i]
            if w.acked and w.value is not None and i not in safe:
                lost.append(w.value)
        seen = {v for v in state if isinstance(v, bytes)}
        if reads is not None:
            seen.update(reads.get(key, ()))
        phantoms.extend(v for v in sorted(seen) if v not in by_value)
    return Verdict(tuple(lost), tuple(phantoms), tuple(superseded))


def superseded_in(writes: Sequence[Write], shown: Mapping[bytes, Iterable[Sequence[Item]]]) -> tuple[bytes, ...]:
    """The superseded rule (module docstring) over many reads: ``shown`` maps a key to
    what each of its reads returned. A value that a write observed never comes back
    beside that write in one answer, final or not."""
    found: list[bytes] = []
    for key, answers in shown.items():
        kept = [w for w in writes if w.key == key]
        for answer in answers:
            for value in judge(kept, {key: answer}).superseded_values:
                if value not in found:
                    found.append(value)
    return tuple(found)


def _reachable(start: int, observed_by_writer: Mapping[int, list[int]]) -> set[int]:
    """Every write ``start`` observed, directly or through writes it observed."""
    found: set[int] = set()
    stack = list(observed_by_writer.get(start, ()))
    while stack:
        j = stack.pop()
        if j not in found:
            found.add(j)
            stack.extend(observed_by_writer.get(j, ()))
    return found


def _writes_of(shown: Iterable[Item], by_value: Mapping[bytes, int], by_dot: Mapping[Dot, list[int]]) -> list[int]:
    """The writes a read's items name: the put of each value, the deletes of each dot
    (a value nobody wrote names none: it is a phantom, judged apart)."""
    found: list[int] = []
    for item in shown:
        if isinstance(item, bytes):
            j = by_value.get(item)
            if j is not None:
                found.append(j)
        else:
            found.extend(by_dot.get(item, ()))
    return found
