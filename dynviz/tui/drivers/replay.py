"""``dynviz replay FILE``: the app on a recorded session, with a timeline.

:class:`ReplayDriver` moves the app's executor with a :class:`~dynviz.session.timeline.
Timeline` instead of the user: each frame plays the session forward (``Timeline.play``,
within the frame's event budget), issuing the recorded commands at their recorded
instants, workload ones included. Space plays and pauses, ``.`` steps one event,
``+``/``-`` change the speed, ``[``/``]`` seek back/forward one second, ``{``/``}`` go to
the previous/next command of the user (typed, key, palette, mouse), ``home``/``end`` to
the start/end, ``g`` (or typing ``seek 12.5s`` / ``seek #42``) anywhere. Seeking back
restores the nearest checkpoint and re-simulates, so the state at a time is the state the
recording had then.

Acting (a typed command, ``k``, the palette...) after seeking back starts a branch
(``Timeline.branch``): the old future is kept as its own branch; ``b`` lists the branches
and switches between them; ``ctrl+s`` saves the current branch as a session file. At the
end of the recording the replay checks its digests against the footer's and shows the
verdict on the timeline. Commands are numbered from 1 (``#1``) everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynviz import commands as c
from dynviz.core.hashing import as_key
from dynviz.core.units import SECOND
from dynviz.events import EventBus
from dynviz.executor import Executor, Outcome
from dynviz.session.recording import Session, SessionError
from dynviz.session.replay import ReplayDiverged
from dynviz.session.timeline import BranchInfo, Timeline
from dynviz.tui.driver import MAX_EVENTS_PER_FRAME
from dynviz.tui.drivers.sim import SimDriver
from dynviz.tui.jobs import LONG_COMMANDS
from dynviz.tui.screens.session import BranchesScreen, SeekScreen
from dynviz.tui.widgets.timeline import TimelineBar
from dynviz.wording import plural

if TYPE_CHECKING:
    from textual.widget import Widget

JOURNAL_BACKLOG = 30
"""Commands shown again in the log after a seek back (the log starts over there)."""

_SEEK = re.compile(r"^\s*(?:#(?P<num>\d+)|(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>us|µs|ms|s|m)?)\s*$")
_UNITS = {"us": 1, "µs": 1, "ms": 1_000, "s": SECOND, "m": 60 * SECOND, None: SECOND}


def parse_seek(text: str) -> tuple[str, int]:
    """``12.5s``/``800ms``/``1m``/``12`` (seconds) -> ("time", µs); ``#42`` -> ("command",
    41), the 0-based index of the 42nd command. ValueError with a message otherwise."""
    m = _SEEK.match(text)
    if m is None:
        raise ValueError(f"cannot seek to {text.strip()!r}: give a time (12.5s, 800ms, 1m) "
                         f"or a command number (#42)")
    if m.group("num") is not None:
        number = int(m.group("num"))
        if number < 1:
            raise ValueError("commands are numbered from #1")
        return "command", number - 1
    return "time", round(float(m.group("value")) * _UNITS[m.group("unit")])


def first_key(session: Session) -> bytes | None:
    """The first key a person (not the workload) used in ``session``."""
    for rc in session.commands:
        key = getattr(rc.command, "key", None)
        if isinstance(key, (str, bytes)) and key and rc.origin != "workload":
            return as_key(key)
    return None


class ReplayDriver(SimDriver):
    """The app replaying ``session`` (see the module docstring)."""

    kind = "replay"
    REPLAY_ACTIONS = frozenset({"seek_back", "seek_forward", "prev_command", "next_command", "seek_start",
                                "seek_end", "seek", "branches", "save"})

    end_check = ""
    """The verdict at the end of the recording (✓/✗ digests), shown on the timeline."""

    def __init__(self, session: Session, *, playing: bool = True, speed: float = 1.0,
                 every_commands: int = 100, every_events: int = 50_000) -> None:
        self.session = session
        executor = Executor(config=session.header.config(), bus=EventBus(), on_cluster=self._on_cluster)
        super().__init__(executor, playing=playing, speed=speed)
        self.timeline = Timeline(session, executor, on_outcome=self._on_outcome,
                                 every_commands=every_commands, every_events=every_events)
        self._journaled: int | None = 0
        self._journal_branch = 0
        self._awaiting: list[tuple[str, Callable[[Outcome], None]]] = []
        self._save_branch: int | None = None

    @property
    def title(self) -> str:
        return f"dynviz replay {Path(self.session.path).name}" if self.session.path else "dynviz replay"

    def first_key(self) -> bytes | None:
        return first_key(self.session)

    def widgets(self) -> Sequence[Widget]:
        bar = TimelineBar(self, id="timeline")
        bar.add_class("view")
        return (bar,)

    def known_keys(self) -> Iterable[str]:
        keys: list[str] = []
        for rc in self.session.commands:
            key = getattr(rc.command, "key", None)
            if isinstance(key, str) and key and rc.origin != "workload" and key not in keys:
                keys.append(key)
        return keys

    def supports(self, action: str) -> bool:
        if action in self.REPLAY_ACTIONS:
            return True
        return super().supports(action)

    def perform(self, action: str, argument: str = "") -> None:
        if action == "seek" and argument:
            self.seek_text(argument)
        else:
            super().perform(action, argument)

    def _actions(self) -> dict[str, Callable[[], object]]:
        return {
            **super()._actions(),
            "seek_back": lambda: self.seek_to(self.timeline.now - SECOND),
            "seek_forward": lambda: self.seek_to(self.timeline.now + SECOND),
            "prev_command": self.prev_command, "next_command": self.next_command,
            "seek_start": lambda: self.seek_to(0), "seek_end": self.seek_end,
            "seek": self.seek_dialog, "branches": self.branches_dialog,
        }

    # -- following the timeline ----------------------------------------------------------

    def _on_cluster(self, cluster: Any) -> None:
        host = self.host
        if host is not None:
            host.cluster_replaced()
            host.journal.clear()  # a restored checkpoint or a new cluster: the log starts over
        self._journaled = None

    def _on_outcome(self, outcome: Outcome) -> None:
        if self._awaiting and outcome.cmd == self._awaiting[0][0]:
            _, done = self._awaiting.pop(0)
            done(outcome)
            return
        if outcome.cmd.startswith("as workload ") or self.host is None:
            return
        out_key = outcome.data.get("key") if isinstance(outcome.data, dict) else None
        key = as_key(out_key) if isinstance(out_key, str) else None
        self.host.journal.add(outcome.time, "result" if outcome.ok else "error", outcome.text, key, rank=2)

    def after_move(self) -> None:
        """Log the commands the timeline issued since the last move (the workload's
        are not logged, as in the live app) and keep the selection on their keys."""
        tl = self.timeline
        host = self.host
        branch = tl.branch_data
        if host is not None:
            if self._journaled is None or self._journal_branch != tl.current or self._journaled > tl.index:
                if self._journaled is not None:
                    host.journal.clear()
                start = max(0, tl.index - JOURNAL_BACKLOG)
            else:
                start = self._journaled
            for number, rc in enumerate(branch.commands[start:tl.index], start=start + 1):
                if rc.origin in ("workload", "setup"):
                    continue
                key = getattr(rc.command, "key", None)
                key_bytes = as_key(key) if isinstance(key, (str, bytes)) and key else None
                if key_bytes is not None and host.is_running:
                    host.select_key(key_bytes)
                host.journal.add(rc.time, "command", f"> #{number} {rc.text}  [{rc.origin}]", key_bytes, rank=0)
        self._journaled = tl.index
        self._journal_branch = tl.current
        self._check_end()

    def at_end(self) -> bool:
        """At the end of a branch that has the recording's footer (nothing left to play)."""
        tl = self.timeline
        branch = tl.branch_data
        return branch.footer is not None and tl.index >= len(branch.commands) and tl.now >= tl.end

    def _check_end(self) -> None:
        tl = self.timeline
        footer = tl.branch_data.footer
        if footer is None or not self.at_end():
            self.end_check = ""
            return
        if self.end_check:
            return
        cluster = self.cluster
        same = (cluster.scheduler.events_run == footer.events or footer.events is None) and \
            cluster.digest() == footer.digest and cluster.state_digest() == footer.state_digest
        self.end_check = ("✓ digests match the recording" if same else
                          "✗ digests differ from the recording")

    def _far(self) -> int:
        tl = self.timeline
        return tl.end if tl.branch_data.footer is not None else tl.now + 3600 * SECOND

    def _play(self, time: int, budget: int) -> bool:
        try:
            return self.timeline.play(time, budget)
        except ReplayDiverged as exc:
            self.playing = False
            self.tell(f"the replay diverged: {exc}", "error", 10)
            return True

    # -- time, on the timeline -------------------------------------------------------------

    def advance(self, duration: int) -> None:
        tl = self.timeline
        end = tl.now + duration
        if tl.branch_data.footer is not None:
            end = min(end, tl.end)
        self._play(end, MAX_EVENTS_PER_FRAME)
        self.after_move()
        if self.playing and self.at_end():
            self.playing = False

    def run_for(self, duration: int) -> None:
        target = self.timeline.now + duration
        while not self._play(target, 1 << 30):
            pass
        self.after_move()

    def step_event(self) -> None:
        self.playing = False
        before = self.cluster.scheduler.events_run
        self._play(self._far(), 1)
        if self.cluster.scheduler.events_run == before:
            self.tell("nothing left to run", timeout=2)
        self.after_move()
        self.redraw()

    def step_request(self) -> None:
        self.playing = False
        if not self.cluster.busy():
            self.tell("no request in progress", timeout=2)
            return
        ran = 0
        while self.cluster.busy() and ran < 20_000:
            before = self.cluster.scheduler.events_run
            self._play(self._far(), 1)
            if self.cluster.scheduler.events_run == before:
                break
            ran += 1
        self.after_move()
        self.redraw()

    # -- seeking ---------------------------------------------------------------------------

    def seek_to(self, time: int) -> None:
        """Go to session time ``time`` (clamped to the session)."""
        tl = self.timeline
        time = max(0, time)
        if tl.branch_data.footer is not None and time >= tl.end:
            self.seek_end()
            return
        try:
            tl.seek(time)
        except ReplayDiverged as exc:
            self.tell(f"the replay diverged: {exc}", "error", 10)
        self.after_move()
        self.redraw()

    def seek_command(self, index: int) -> None:
        """Go to just after command ``index`` (0-based; #index+1 to the user) was issued."""
        try:
            self.timeline.seek_command(index)
        except ValueError as exc:
            self.tell(str(exc), "warning", 4)
            return
        self.after_move()
        self.redraw()

    def seek_end(self) -> None:
        while not self._play(self._far(), 1 << 30):
            pass
        self.after_move()
        self.redraw()

    def _user_commands(self) -> list[int]:
        branch = self.timeline.branch_data
        found = [i for i, rc in enumerate(branch.commands) if rc.origin not in ("workload", "setup")]
        return found or list(range(len(branch.commands)))

    def prev_command(self) -> None:
        tl = self.timeline
        starts = tl.branch_data.starts
        issued = [i for i in self._user_commands() if i < tl.index]
        if not issued:
            self.seek_to(0)
            return
        last = issued[-1]
        if tl.now > starts[last] or tl.index > last + 1:
            self.seek_command(last)
        elif len(issued) > 1:
            self.seek_command(issued[-2])
        else:
            self.seek_to(0)

    def next_command(self) -> None:
        ahead = [i for i in self._user_commands() if i >= self.timeline.index]
        if ahead:
            self.seek_command(ahead[0])
        else:
            self.tell("no command ahead", timeout=2)

    def seek_text(self, text: str) -> None:
        try:
            kind, value = parse_seek(text)
        except ValueError as exc:
            self.tell(str(exc), "warning", 5)
            return
        if kind == "command":
            self.seek_command(value)
        else:
            self.seek_to(value)

    def seek_dialog(self) -> None:
        def apply(text: str | None) -> None:
            if text:
                self.seek_text(text)

        if self.host is not None:
            self.host.open_screen(SeekScreen(f"{self.timeline.now / SECOND:.3f}s"), apply)

    # -- acting: branches ------------------------------------------------------------------

    def submit(self, text: str, command: c.Command, origin: str, done: Callable[[Outcome], None]) -> None:
        if isinstance(command, LONG_COMMANDS) and self.job is not None:
            done(self._refused(command, f"'{self.job.text}' is still running: escape stops it"))
            return
        tl = self.timeline
        self.after_move()
        before = tl.current
        long = isinstance(command, LONG_COMMANDS)
        if not long:
            self._awaiting.append((text.strip(), done))
        try:
            tl.branch(text, origin)
        except (SessionError, ReplayDiverged) as exc:
            if not long:
                self._awaiting.pop()
            done(self._refused(command, f"cannot act here: {exc}"))
            return
        self._journaled = tl.index
        self._journal_branch = tl.current
        self.end_check = ""
        if tl.current != before:
            self.tell(f"branch {tl.current} started at {tl.now / SECOND:.3f}s; the old future is kept "
                      f"as branch {before} (b: branches)", timeout=6)
        if long:
            self.start_job(text, command, done)

    def record(self, text: str, command: c.Command, origin: str) -> None:
        """An ``abort`` joins the branch like any command (the job itself is a marker)."""
        if isinstance(command, c.Abort):
            try:
                self.timeline.branch(text, origin)
            except (SessionError, ReplayDiverged):
                pass

    def branch_rows(self) -> list[tuple[int, str]]:
        """The branches as a tree of choices: each under the one it forked from, with the
        command that started it (``drop m18`` where the recording delivered it)."""
        infos = self.timeline.branches()
        children: dict[int | None, list[BranchInfo]] = {}
        for info in infos:
            children.setdefault(info.parent, []).append(info)
        rows: list[tuple[int, str]] = []

        def walk(parent: int | None, depth: int) -> None:
            for info in sorted(children.get(parent, []), key=lambda i: (i.fork, i.id)):
                mark = "▶" if info.current else " "
                indent = "   " * (depth - 1) + "└─ " if depth else ""
                origin = ("the recording" if info.parent is None
                          else f"after #{info.fork}: {info.first or '(nothing yet)'}")
                rows.append((info.id, f"{mark} {indent}branch {info.id} ({origin}): "
                                      f"{plural(info.commands, 'command')}, ends at {info.end / SECOND:.3f}s"))
                walk(info.id, depth + 1)

        walk(None, 0)
        return rows

    def branches_dialog(self) -> None:
        def apply(choice: tuple[str, int] | None) -> None:
            if choice is None:
                return
            what, bid = choice
            if what == "switch":
                self.switch_branch(bid)
            elif self.host is not None:
                self._save_branch = bid
                self.host.save_session()

        if self.host is not None:
            self.host.open_screen(BranchesScreen(self.branch_rows()), apply)

    def switch_branch(self, branch_id: int) -> None:
        try:
            self.timeline.switch(branch_id)
        except (ValueError, ReplayDiverged) as exc:
            self.tell(str(exc), "error", 6)
            return
        self.end_check = ""
        self.after_move()
        self.redraw()
        self.tell(f"on branch {branch_id} at {self.timeline.now / SECOND:.3f}s", timeout=3)

    # -- saving ----------------------------------------------------------------------------

    def save_name(self) -> str:
        stem = Path(self.session.path).stem if self.session.path else "replay"
        bid = self.timeline.current if self._save_branch is None else self._save_branch
        return f"{stem}-branch{bid}.jsonl" if bid else f"{stem}-copy.jsonl"

    def save_title(self) -> str:
        bid = self.timeline.current if self._save_branch is None else self._save_branch
        return f"save branch {bid}"

    def save_to(self, path: str) -> str:
        bid = self.timeline.current if self._save_branch is None else self._save_branch
        self._save_branch = None
        session = self.timeline.save(bid, path)
        return f"saved branch {bid} ({plural(len(session.commands), 'command')}) to {path}"
