"""``dynviz replay FILE``: the app on a recorded session, with a timeline.

:class:`ReplayApp` is the live app whose executor is driven by a
:class:`~dynviz.session.timeline.Timeline` instead of the user: each frame plays the
session forward (``Timeline.play``, within the frame's event budget), issuing the
recorded commands at their recorded instants, workload ones included (the workload
generator is off). Space plays and pauses, ``.`` steps one event, ``+``/``-`` change
the speed, ``[``/``]`` seek back/forward one second, ``{``/``}`` go to the
previous/next command of the user (typed, key, palette, mouse), ``home``/``end`` to the
start/end, ``g`` (or typing ``seek 12.5s`` / ``seek #42``) anywhere. Seeking back
restores the nearest checkpoint and re-simulates, so the state at a time is the state
the recording had then.

Acting (a typed command, ``k``, the palette...) after seeking back starts a branch
(``Timeline.branch``): the old future is kept as its own branch; ``b`` lists the
branches and switches between them; ``Ctrl+S`` saves the current branch as a session
file. At the end of the recording the replay checks its digests against the footer's
and shows the verdict on the timeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from textual.binding import Binding
from textual.widget import Widget

from dynviz.commands import Command, parse_line
from dynviz.core.hashing import as_key
from dynviz.events import EventBus
from dynviz.executor import Executor, Outcome
from dynviz.node.node import SECOND
from dynviz.session.recording import Session, SessionError
from dynviz.session.replay import ReplayDiverged
from dynviz.session.timeline import Timeline
from dynviz.tui.app import MAX_EVENTS_PER_FRAME, DynvizApp
from dynviz.tui.screens.session import BranchesScreen, SeekScreen
from dynviz.tui.widgets.timeline import TimelineBar

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


def _first_key(session: Session) -> bytes | None:
    for rc in session.commands:
        key = getattr(rc.command, "key", None)
        if isinstance(key, (str, bytes)) and key and rc.origin != "workload":
            return as_key(key)
    return None


class ReplayApp(DynvizApp):
    """The app replaying ``session`` (see the module docstring)."""

    BINDINGS = [
        *DynvizApp.BINDINGS,
        Binding("left_square_bracket", "seek_by(-1)", "-1s", key_display="[", tooltip="Seek back one second"),
        Binding("right_square_bracket", "seek_by(1)", "+1s", key_display="]",
                tooltip="Seek forward one second"),
        Binding("left_curly_bracket", "prev_command", "Prev cmd", key_display="{", show=False,
                tooltip="Go to the previous command of the user"),
        Binding("right_curly_bracket", "next_command", "Next cmd", key_display="}", show=False,
                tooltip="Go to the next command of the user"),
        Binding("home", "seek_start", "Start", show=False, tooltip="Go to the start of the session"),
        Binding("end", "seek_end", "End", show=False, tooltip="Go to the end of the session"),
        Binding("g", "seek_dialog", "Seek", tooltip="Seek to a time (12.5s) or a command (#42)"),
        Binding("b", "branches", "Branches", tooltip="List the branches; switch to one or save it"),
    ]
    HELP_EXTRA = (*DynvizApp.HELP_EXTRA,
                  ("seek 12.5s / seek #42 (command line)", "Go to a time or a command"),
                  ("click the timeline", "Seek there"))

    end_check = ""
    """The verdict at the end of the recording (✓/✗ digests), shown on the timeline."""
    _journaled: int | None = 0
    _journal_branch = 0

    def __init__(self, session: Session, *, playing: bool = True, speed: float = 1.0,
                 every_commands: int = 100, every_events: int = 50_000) -> None:
        self.session = session
        executor = Executor(config=session.header.config(), bus=EventBus(), on_cluster=self._on_cluster)
        super().__init__(seed=session.header.seed, workload=False, playing=playing, preload_keys=False,
                         speed=speed, record=None, executor=executor)
        self.timeline = Timeline(session, executor, on_outcome=self._on_outcome,
                                 every_commands=every_commands, every_events=every_events)
        key = _first_key(session)
        if key is not None:
            self.set_reactive(DynvizApp.selected_key, key)
        self.title = f"dynviz replay {Path(session.path).name}" if session.path else "dynviz replay"

    def compose_extra(self) -> Iterable[Widget]:
        bar = TimelineBar(id="timeline")
        bar.add_class("view")
        return (bar,)

    # -- following the timeline ----------------------------------------------------------

    def _on_cluster(self, cluster) -> None:  # type: ignore[no-untyped-def]
        super()._on_cluster(cluster)
        self.journal.clear()  # a restored checkpoint or a new cluster: the log starts over
        self._journaled = None

    def _on_outcome(self, outcome: Outcome) -> None:
        if outcome.cmd.startswith("as workload "):
            return
        out_key = outcome.data.get("key") if isinstance(outcome.data, dict) else None
        key = as_key(out_key) if isinstance(out_key, str) else None
        self.journal.add(outcome.time, "result" if outcome.ok else "error", outcome.text, key, rank=2)

    def _after_move(self) -> None:
        """Log the commands the timeline issued since the last move (the workload's
        are not logged, as in the live app) and keep the selection on their keys."""
        tl = self.timeline
        branch = tl.branch_data
        if self._journaled is None or self._journal_branch != tl.current or self._journaled > tl.index:
            if self._journaled is not None:
                self.journal.clear()
            start = max(0, tl.index - JOURNAL_BACKLOG)
        else:
            start = self._journaled
        for rc in branch.commands[start:tl.index]:
            if rc.origin in ("workload", "setup"):
                continue
            key = getattr(rc.command, "key", None)
            key_bytes = as_key(key) if isinstance(key, (str, bytes)) and key else None
            if key_bytes is not None:
                self.selected_key = key_bytes
                self._typed_keys.add(key_bytes.decode("utf-8", errors="backslashreplace"))
            self.journal.add(rc.time, "command", f"> {rc.text}  [{rc.origin}]", key_bytes, rank=0)
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
            self.notify(f"the replay diverged: {exc}", severity="error", timeout=10)
            return True

    # -- the frame loop, on the timeline -------------------------------------------------

    def advance(self, duration: int) -> None:
        tl = self.timeline
        end = tl.now + duration
        if tl.branch_data.footer is not None:
            end = min(end, tl.end)
        for _ in range(64):  # workload operations due this frame (after a branch, if on)
            stop, fire = end, False
            if self.workload.enabled:
                due = tl.offset + self.workload.due(self.cluster.now)
                if due <= end:
                    stop, fire = due, True
            if not self._play(stop, MAX_EVENTS_PER_FRAME):
                break  # the frame's budget ran out: virtual time falls behind
            if not fire:
                break
            text = self.workload.fire(self.cluster)
            command = parse_line(text)
            assert command is not None
            self.run_command(text, command, "workload")
        self._after_move()
        if self.playing and self.at_end():
            self.playing = False

    def run_for(self, duration: int) -> None:
        target = self.timeline.now + duration
        while not self._play(target, 1 << 30):
            pass
        self._after_move()

    def action_step(self) -> None:
        self.playing = False
        before = self.cluster.scheduler.events_run
        self._play(self._far(), 1)
        if self.cluster.scheduler.events_run == before:
            self.notify("nothing left to run", timeout=2)
        self._after_move()
        self.refresh_views()

    def action_step_request(self, limit: int = 20_000) -> None:
        self.playing = False
        if not self.busy():
            self.notify("no request in progress", timeout=2)
            return
        ran = 0
        while self.busy() and ran < limit:
            before = self.cluster.scheduler.events_run
            self._play(self._far(), 1)
            if self.cluster.scheduler.events_run == before:
                break
            ran += 1
        self._after_move()
        self.refresh_views()

    # -- seeking ---------------------------------------------------------------------------

    def seek_to(self, time: int) -> None:
        """Go to session time ``time`` (clamped to the session)."""
        tl = self.timeline
        time = max(0, time)
        if tl.branch_data.footer is not None and time >= tl.end:
            self.action_seek_end()
            return
        try:
            tl.seek(time)
        except ReplayDiverged as exc:
            self.notify(f"the replay diverged: {exc}", severity="error", timeout=10)
        self._after_move()
        self.refresh_views()

    def seek_command(self, index: int) -> None:
        """Go to just after command ``index`` (0-based) of the current branch was issued."""
        try:
            self.timeline.seek_command(index)
        except ValueError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            return
        self._after_move()
        self.refresh_views()

    def action_seek_by(self, seconds: float) -> None:
        self.seek_to(self.timeline.now + round(seconds * SECOND))

    def action_seek_start(self) -> None:
        self.seek_to(0)

    def action_seek_end(self) -> None:
        while not self._play(self._far(), 1 << 30):
            pass
        self._after_move()
        self.refresh_views()

    def _user_commands(self) -> list[int]:
        branch = self.timeline.branch_data
        found = [i for i, rc in enumerate(branch.commands) if rc.origin not in ("workload", "setup")]
        return found or list(range(len(branch.commands)))

    def action_prev_command(self) -> None:
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

    def action_next_command(self) -> None:
        ahead = [i for i in self._user_commands() if i >= self.timeline.index]
        if ahead:
            self.seek_command(ahead[0])
        else:
            self.notify("no command ahead", timeout=2)

    def seek_text(self, text: str) -> None:
        try:
            kind, value = parse_seek(text)
        except ValueError as exc:
            self.notify(str(exc), severity="warning", timeout=5)
            return
        if kind == "command":
            self.seek_command(value)
        else:
            self.seek_to(value)

    def action_seek_dialog(self) -> None:
        def apply(text: str | None) -> None:
            if text:
                self.seek_text(text)

        self.push_screen(SeekScreen(f"{self.timeline.now / SECOND:.3f}s"), apply)

    def tui_word(self, text: str) -> bool:
        words = text.strip().split(maxsplit=1)
        if words[0] == "seek":
            self.seek_text(words[1] if len(words) > 1 else "")
            return True
        if words[0] == "branches":
            self.action_branches()
            return True
        return super().tui_word(text)

    # -- acting: branches ------------------------------------------------------------------

    def issue(self, text: str, command: Command, origin: str, done: Callable[[Outcome], None]) -> None:
        tl = self.timeline
        self._after_move()
        before = tl.current
        try:
            tl.branch(text, origin)
        except (SessionError, ReplayDiverged) as exc:
            self.notify(f"cannot act here: {exc}", severity="error", timeout=6)
            return
        self._journaled = tl.index
        self._journal_branch = tl.current
        self.end_check = ""
        if tl.current != before:
            self.notify(f"branch {tl.current} started at {tl.now / SECOND:.3f}s; the old future is kept "
                        f"as branch {before} (b: branches)", timeout=6)

    def branch_rows(self) -> list[tuple[int, str]]:
        rows = []
        for info in self.timeline.branches():
            mark = "▶" if info.current else " "
            origin = "the recording" if info.parent is None else f"from {info.parent} at command #{info.fork}"
            rows.append((info.id, f"{mark} branch {info.id}: {info.commands} commands, ends at "
                                  f"{info.end / SECOND:.3f}s ({origin})"))
        return rows

    def action_branches(self) -> None:
        def apply(choice: tuple[str, int] | None) -> None:
            if choice is None:
                return
            what, bid = choice
            if what == "switch":
                self.switch_branch(bid)
            else:
                self.push_save(bid)

        self.push_screen(BranchesScreen(self.branch_rows()), apply)

    def switch_branch(self, branch_id: int) -> None:
        try:
            self.timeline.switch(branch_id)
        except (ValueError, ReplayDiverged) as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self.end_check = ""
        self._after_move()
        self.refresh_views()
        self.notify(f"on branch {branch_id} at {self.timeline.now / SECOND:.3f}s", timeout=3)

    # -- saving ----------------------------------------------------------------------------

    _save_branch: int | None = None

    def default_save_name(self) -> str:
        stem = Path(self.session.path).stem if self.session.path else "replay"
        bid = self.timeline.current if self._save_branch is None else self._save_branch
        return f"{stem}-branch{bid}.jsonl" if bid else f"{stem}-copy.jsonl"

    def save_title(self) -> str:
        bid = self.timeline.current if self._save_branch is None else self._save_branch
        return f"save branch {bid}"

    def action_save(self) -> None:
        self._save_branch = None  # Ctrl+S: the current branch
        super().action_save()

    def push_save(self, branch_id: int) -> None:
        self._save_branch = branch_id
        super().action_save()

    def save_to(self, path: str) -> str:
        bid = self.timeline.current if self._save_branch is None else self._save_branch
        self._save_branch = None
        session = self.timeline.save(bid, path)
        return f"saved branch {bid} ({len(session.commands)} commands) to {path}"
