"""The app's journal: commands the user ran and what came of them.

The event log shows these between the cluster's events. They live in the app, not in
the log widget, so a relayout (narrow to wide) that rebuilds the widgets loses nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from dynviz.events import Event


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of the log. ``rank`` orders lines at the same virtual time: the typed
    command (0) before the events it caused (1) before its result (2)."""

    time: int
    kind: str
    text: str
    key: bytes | None = None
    rank: int = 1

    @classmethod
    def of_event(cls, event: Event) -> LogLine:
        key = getattr(event, "key", None)
        return cls(event.time, event.kind, event.describe(), key if isinstance(key, bytes) else None, 1)


class Journal:
    """Append-only lines with a running count, so readers can ask for what is new."""

    __slots__ = ("lines", "count", "epoch")

    def __init__(self, limit: int = 2000) -> None:
        self.lines: deque[LogLine] = deque(maxlen=limit)
        self.count = 0
        self.epoch = 0  # bumped by clear(): readers start over

    def clear(self) -> None:
        """Forget every line (a replay went back in time); readers see ``epoch`` change."""
        self.lines.clear()
        self.epoch += 1

    def save(self) -> tuple[LogLine, ...]:
        return tuple(self.lines)

    def load(self, saved: tuple[LogLine, ...]) -> None:
        """Start over with ``saved`` (readers see ``epoch`` change and re-read it all)."""
        self.clear()
        self.lines.extend(saved)
        self.count += len(saved)

    def add(self, time: int, kind: str, text: str, key: bytes | None = None, rank: int = 2) -> None:
        for part in text.splitlines() or [""]:
            self.lines.append(LogLine(time, kind, part, key, rank))
            self.count += 1

    def since(self, seen: int) -> list[LogLine]:
        new = self.count - seen
        if new <= 0:
            return []
        new = min(new, len(self.lines))
        return list(self.lines)[-new:]
