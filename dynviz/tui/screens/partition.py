"""The partition editor (``p``): put nodes into groups, then apply or heal.

Each node is a button showing its group; pressing it moves the node to the next group
(A, B, C). Apply runs ``partition A-nodes | B-nodes | ...`` through the command line's
executor (so it is logged); Heal runs ``heal``. The screen returns the command text.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

GROUPS = "ABC"


def partition_command(groups: dict[str, int]) -> str | None:
    """The ``partition`` command for a node -> group assignment (None if one group)."""
    by_group: dict[int, list[str]] = {}
    for node, g in groups.items():
        by_group.setdefault(g, []).append(node)
    if len(by_group) < 2:
        return None
    return "partition " + " | ".join(",".join(nodes) for _, nodes in sorted(by_group.items()))


class PartitionScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PartitionScreen { align: center middle; }
    PartitionScreen > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    PartitionScreen Grid { grid-size: 4; grid-gutter: 0 1; height: auto; }
    PartitionScreen Grid > Button { width: 1fr; min-width: 10; }
    PartitionScreen Button.-group-0 { background: $primary; }
    PartitionScreen Button.-group-1 { background: $warning-darken-2; }
    PartitionScreen Button.-group-2 { background: $success-darken-2; }
    PartitionScreen #preview { color: $text-accent; height: auto; margin: 1 0; }
    PartitionScreen Horizontal { height: auto; }
    PartitionScreen Horizontal > Button { width: 1fr; min-width: 8; }
    PartitionScreen Label { width: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("enter", "apply", "apply", priority=True),
        Binding("space", "press_focused", "next group"),
        Binding("h", "heal", "heal"),
    ]

    def __init__(self, nodes: list[str], current: dict[str, int] | None = None) -> None:
        super().__init__()
        self.nodes = nodes
        half = len(nodes) // 2
        self.groups: dict[str, int] = dict(current) if current else {
            n: (0 if i < half else 1) for i, n in enumerate(nodes)}
        for n in nodes:
            self.groups.setdefault(n, 0)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "partition editor"
            yield Label("Space (or a click) on a node moves it to the next group: A, B, C. "
                        "Tab moves between nodes.")
            with Grid():
                for n in self.nodes:
                    yield Button(self._label(n), id=f"node-{n}", classes=f"-group-{self.groups[n]}")
            yield Label("", id="preview")
            with Horizontal():
                yield Button("Apply (enter)", id="apply", variant="primary")
                yield Button("Heal (h)", id="heal", variant="warning")
                yield Button("Cancel (esc)", id="cancel")

    by_mouse = False
    """True when the dialog was closed by clicking a button (the command's origin is then ``mouse``)."""
    _mouse = False

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._mouse = True

    def on_key(self, event: events.Key) -> None:
        self._mouse = False

    def on_mount(self) -> None:
        self._preview()

    def _label(self, node: str) -> str:
        return f"{node} {GROUPS[self.groups[node]]}"

    def _preview(self) -> None:
        command = partition_command(self.groups)
        self.query_one("#preview", Label).update(command or "(all nodes in one group: nothing to cut)")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id or ""
        if bid.startswith("node-"):
            node = bid[5:]
            self.groups[node] = (self.groups[node] + 1) % len(GROUPS)
            event.button.label = self._label(node)
            event.button.set_classes(f"-group-{self.groups[node]}")
            self._preview()
        elif bid == "apply":
            self.by_mouse = self._mouse
            self.dismiss(partition_command(self.groups))
        elif bid == "heal":
            self.by_mouse = self._mouse
            self.dismiss("heal")
        else:
            self.action_cancel()

    def action_press_focused(self) -> None:
        if isinstance(self.focused, Button):
            self.focused.press()

    def action_apply(self) -> None:
        self.dismiss(partition_command(self.groups))

    def action_heal(self) -> None:
        self.dismiss("heal")

    def action_cancel(self) -> None:
        self.dismiss(None)
