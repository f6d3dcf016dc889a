"""The panels of the main screen: one registry, so every place that names a panel (the
layout, the palette, the welcome screen, lesson cues, the help) uses the same names
and the same titles as the screen shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from dynviz.tui.widgets.eventlog import EventLog
from dynviz.tui.widgets.gossip import GossipPanel
from dynviz.tui.widgets.history import VersionHistory
from dynviz.tui.widgets.merkle import MerklePanel
from dynviz.tui.widgets.network import NetworkPanel
from dynviz.tui.widgets.nodes import NodesTable
from dynviz.tui.widgets.preflist import PreferenceList
from dynviz.tui.widgets.ring import RingView
from dynviz.tui.widgets.spacetime import SpaceTime


@dataclass(frozen=True, slots=True)
class PanelInfo:
    name: str  # the view's id; its frame's id is ``panel-NAME``
    title: str  # as the border or the tab shows it
    about: str  # one line, for the welcome screen and the help
    make: Callable[..., Widget]


PANELS: tuple[PanelInfo, ...] = (
    PanelInfo("ring", "Ring", "the hash ring: vnodes coloured by node, the selected key ◆ and its replicas",
              RingView),
    PanelInfo("preflist", "Preference list",
              "the selected key's N replicas in order, who is down, who holds a hint for whom", PreferenceList),
    PanelInfo("versions", "Versions", "the selected key's versions: what supersedes what, siblings side by side",
              VersionHistory),
    PanelInfo("log", "Log", "what the cluster did, line by line; enter on a line shows it in full", EventLog),
    PanelInfo("nodes", "Nodes", "every node: up or down, keys and hints held, partition group, suspicions",
              NodesTable),
    PanelInfo("messages", "Messages", "a space-time diagram of the messages of recent requests", SpaceTime),
    PanelInfo("network", "Network",
              "what can happen next: messages on the wire or held, timers; enter delivers, x drops, u duplicates",
              NetworkPanel),
    PanelInfo("gossip", "Gossip", "who knows what about whom, and how a rumour spread round by round",
              GossipPanel),
    PanelInfo("merkle", "Merkle", "the latest anti-entropy exchange: two replicas' trees, the differing paths",
              MerklePanel),
)

NAMES: tuple[str, ...] = tuple(p.name for p in PANELS)
TITLES: dict[str, str] = {p.name: p.title for p in PANELS}

_WORDS = re.compile(
    r"\b(" + "|".join(sorted((re.escape(p.title) for p in PANELS), key=len, reverse=True)) + r")"
    r" (?:panel|tab)\b", re.IGNORECASE)
_BY_TITLE = {p.title.lower(): p.name for p in PANELS}


def info(name: str) -> PanelInfo:
    for panel in PANELS:
        if panel.name == name:
            return panel
    raise KeyError(name)


def panels_mentioned(text: str) -> list[str]:
    """The panels a narration names ("the Versions panel", "the Nodes tab"), in order.
    Only the titles on screen count: a lesson that says "Version history panel" names
    nothing, which the lesson tests catch."""
    found: list[str] = []
    for m in _WORDS.finditer(text):
        name = _BY_TITLE[m.group(1).lower()]
        if name not in found:
            found.append(name)
    return found
