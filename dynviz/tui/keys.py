"""The app's key map, declared once: the footer, the help screen and the palette are
built from it.

``drive('x')`` bindings hand action ``x`` to the driver, which says whether it supports
it (``Driver.supports``); the app's own actions that need a driver's capability name it
in ``ACTION_NEEDS``. A binding the current driver cannot honour is hidden everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding, BindingType

BINDINGS: list[BindingType] = [
    Binding("escape", "drive('abort')", "Stop", priority=True, tooltip="Stop the long step/run/settle"),
    Binding("space", "drive('play')", "Play", tooltip="Run or stop virtual time"),
    Binding("n", "drive('next')", "Next", tooltip="Lesson: the next narration"),
    Binding("enter", "drive('next')", "Next", show=False, tooltip="Lesson: the next narration"),
    Binding("b", "drive('back')", "Back", tooltip="Lesson: back to the previous narration, as it was"),
    Binding("h", "drive('history')", "Narrations", show=False, tooltip="Lesson: every narration so far"),
    Binding("full_stop", "drive('step')", "Step", key_display=".", tooltip="Process the next event (pauses)"),
    Binding("greater_than_sign", "drive('step_request')", "Step request", key_display=">", show=False,
            tooltip="Run events until no request is in progress (pauses)"),
    Binding("plus,equals_sign", "drive('faster')", "Faster", key_display="+", show=False,
            tooltip="Speed up: x0.1 .. x1000"),
    Binding("minus", "drive('slower')", "Slower", key_display="-", show=False, tooltip="Slow down"),
    Binding("left_square_bracket", "drive('seek_back')", "-1s", key_display="[", show=False,
            tooltip="Replay: seek back one second"),
    Binding("right_square_bracket", "drive('seek_forward')", "+1s", key_display="]", show=False,
            tooltip="Replay: seek forward one second"),
    Binding("left_curly_bracket", "drive('prev_command')", "Prev cmd", key_display="{", show=False,
            tooltip="Replay: go to the previous command of the user"),
    Binding("right_curly_bracket", "drive('next_command')", "Next cmd", key_display="}", show=False,
            tooltip="Replay: go to the next command of the user"),
    Binding("home", "drive('seek_start')", "Start", show=False, tooltip="Replay: go to the start"),
    Binding("end", "drive('seek_end')", "End", show=False, tooltip="Replay: go to the end"),
    Binding("g", "drive('seek')", "Seek", show=False, tooltip="Replay: seek to a time (12.5s) or a command (#42)"),
    Binding("b", "drive('branches')", "Branches", show=False, tooltip="Replay: list the branches; switch or save one"),
    Binding("s", "select", "Select", tooltip="Pick a node or a key (also ← → ↑ ↓ on the ring)"),
    Binding("k", "kill_toggle", "Kill", tooltip="Crash the selected node, or recover it"),
    Binding("p", "partition", "Partition", show=False, tooltip="Partition editor: pick groups, apply or heal"),
    Binding("H", "hold_toggle", "Hold", key_display="H", show=False,
            tooltip="Hold every message (time pauses; deliver them one by one in the Network panel), or release"),
    Binding("e", "explore_here", "Explore", show=False,
            tooltip="Explore from here: every delivery order (and fault, within bounds) from this state, "
                    "listing violations; enter opens one's path as a branch"),
    Binding("j", "join", "Join", show=False, tooltip="Join the next new node (join nX)"),
    Binding("l", "leave", "Leave", show=False, tooltip="The selected node leaves (leave nX)"),
    Binding("a", "antientropy", "Anti-entropy", show=False,
            tooltip="Merkle anti-entropy between two chosen nodes"),
    Binding("w", "drive('workload')", "Workload", show=False, tooltip="Background reads/writes on or off"),
    Binding("f", "log_filter", "Log filter", show=False, tooltip="Choose the kinds of events the log shows"),
    Binding("T", "tables", "Tables", key_display="T", show=False,
            tooltip="Tables screen: items page by page, queries, stream, capacity, cache, placement"),
    Binding("M", "metrics", "Metrics", key_display="M", show=False,
            tooltip="Metrics screen: latency percentiles, throughput, hints, anti-entropy, load, staleness"),
    Binding("L", "lessons", "Lessons", key_display="L", tooltip="Pick a lesson (your progress is kept)"),
    Binding("m", "maximize_toggle", "Maximise", show=False, tooltip="Maximise the focused panel, or restore"),
    Binding("slash", "focus_command", "Cmd", key_display="/", tooltip="Type a command"),
    Binding("ctrl+s", "save", "Save", show=False, tooltip="Save the session so far under a name"),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="Every key and command"),
    Binding("q", "quit", "Quit", show=False, tooltip="Leave dynviz"),
]
HELP_EXTRA: tuple[tuple[str, str], ...] = (
    ("ctrl+p", "Command palette: every action, with the current nodes, keys and lessons"),
    ("tab / shift+tab", "Move focus between panels"),
    ("← → / ↑ ↓ (ring)", "Select the previous/next node / key"),
    ("↑ ↓ enter (log)", "Move over the log's lines; enter reads one in full and selects its key"),
    ("escape", "Stop a long command; restore a maximised panel; leave the command line"),
    ("up / down (command line)", "Command history"),
    ("tab or → (command line)", "Complete the word you started"),
    ("select KEY / select node N", "Select from the command line"),
    ("click a node label / log line", "Select the node / the key it is about"),
    ("enter/d x u y o (Network)", "Deliver (or fire) / drop / duplicate / delay 300 ms the row's message; filter: node, key, kind"),
    ("c, then d x u y (ring)", "Point at the next pending message on the ring, then deliver / drop / duplicate / delay it"),
)
ACTION_NEEDS = {"hold_toggle": "hold", "kill_toggle": "kill", "partition": "partition", "join": "join", "leave": "leave",
                "antientropy": "antientropy", "tables": "tables", "lessons": "lessons",
                "explore_here": "explore"}
"""App actions that work only where the driver supports them (the driver's word)."""


def help_rows(check: Callable[[str, tuple[object, ...]], bool | None]) -> list[tuple[str, str]]:
    """(key, what it does) for every binding ``check`` (the app's ``check_action``)
    allows, then the other ways in (``HELP_EXTRA``)."""
    rows = []
    for binding in BINDINGS:
        assert isinstance(binding, Binding)
        action, _, args = binding.action.partition("(")
        parameters = tuple(a.strip("'\" ") for a in args.rstrip(")").split(",") if a.strip())
        if check(action, parameters) is False:
            continue
        rows.append((binding.key_display or binding.key, binding.tooltip or binding.description))
    return rows + list(HELP_EXTRA)
