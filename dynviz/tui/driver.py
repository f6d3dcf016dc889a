"""Drivers: what differs between the app's modes (DESIGN §8, "One App, many drivers").

There is one App (:class:`~dynviz.tui.app.DynvizApp`). What differs between the live
simulator, a lesson, a replay and an attached TCP cluster is a *driver* handed to it:
the driver owns the cluster (or the connection to one), moves time on each frame (or
cannot), carries out the commands the app issues, and says which actions it supports;
the app hides the rest (``check_action``), so the footer, the help screen and the
palette only offer what works in this mode.

A driver talks back to the app only through :class:`Host`: select a key or node, point
at a panel, show an outcome, tell the user something, open a screen. The app talks to
the driver only through :class:`Driver`. Neither imports the other's concrete class,
which is what keeps ``dynviz/tui`` free of import cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen
    from textual.widget import Widget

    from dynviz.commands import Command
    from dynviz.events import EventBus
    from dynviz.executor import Outcome
    from dynviz.explore.world import World
    from dynviz.tui.journal import Journal
    from dynviz.tui.tape import EventTape
    from dynviz.tui.view import Clock, ClusterView

FPS = 20
"""Frames per second: the app's tick."""
FRAME_BUDGET_S = 0.022
"""Wall-clock time the simulation may use per frame; the rest is for drawing."""
MAX_EVENTS_PER_FRAME = 3000
"""Events a playing simulation may run per frame (virtual time falls behind beyond)."""
SPEEDS: tuple[float, ...] = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Speeds (virtual seconds per real second) on a log scale; x1 is real time."""


@dataclass(frozen=True, slots=True)
class Cue:
    """What a narration is about: the panel to bring on screen (a panel name from
    :mod:`dynviz.tui.panels`), the key and the node to select. Empty fields leave the
    screen as it is."""

    panels: tuple[str, ...] = ()
    key: bytes | None = None
    node: str | None = None


class Host(Protocol):
    """What a driver may ask of the app."""

    @property
    def journal(self) -> Journal: ...

    @property
    def tape(self) -> EventTape: ...

    @property
    def is_running(self) -> bool: ...

    def select_key(self, key: bytes | str | None) -> None: ...

    def select_node(self, node: str | None) -> None: ...

    def point_at(self, cue: Cue) -> None:
        """Bring the cue's panel on screen and select its key and node."""
        ...

    def show_outcome(self, outcome: Outcome) -> None:
        """Show a command's outcome where the user typed it (and in the log)."""
        ...

    def tell(self, message: str, severity: SeverityLevel = "information", timeout: float = 4) -> None:
        """A short notice (a toast)."""
        ...

    def open_screen(self, screen: Screen[Any], callback: Callable[[Any], None] | None = None) -> None: ...

    def save_session(self) -> None:
        """Ask for a file name and save the driver's session there (it is :class:`Saving`)."""
        ...

    def redraw(self) -> None:
        """Refresh every panel now (after a seek, a step, a restored checkpoint)."""
        ...

    def dynamodb_url(self) -> str:
        """The URL of the app's DynamoDB endpoint, which starts serving on a free
        loopback port if the app was started without ``--dynamodb`` (a lesson's
        ``script`` needs one)."""
        ...

    def cluster_replaced(self) -> None:
        """The driver's cluster is a new object (a ``cluster`` command, a checkpoint
        restored): panels and the tape start over."""
        ...


class Driver(Protocol):
    """One mode of the app (see the module docstring)."""

    kind: str
    """``live``, ``lesson``, ``replay`` or ``attached``."""

    @property
    def title(self) -> str: ...

    @property
    def view(self) -> ClusterView:
        """The cluster the panels read (read it fresh: a command can replace it)."""
        ...

    @property
    def bus(self) -> EventBus:
        """Where the cluster's events arrive (the app's tape subscribes to it)."""
        ...

    def start(self, host: Host) -> None:
        """Called once, when the app mounts."""
        ...

    def close(self) -> None:
        """The app is leaving this driver (quitting, or switching mode)."""
        ...

    def widgets(self) -> Sequence[Widget]:
        """Widgets of this mode shown above the command line (a lesson's narration,
        a replay's timeline); each is refreshed every frame like a panel."""
        ...

    def supports(self, action: str) -> bool:
        """Whether ``action`` (``play``, ``step``, ``kill``, ``next``, ``seek``...)
        works in this mode now."""
        ...

    def perform(self, action: str, argument: str = "") -> None:
        """Carry out a driver action the app bound to a key (see :meth:`supports`);
        ``argument`` is what followed the word when it was typed (``seek 12.5s``)."""
        ...

    def clock(self) -> Clock: ...

    def tick(self, elapsed: float) -> None:
        """One frame: ``elapsed`` wall-clock seconds since the last. Must return
        within the frame budget, whatever it was asked to do."""
        ...

    def submit(self, text: str, command: Command, origin: str, done: Callable[[Outcome], None]) -> None:
        """Carry out one command line (already parsed); call ``done`` with its outcome,
        now or when it completes."""
        ...

    def refusal(self, command: Command) -> str | None:
        """Why this mode cannot run ``command`` (shown under the input), or None."""
        ...

    def known_keys(self) -> Iterable[str]:
        """Keys this mode has seen (completion, the palette, the key picker)."""
        ...


@runtime_checkable
class Saving(Protocol):
    """A driver whose session can be saved (``ctrl+s``)."""

    def save_name(self) -> str: ...

    def save_title(self) -> str: ...

    def save_to(self, path: str) -> str:
        """Write the session to ``path``; returns what to tell the user. Raises
        ``SessionError``/``OSError``/``ValueError`` with a message on failure."""
        ...


@runtime_checkable
class Exploring(Protocol):
    """A driver whose cluster can be explored from where it is (``e``, issue 17): it
    hands out a private copy, every message held (:func:`dynviz.explore.here.world_here`)."""

    def world_here(self) -> World: ...
