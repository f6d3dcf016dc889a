"""A titled frame around one view: the unit the user maximises and restores.

Every view of the main screen sits in a ``Panel`` so that maximising works the same for
all of them (``Screen.maximize``), whichever widget inside has focus, and the title
shows in the border. Inside a tab the frame drops its border (the tab names it).
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget


class Panel(Vertical):
    """A bordered, maximisable container for one view widget."""

    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    Panel {
        border: round $primary-darken-1;
        border-title-color: $text-accent;
        border-title-style: bold;
        height: 1fr;
        padding: 0;
        &:focus-within { border: round $accent; }
        &.-maximized { border: round $accent; }
    }
    TabPane > Panel { border: none; }
    TabPane > Panel.-maximized { border: round $accent; }
    """

    def __init__(self, title: str, view: Widget, *, id: str | None = None) -> None:
        super().__init__(view, id=id)
        self.border_title = title
        self.view = view
        # A view that takes no focus of its own (a static drawing) lets its frame take
        # it, so every panel can be reached with tab and maximised with m.
        self.can_focus = not view.can_focus
