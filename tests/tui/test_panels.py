"""Promises of the four analysis panels (dynviz/tui/widgets/{history,spacetime,gossip,
merkle}.py): each draws what the running cluster and its event tape hold, says so
plainly when there is nothing yet, and skips work when nothing changed.

Each test mounts one panel in a tiny host app that makes the frame the real app hands
panels (the cluster, the tape, the selection), drives the cluster directly, calls
``refresh_view(frame)`` as the app does every frame, and reads both the laid-out lines
and the strips ``render_line`` draws.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from textual.app import App, ComposeResult
from textual.widget import Widget

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.hashing import token_of
from dynviz.core.merkle import MerkleTree, diff, version_digest
from dynviz.core.units import SECOND
from dynviz.events import EventBus
from dynviz.net.codec import registered
from dynviz.tui.journal import Journal
from dynviz.tui.tape import EventTape
from dynviz.tui.view import Clock, Frame
from dynviz.tui.widgets.gossip import GossipPanel
from dynviz.tui.widgets.history import VersionHistory
from dynviz.tui.widgets.merkle import MerklePanel
from dynviz.tui.widgets.spacetime import SpaceTime, abbreviate


class Host(App):
    """The app's side of the panel contract, and nothing else."""

    def __init__(self, panel: Widget, cluster_class: type[Cluster] = Cluster, **config: Any) -> None:
        super().__init__()
        self.panel = panel
        self.cluster_class = cluster_class
        self.selected_key: bytes | None = None
        self.selected_node: str | None = None
        self.new_cluster(**config)

    def new_cluster(self, **config: Any) -> Cluster:
        config.setdefault("seed", 3)
        self.bus = EventBus()
        self.tape = EventTape()
        self.bus.subscribe(self.tape)
        self.cluster = self.cluster_class(ClusterConfig(**config), bus=self.bus)
        return self.cluster

    def frame(self) -> Frame:
        return Frame(self.cluster, self.tape, Journal(), self.selected_key, self.selected_node, None,
                     frozenset(), Clock("paused"), None)

    def compose(self) -> ComposeResult:
        yield self.panel


def text(panel: Any) -> str:
    return "\n".join(panel.plain_lines())


def drawn(panel: Any) -> list[str]:
    """What ``render_line`` draws in the panel's visible area."""
    return [panel.render_line(y).text.rstrip() for y in range(panel.size.height)]


# -- version history --------------------------------------------------------------------


async def test_history_asks_for_a_key_then_says_it_has_no_versions() -> None:
    panel = VersionHistory(id="versions")
    app = Host(panel)
    async with app.run_test(size=(120, 40)):
        panel.refresh_view(app.frame())
        assert "select a key: type get KEY" in text(panel)
        app.selected_key = b"cart"
        panel.refresh_view(app.frame())
        assert "no version created" in text(panel) and "put cart VALUE" in text(panel)


async def test_history_draws_siblings_side_by_side_and_the_reconciliation() -> None:
    panel = VersionHistory(id="versions")
    app = Host(panel)
    async with app.run_test(size=(120, 60)) as pilot:
        c = app.cluster
        c.put("cart", "milk", client="alice")
        c.get("cart", client="alice")
        c.get("cart", client="bob")
        c.put("cart", "eggs", client="alice")  # both over the context that saw milk:
        c.put("cart", "ham", client="bob")  # concurrent siblings
        app.selected_key = b"cart"
        panel.refresh_view(app.frame())
        lines = panel.plain_lines()
        assert "3 versions, 2 current siblings" in lines[0]
        assert "(dotted version vectors;" in lines[3]
        assert lines[1].startswith("now: ● ") and "eggs" in lines[1] and "ham" in lines[1], "current first"
        row = next(line for line in lines[2:] if "eggs" in line)
        assert "ham" in row, "siblings share a row"
        assert "● eggs" in row and "● ham" in row
        assert "○ milk" in text(panel)
        assert any("┴" in line for line in lines), "edges from milk enter the siblings' boxes"

        c.get("cart", client="carol")
        c.put("cart", "milk,eggs,ham", client="carol")
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "4 versions, 1 current sibling" in body
        assert "● milk,eggs,ham" in body and "◆ reconciles 2" in body
        assert "○ eggs" in body and "○ ham" in body
        lines = panel.plain_lines()
        assert lines[1].startswith("now: ● milk,eggs,ham"), "the current version first, however long the past"
        merged = next(i for i, line in enumerate(lines) if i > 1 and "milk,eggs,ham" in line)
        assert merged > next(i for i, line in enumerate(lines) if i > 1 and "eggs" in line and "ham" in line
                             and "milk" not in line), "the reconciliation is drawn below what it merges"
        holders = [line for line in lines[merged:merged + 6] if "on n" in line]
        assert holders, "a current version says which replicas hold it"

        await pilot.pause()
        assert drawn(panel)[: len(lines)] == [line.rstrip() for line in lines[: panel.size.height]]


async def test_history_in_vclock_mode_shows_clocks_and_the_lost_write() -> None:
    panel = VersionHistory(id="versions")
    app = Host(panel, versioning="vclock")
    async with app.run_test(size=(120, 60)):
        c = app.cluster
        first = c.put("k", "v1", client="a")
        c.get("k", client="b")
        c.get("k", client="c")
        # Two writes over one context through one coordinator get equal clocks: the
        # paper's scheme keeps only one of them.
        c.put("k", "v2", client="b", via=first.coordinator)
        c.put("k", "v3", client="c", via=first.coordinator)
        app.selected_key = b"k"
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "(vector clocks;" in body
        assert "{" + f"{first.coordinator}:2" + "}" in body
        assert "held nowhere (lost)" in body


async def test_history_lists_read_repairs_of_the_key() -> None:
    panel = VersionHistory(id="versions")
    app = Host(panel, handoff=False)
    async with app.run_test(size=(120, 60)):
        c = app.cluster
        plist = c.ring.preference_list(b"k", 3)
        c.put("k", "v1")
        c.kill(plist[2])
        c.put("k", "v2")  # the third replica misses it (no hinted handoff)
        c.recover(plist[2])
        app.selected_key = b"k"
        panel.refresh_view(app.frame())
        assert "no read repair of k yet" in text(panel)
        c.get("k", r=3)
        c.run(SECOND)
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "read repairs of k:" in body
        assert f"→ {plist[2]}" in body


async def test_history_skips_the_rebuild_when_nothing_changed() -> None:
    panel = VersionHistory(id="versions")
    app = Host(panel)
    async with app.run_test(size=(120, 40)):
        app.cluster.put("k", "v")
        app.selected_key = b"k"
        builds: list[bytes | None] = []
        original = panel.build

        def counting(cluster: Any, key: bytes | None, *rest: Any) -> Any:
            builds.append(key)
            return original(cluster, key, *rest)

        panel.build = counting  # type: ignore[method-assign]
        panel.refresh_view(app.frame())
        panel.refresh_view(app.frame())
        assert builds == [b"k"]
        app.cluster.put("k", "w")
        panel.refresh_view(app.frame())
        assert builds == [b"k", b"k"]
        app.cluster.put("other", "w")  # events about another key: nothing to redraw
        panel.refresh_view(app.frame())
        assert builds == [b"k", b"k"]
        app.new_cluster()  # a new cluster (a reset) is a change even with an empty tape
        panel.refresh_view(app.frame())
        assert len(builds) == 3 and "no version created" in text(panel)


# -- space-time ---------------------------------------------------------------------------


def test_message_types_are_abbreviated() -> None:
    assert abbreviate("ReplicaPut") == "RPut"
    assert abbreviate("ReplicaPutAck") == "RAck"
    assert abbreviate("ClientGet") == "Get"
    assert abbreviate("ReplicaRangeGet") == "RRange"
    names = [abbreviate(name) for name in registered() if name not in ("Hello", "AdminRequest", "AdminReply")]
    assert len(names) == len(set(names)), "two message types share an arrow label"
    assert abbreviate("SomeNewMessageType") == "SomeNMT"


async def test_spacetime_draws_one_arrow_per_message_and_marks_drops() -> None:
    panel = SpaceTime(id="spacetime")
    app = Host(panel)
    async with app.run_test(size=(130, 40)) as pilot:
        panel.refresh_view(app.frame())
        assert "no messages yet" in text(panel)
        c = app.cluster
        result = c.put("k", "v")
        panel.refresh_view(app.frame())
        lines = panel.plain_lines()
        header = lines[0]
        assert header.index("clients") < header.index("n1") < header.index("n5")
        assert "following newest" in header
        arrivals = [line for line in lines[1:] if "RPut" in line]
        assert len(arrivals) == len(result.acks) - 1 or len(arrivals) == 2  # replicas besides the coordinator
        assert any("Put" in line and "→" in line for line in lines[1:3]), "the client's put arrives first"
        assert any("Reply" in line and "←" in line for line in lines), "the reply goes back left to the client"

        others = [n for n in c.nodes if n != result.coordinator]
        c.partition([[result.coordinator], others])
        c.put("k", "w", via=result.coordinator)
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "partition" in body
        dropped = [line for line in panel.plain_lines() if "✕ ReplicaPut" in line]
        assert dropped and all("partition" in line for line in dropped)

        await pilot.pause()
        shown = drawn(panel)
        assert shown[0] == panel.plain_lines()[0].rstrip()


async def test_spacetime_highlights_the_selected_key_and_names_clients() -> None:
    panel = SpaceTime(id="spacetime")
    app = Host(panel)
    async with app.run_test(size=(130, 40)):
        app.cluster.put("k", "v", client="bob")
        app.cluster.put("other", "v", client="bob")
        app.selected_key = b"k"
        panel.refresh_view(app.frame())
        lines = panel.plain_lines()
        assert any("Put bob" in line for line in lines)
        assert any("ReplicaPut k" in line for line in lines)
        assert not any("ReplicaPut other" in line for line in lines)


async def test_spacetime_follows_the_newest_until_scrolled_up() -> None:
    panel = SpaceTime(id="spacetime")
    app = Host(panel)
    async with app.run_test(size=(130, 12)) as pilot:
        c = app.cluster
        for i in range(5):
            c.put(f"k{i}", "v")
        panel.refresh_view(app.frame())
        await pilot.pause()
        assert panel.follow and panel.max_scroll_y > 0
        assert panel.scroll_y == panel.max_scroll_y
        panel.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert not panel.follow
        assert "paused" in panel.plain_lines()[0]
        c.put("more", "v")
        panel.refresh_view(app.frame())
        await pilot.pause()
        assert panel.scroll_y == 0, "a paused view stays where the user is reading"
        panel.focus()
        await pilot.press("end")
        c.put("even-more", "v")
        panel.refresh_view(app.frame())
        await pilot.pause()
        assert panel.follow and "following newest" in panel.plain_lines()[0]
        assert panel.scroll_y == panel.max_scroll_y


async def test_spacetime_keeps_a_bounded_number_of_rows_and_reads_only_new_events() -> None:
    panel = SpaceTime(id="spacetime", max_rows=40)
    app = Host(panel)
    async with app.run_test(size=(130, 20)):
        c = app.cluster
        c.put("a", "v")
        panel.refresh_view(app.frame())
        first = panel.line_count()
        for i in range(10):
            c.put(f"k{i}", "v")
            panel.refresh_view(app.frame())
        assert panel.line_count() == 40
        assert first < 40
        # the rows are the newest ones: the last put's reply is the last row
        assert "Reply" in panel.plain_lines()[-1]
        app.new_cluster()
        panel.refresh_view(app.frame())
        assert "no messages yet" in text(panel)


# -- gossip -------------------------------------------------------------------------------


async def test_gossip_matrix_shows_views_and_the_latest_rumour_spreading() -> None:
    panel = GossipPanel(id="gossip")
    app = Host(panel)
    async with app.run_test(size=(130, 50)):
        c = app.cluster
        c.run(3 * SECOND)
        panel.refresh_view(app.frame())
        lines = panel.plain_lines()
        assert "Who knows what about whom" in lines[0]
        n1 = next(line for line in lines if line.startswith("n1 "))
        assert "self" in n1 and "up " in n1

        c.kill("n3")
        c.run(12 * SECOND)
        panel.refresh_view(app.frame())
        lines = panel.plain_lines()
        n1 = next(line for line in lines if line.startswith("n1 "))
        assert "✕up" in n1, "n1 suspects n3 after its heartbeats stopped"
        assert "down: its view is frozen" in next(line for line in lines if line.startswith("n3 "))
        assert "actually down now: n3" in text(panel)

        c.recover("n3")
        c.run(1)
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "Latest rumour: n3 is up" in body
        assert "n3 (made the change" in body
        assert "1/5 know" in body and "not yet: n1, n2, n4, n5" in body

        c.run(10 * SECOND)
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "5/5 know" in body and "every node knows" in body
        assert "told by" in body


# -- merkle -------------------------------------------------------------------------------


def exchange_event(a: str, b: str, keys_a: dict[bytes, bytes], keys_b: dict[bytes, bytes],
                   time: int) -> SimpleNamespace:
    """An anti-entropy exchange event as dynviz.node.antientropy records one, built from
    two real Merkle trees (core/merkle.py) over the whole ring: every node the top-down
    comparison looked at, in both trees."""
    trees = []
    for keys in (keys_a, keys_b):
        tree = MerkleTree(0, 0, fanout=16, depth=2)
        for key, value in keys.items():
            tree.update(key, token_of(key), version_digest(value))
        trees.append(tree)
    found = diff(*trees)
    compared = [(0, 0)]
    for level, index in found.path:
        if level < 2:
            compared.extend((level + 1, index * 16 + c) for c in range(16))
    only_a = tuple(k for k in found.keys if k in keys_a)
    only_b = tuple(k for k in found.keys if k not in keys_a)
    return SimpleNamespace(
        kind="antientropy", time=time, a=a, b=b, range_index=3, lo=0, hi=0,
        hashes_compared=found.hashes_compared, path=found.path, leaves=found.differing_leaves,
        keys_sent_by_a=only_a, keys_sent_by_b=only_b, bytes_moved=42 * len(found.keys), key_digests=2,
        tree_a=tuple((pos, trees[0].node_hash(*pos).hex()[:8]) for pos in compared),
        tree_b=tuple((pos, trees[1].node_hash(*pos).hex()[:8]) for pos in compared),
        describe=lambda: f"anti-entropy {a} <-> {b}",
    )


async def test_merkle_says_when_no_exchange_happened() -> None:
    panel = MerklePanel(id="merkle")
    app = Host(panel)
    async with app.run_test(size=(120, 40)):
        panel.refresh_view(app.frame())
        assert "no anti-entropy exchange yet — press a or type antientropy n1 n2" in text(panel)


async def test_merkle_draws_both_trees_the_differing_path_and_the_keys_exchanged() -> None:
    panel = MerklePanel(id="merkle")
    app = Host(panel)
    async with app.run_test(size=(120, 80)) as pilot:
        shared = {f"key:{i}".encode(): b"v" for i in range(20)}
        event = exchange_event("n1", "n4", {**shared, b"only-on-a": b"x"}, {**shared, b"only-on-b": b"y"},
                               time=2 * SECOND)
        app.bus.emit(event)  # type: ignore[arg-type]
        app.selected_key = b"only-on-a"
        panel.refresh_view(app.frame())
        lines = panel.plain_lines()
        body = text(panel)
        assert "latest exchange: n1 ⇄ n4" in lines[0] and "range 3" in lines[0]
        assert f"{event.hashes_compared} hashes compared" in body
        assert "2 leaves differ" in body and "2 keys exchanged" in body
        tree_header = next(i for i, line in enumerate(lines) if line.startswith("tree of n1"))
        assert "tree of n4" in lines[tree_header]
        root = lines[tree_header + 1]
        assert root.count("● root") == 2 and "≠" in root
        assert sum(1 for line in lines if "keys compared here" in line) == 2
        assert sum(1 for line in lines if line.startswith(("├─ ○", "╰─ ○"))) >= 14, "equal children dimmed"
        assert any("equal" in line and "…" in line for line in lines), "runs of equal leaves are folded"
        assert any(line.startswith("n1 → n4 (1): only-on-a") for line in lines)
        assert any(line.startswith("n4 → n1 (1): only-on-b") for line in lines)

        in_sync = exchange_event("n2", "n5", shared, shared, time=3 * SECOND)
        app.bus.emit(in_sync)  # type: ignore[arg-type]
        panel.refresh_view(app.frame())
        body = text(panel)
        assert "that found differences: n1 ⇄ n4" in body
        assert "since then 1 exchange found the replicas in sync (latest n2 ⇄ n5" in body

        panel.show_pair("n2", "n5")
        body = text(panel)
        assert "latest exchange between n2 and n5: n2 ⇄ n5" in body and "in sync: the roots are equal" in body
        panel.show_pair("n3", "n4")
        assert "no anti-entropy exchange yet — press a or type antientropy n3 n4" in text(panel)
        panel.show_pair(None)
        await pilot.pause()
        assert any("tree of n1" in line for line in drawn(panel))


async def test_spacetime_can_hide_background_gossip_and_anti_entropy() -> None:
    panel = SpaceTime(id="spacetime")
    app = Host(panel)
    async with app.run_test(size=(130, 30)) as pilot:
        c = app.cluster
        c.run(3 * SECOND)  # gossip rounds
        c.put("k", "v")
        panel.refresh_view(app.frame())
        assert any("GPush" in line for line in panel.plain_lines())
        panel.focus()
        await pilot.press("o")
        lines = panel.plain_lines()
        assert not any("GPush" in line or "GPull" in line for line in lines)
        assert any("RPut" in line for line in lines)
        assert "gossip/AE hidden (o)" in lines[0]
        await pilot.press("o")
        assert any("GPush" in line for line in panel.plain_lines())
