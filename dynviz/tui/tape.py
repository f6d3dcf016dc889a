"""A bounded recording of the cluster's events for the views (log, messages, gossip).

The app subscribes one ``EventTape`` to the cluster's bus. Each kind of event the
views need is kept in a ring buffer of its own (so a flood of message events cannot
push narration or faults out), with a version counter that views compare to skip
work when nothing changed. Limits are the user's to set (``--history``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import cast

from dynviz.events import (
    ClientAnswered,
    Event,
    Learned,
    MessageDelivered,
    MessageDropped,
    MessageSent,
    VersionCreated,
)

DEFAULT_LIMIT = 20_000


class EventTape:
    __slots__ = ("log", "messages", "versions", "learned", "version", "limit", "counts")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.log: deque[Event] = deque(maxlen=limit)  # everything but raw message traffic
        self.messages: deque[Event] = deque(maxlen=limit)  # sent/delivered/dropped
        self.versions: deque[VersionCreated] = deque(maxlen=limit)
        self.learned: deque[Learned] = deque(maxlen=limit)
        self.version = 0
        self.counts: dict[str, int] = {}

    def __call__(self, event: Event) -> None:
        self.version += 1
        kind = event.kind
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if isinstance(event, (MessageSent, MessageDelivered, MessageDropped)):
            self.messages.append(event)
            if isinstance(event, MessageDropped):
                self.log.append(event)
            return
        if isinstance(event, ClientAnswered):
            return  # the metrics' (RequestDone already logs how a request ended)
        self.log.append(event)
        if isinstance(event, VersionCreated):
            self.versions.append(event)
        elif isinstance(event, Learned):
            self.learned.append(event)

    def clear(self) -> None:
        for buffer in (self.log, self.messages, self.versions, self.learned):
            buffer.clear()
        self.version += 1

    def save(self) -> tuple[tuple[Event, ...], ...]:
        """What the tape holds now, to :meth:`load` back (a lesson's Back)."""
        return tuple(tuple(b) for b in (self.log, self.messages, self.versions, self.learned))

    def load(self, saved: tuple[tuple[Event, ...], ...]) -> None:
        log, messages, versions, learned = saved  # as save() wrote them: one tuple per buffer, in order
        self.log.clear()
        self.log.extend(log)
        self.messages.clear()
        self.messages.extend(messages)
        self.versions.clear()
        self.versions.extend(cast("tuple[VersionCreated, ...]", versions))
        self.learned.clear()
        self.learned.extend(cast("tuple[Learned, ...]", learned))
        self.version += 1

    def recent(self, kinds: set[str] | None = None) -> Iterator[Event]:
        for event in self.log:
            if kinds is None or event.kind in kinds:
                yield event
