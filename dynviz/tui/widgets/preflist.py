"""The preference list of the selected key (paper section 4.3 and 4.6).

Ranked nodes of the key's preference list with their health and the versions they
hold; the substitutes holding hinted replicas and for whom; who coordinated the last
request for the key; and, when the nodes' own rings disagree (during a join or leave,
before gossip has spread), each distinct preference list and which nodes hold it.
Everything comes from ``cluster.inspect`` and the nodes' rings, read only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from dynviz.core.hashing import as_key, show_key
from dynviz.events import RequestDone
from dynviz.tui.widgets.ring import node_colour

if TYPE_CHECKING:
    from dynviz.client import VersionView
    from dynviz.tui.view import Frame


def _show(value: bytes | None) -> str:
    if value is None:
        return "(deleted)"
    return value.decode("utf-8", errors="backslashreplace")


def _versions(versions: tuple[VersionView, ...], limit: int = 4) -> str:
    if not versions:
        return "-"
    shown = [_show(v.value) for v in versions[:limit]]
    more = f" +{len(versions) - limit}" if len(versions) > limit else ""
    head = f"{len(versions)} siblings: " if len(versions) > 1 else ""
    return head + ", ".join(shown) + more


class PreferenceList(Widget, can_focus=True):
    """Where the selected key lives and who stands in for whom."""

    DEFAULT_CSS = """
    PreferenceList {
        height: auto;
        max-height: 14;
        width: 1fr;
        padding: 0 1;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[object, ...] | None = None
        self._text: Text = Text("")
        self.last_lines: list[str] = []

    def refresh_view(self, frame: Frame) -> None:
        key = (id(frame.view), frame.tape.version, frame.key, frame.node)
        if key == self._key:
            return
        self._key = key
        self._text = self._build(frame)
        self.last_lines = self._text.plain.splitlines()
        self.refresh(layout=True)

    def render(self) -> Text:
        return self._text

    def _build(self, frame: Frame) -> Text:
        cluster = frame.view
        selected = frame.key
        out = Text(no_wrap=True, overflow="ellipsis")
        if selected is None:
            out.append("no key selected", style="dim")
            out.append("\ntype ", style="dim")
            out.append("get KEY", style="bold")
            out.append(", press s, or ↑ ↓ on the ring", style="dim")
            return out
        key = as_key(selected)
        ins = cluster.inspect(key)
        names = list(cluster.node_names())
        colour = {n: node_colour(i) for i, n in enumerate(names)}
        out.append(show_key(key), style="bold")  # a table item reads orders/c1[7]
        out.append(f"  token {ins.token[:8]}…  N={cluster.config.n}\n", style="dim")
        suspected: set[str] = set()
        for v in cluster.node_views():
            if v.up:
                suspected.update(v.suspects)
        rank = {n: i + 1 for i, n in enumerate(ins.preference_list)}
        for r in ins.replicas:
            if r.node in rank:
                out.append(f"{rank[r.node]:>2} ", style="bold")
            else:
                out.append("   ")
            out.append(f"{r.node:<4}", style=f"bold {colour.get(r.node, 'white')}")
            if not r.up:
                out.append(" ○ down   ", style="bold red")
            elif r.node in suspected:
                out.append(" ● suspect", style="bold yellow")
            else:
                out.append(" ● up     ", style="green")
            role_style = {"primary": "cyan", "fallback": "magenta"}.get(r.role, "dim")
            out.append(f" {r.role:<8} ", style=role_style)
            out.append(_versions(r.versions))
            for intended, versions in r.hints:
                out.append(f"\n      holds hint for {intended}: ", style="magenta")
                out.append(_versions(versions))
            out.append("\n")
        last = self._last_request(frame, key)
        if last is not None:
            out.append("last: ", style="dim")
            out.append(f"{last.op} {'ok' if last.ok else 'FAILED'}", style="green" if last.ok else "red")
            out.append(f" coordinated by {last.coordinator} @{last.time / 1e6:.3f}s\n")
        views: dict[tuple[str, ...], list[str]] = {}
        for name in names:
            views.setdefault(cluster.node_ring(name).preference_list(key, cluster.config.n), []).append(name)
        if len(views) > 1:
            out.append("nodes disagree on the preference list:\n", style="bold yellow")
            for plist, holders in sorted(views.items(), key=lambda kv: -len(kv[1])):
                out.append(f"  {','.join(plist)}", style="bold")
                out.append(f"  held by {','.join(holders)}\n", style="dim")
        else:
            out.append(f"all {len(names)} nodes' rings agree on this list", style="dim")
        out.rstrip()
        return out

    @staticmethod
    def _last_request(frame: Frame, key: bytes) -> RequestDone | None:
        log = frame.tape.log
        for i, event in enumerate(reversed(log)):
            if i > 5000:
                break
            if isinstance(event, RequestDone) and event.key == key:
                return event
        return None
