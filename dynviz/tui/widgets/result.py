"""The outcome of the last command, in full, where it was typed.

A get shows every value (siblings numbered) with its dot or clock and who answered; a
put shows the coordinator, the acks and any hints; an error shows its reason. It stays
until the next command (the log keeps every outcome too). The pane sits just above the
command line and grows with what it shows up to a few lines, then scrolls, so it is
readable at 80x24.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from dynviz.executor import Outcome


def _fmt_clock(clock: dict[str, int]) -> str:
    return "{" + ",".join(f"{k}:{v}" for k, v in clock.items()) + "}"


def _ms(data: dict[str, Any]) -> str:
    latency = data.get("latency_us")
    return f" · {latency / 1000:.1f} ms" if isinstance(latency, int) else ""


def describe(outcome: Outcome) -> Text:
    """The outcome as lines a person reads (not the log's one-liner)."""
    data = outcome.data if isinstance(outcome.data, dict) else {}
    t = Text()
    if not outcome.ok:
        t.append("✗ ", style="bold red")
        t.append(outcome.error or outcome.text, style="red")
        if data.get("op") in ("put", "delete", "get") and data.get("coordinator"):
            t.append(f"\n  coordinator {data['coordinator']}", style="dim")
            answered = data.get("replies") or data.get("acks")
            if answered:
                t.append(f", answered: {', '.join(answered)}", style="dim")
        return t
    op = data.get("op")
    if op == "get":
        versions = data.get("versions") or []
        count = len(versions)
        t.append("✓ ", style="bold green")
        if not count:
            t.append(f"{data.get('key')}: not found", style="bold")
        else:
            what = "1 value" if count == 1 else f"{count} siblings (concurrent versions: merge them and put)"
            t.append(f"{data.get('key')}: {what}", style="bold")
        t.append(f" · coordinator {data.get('coordinator')} · replies {', '.join(data.get('replies', []))}"
                 f"{_ms(data)}", style="dim")
        for i, v in enumerate(versions, start=1):
            value = "(deleted)" if v.get("tombstone") else v.get("value")
            mark = f"  {i}. " if count > 1 else "  "
            t.append(f"\n{mark}")
            t.append(str(value), style="bold cyan")
            dot = v.get("dot") or ["?", "?"]
            t.append(f"   dot {dot[0]}:{dot[1]}  clock {_fmt_clock(v.get('clock', {}))}", style="dim")
        return t
    if op in ("put", "delete"):
        t.append("✓ ", style="bold green")
        t.append(f"{op} {data.get('key')} ok", style="bold")
        t.append(f" · coordinator {data.get('coordinator')} · acks {', '.join(data.get('acks', []))}"
                 f"{_ms(data)}", style="dim")
        if data.get("hops"):
            t.append(f" · forwarded by {data.get('entry')}", style="dim")
        for hint in data.get("hints", []):
            t.append("\n  hint: ", style="magenta")
            t.append(f"{hint['holder']} holds the write for {hint['intended']} (sloppy quorum)")
        return t
    t.append("✓ ", style="bold green")
    t.append(outcome.text)
    return t


class ResultPane(VerticalScroll):
    """The last command and its outcome (see the module docstring)."""

    DEFAULT_CSS = """
    ResultPane {
        height: auto;
        max-height: 7;
        background: $panel;
        padding: 0 1;
        display: none;
        scrollbar-size-vertical: 1;
    }
    ResultPane.-shown { display: block; }
    ResultPane > Static { width: 1fr; }
    """

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.command = ""
        self.serial = 0  # which command the pane is about (a newer one replaces an older)
        self.text = Text()

    def compose(self) -> Any:
        yield Static("", id="result-text")

    def _show(self, body: Text) -> None:
        shown = Text()
        shown.append(f"> {self.command}\n", style="bold")
        shown.append_text(body)
        self.text = shown
        self.query_one("#result-text", Static).update(shown)
        self.add_class("-shown")
        self.scroll_home(animate=False)

    def pending(self, command: str, note: str = "waiting for the cluster's answer…") -> int:
        """Show ``command`` as started; returns the serial its outcome must carry."""
        self.serial += 1
        self.command = command.strip()
        self._show(Text(f"◔ {note}", style="cyan"))
        return self.serial

    def outcome(self, serial: int, outcome: Outcome) -> None:
        if serial != self.serial:
            return  # an older command finished after a newer one was typed: the newer stays
        self._show(describe(outcome))

    def note(self, command: str, text: str) -> None:
        """A command the app carried out itself (``select``): done at once."""
        self.serial += 1
        self.command = command.strip()
        self._show(Text.assemble(("✓ ", "bold green"), text))

    def error(self, command: str, message: str) -> None:
        self.serial += 1
        self.command = command.strip()
        self._show(Text.assemble(("✗ ", "bold red"), (message, "red")))

    def plain(self) -> str:
        return self.text.plain
