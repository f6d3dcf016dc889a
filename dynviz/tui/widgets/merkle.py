"""Merkle: the last anti-entropy exchange, both replicas' trees side by side.

Two replicas of a key range compare Merkle trees top-down (paper section 4.7): equal
roots end the exchange after one hash; otherwise only children of differing nodes are
compared, and only keys under differing leaves are shipped. The panel draws what the
initiator recorded (an ``antientropy`` exchange event on the tape): every node compared
in both trees, differing ones highlighted, equal ones dimmed, then the keys each side
sent and what it cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynviz.tui.widgets.lines import Line, LinesView, fmt_time, new_since, printable
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.tui.view import ClusterView, Frame

KEEP = 200
"""Exchanges remembered (for picking the latest of a pair or of a node)."""
HASH_COLUMN = 16
"""Column of the hash in a tree half (after the guides and the node's label)."""
HALF = 30
MAX_KEYS = 24


def _is_exchange(event: Any) -> bool:
    return getattr(event, "kind", "") == "antientropy" and hasattr(event, "tree_a")


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KiB"


def _label(level: int, index: int, fanout: int) -> str:
    """A node by its path from the root: child 3 of child 7 is ``7.3``."""
    if level == 0:
        return "root"
    digits = []
    for _ in range(level):
        index, digit = divmod(index, fanout)
        digits.append(str(digit))
    return ".".join(reversed(digits))


class MerklePanel(LinesView):
    """The latest anti-entropy exchange (or the latest of a chosen pair, or of the
    selected node): two trees side by side, the differing path, the keys exchanged."""

    DEFAULT_CSS = """
    MerklePanel > .merkle--title { color: $text; text-style: bold; }
    MerklePanel > .merkle--note { color: $text-muted; }
    MerklePanel > .merkle--head { color: $text; text-style: bold; }
    MerklePanel > .merkle--guide { color: $text-disabled; }
    MerklePanel > .merkle--same { color: $text-disabled; }
    MerklePanel > .merkle--diff { color: $error; text-style: bold; }
    MerklePanel > .merkle--leaf { color: $warning; text-style: bold; }
    MerklePanel > .merkle--key { color: $accent; }
    MerklePanel > .merkle--selected { color: $warning; text-style: bold reverse; }
    MerklePanel > .merkle--abandoned { color: $warning; }
    """
    COMPONENT_CLASSES = {
        "merkle--title", "merkle--note", "merkle--head", "merkle--guide", "merkle--same",
        "merkle--diff", "merkle--leaf", "merkle--key", "merkle--selected", "merkle--abandoned",
    }
    ROLE_PREFIX = "merkle"

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.pair: tuple[str, str] | None = None
        """When set, show the latest exchange between these two replicas (either way)."""
        self._events: list[Any] = []  # antientropy events, oldest first (completed or not)
        self._last_log: object = None
        self._source: tuple[object, object] = (None, None)
        self._frame: Frame | None = None

    def show_pair(self, a: str | None, b: str | None = None) -> None:
        """Show the latest exchange between ``a`` and ``b`` (``None``: the latest of all)."""
        self.pair = (a, b) if a is not None and b is not None else None
        self._signature = None
        if self.is_mounted and self._frame is not None:
            self.refresh_view(self._frame)

    def refresh_view(self, frame: Frame) -> None:
        self._frame = frame
        cluster, tape, selected = frame.view, frame.tape, frame.node
        log = tape.log
        if self.unchanged(cluster, tape, len(log), log[-1] if log else None, selected, frame.key, self.pair):
            return
        if (cluster, tape) != self._source:
            self._source = (cluster, tape)
            self._events, self._last_log = [], None
        fresh = new_since(log, self._last_log)
        if fresh is None:
            self._events, fresh = [], list(log)
        self._last_log = log[-1] if log else None
        self._events.extend(e for e in fresh if getattr(e, "kind", "") == "antientropy")
        del self._events[:-KEEP]
        self.set_lines(self.build(cluster, selected, frame.key))

    # -- the picture -----------------------------------------------------------------------

    def _pick(self, selected: str | None) -> tuple[Any | None, str, list[Any]]:
        """The exchange to draw, what it is, and the in-sync exchanges after it.

        The latest exchange that found a difference is drawn rather than a later one
        that found none (periodic exchanges are mostly in sync; the picture worth
        seeing is the one that repaired something); the later ones are counted."""
        exchanges = [e for e in self._events if _is_exchange(e)]
        what = "latest exchange"
        if self.pair is not None:
            pair = set(self.pair)
            exchanges = [e for e in exchanges if {e.a, e.b} == pair]
            what = f"latest exchange between {' and '.join(self.pair)}"
        elif selected is not None and any(selected in (e.a, e.b) for e in exchanges):
            exchanges = [e for e in exchanges if selected in (e.a, e.b)]
            what = f"latest exchange of the selected node {selected}"
        for i in range(len(exchanges) - 1, -1, -1):
            if getattr(exchanges[i], "path", ()):
                later = exchanges[i + 1:]
                return exchanges[i], what + (" that found differences" if later else ""), later
        return (exchanges[-1] if exchanges else None), what, []

    def build(self, cluster: ClusterView, selected: str | None, key: bytes | None) -> list[Line]:
        lines: list[Line] = []
        if not cluster.config.antientropy:
            lines.append((("anti-entropy is off in this cluster (start one with antientropy=on)", "note"),))
        event, what, later = self._pick(selected)
        last = self._events[-1] if self._events else None
        if last is not None and not _is_exchange(last):
            lines.append((("last session: ", "note"), (last.describe(), "abandoned")))
        if event is None:
            pair = f"antientropy {' '.join(self.pair)}" if self.pair else "antientropy n1 n2"
            lines.append(((f"no anti-entropy exchange yet — press a or type {pair}", "note"),))
            return lines
        lines.extend(self._summary(event, what))
        if later:
            lines.append(((f"since then {len(later)} exchange{'s' * (len(later) != 1)} found the replicas "
                           f"in sync (latest {later[-1].a} ⇄ {later[-1].b} at {fmt_time(later[-1].time)})",
                           "note"),))
        lines.append(())
        lines.extend(self._trees(event))
        lines.append(())
        lines.extend(self._keys(event, key))
        return lines

    @staticmethod
    def _summary(event: Any, what: str) -> list[Line]:
        a, b = event.a, event.b
        lo, hi = getattr(event, "lo", 0), getattr(event, "hi", 0)
        path = tuple(getattr(event, "path", ()))
        leaves = tuple(getattr(event, "leaves", ()))
        sent_a = tuple(getattr(event, "keys_sent_by_a", ()))
        sent_b = tuple(getattr(event, "keys_sent_by_b", ()))
        span = f"({lo:032x}"[:9] + "…, " + f"{hi:032x}"[:8] + "…]"
        head: Line = ((f"{what}: ", "note"), (f"{a} ⇄ {b}", "title"),
                      (f"  range {getattr(event, 'range_index', '?')} {span}  at {fmt_time(event.time)}", "note"))
        if not path:
            return [head, (("in sync: the roots are equal (1 hash compared), nothing to exchange", "head"),)]
        digests = getattr(event, "key_digests", None)
        return [head, (
            (f"{plural(getattr(event, 'hashes_compared', 0), 'hash', 'hashes')} compared", "head"),
            (f" · {len(leaves)} {'leaf differs' if len(leaves) == 1 else 'leaves differ'}", "leaf"),
            (f" · {plural(len(sent_a) + len(sent_b), 'key')} exchanged", "key"),
            (f" · {_size(getattr(event, 'bytes_moved', 0))} moved", "head"),
            (f" · {digests} key digests" if digests is not None else "", "note"),
        )]

    def _trees(self, event: Any) -> list[Line]:
        tree_a = dict(getattr(event, "tree_a", ()))
        tree_b = dict(getattr(event, "tree_b", ()))
        if not tree_a and not tree_b:
            return [(("(the exchange recorded no tree nodes)", "note"),)]
        positions = set(tree_a) | set(tree_b)
        differing = set(getattr(event, "path", ()))
        leaves = set(getattr(event, "leaves", ()))
        deepest = max(level for level, _ in positions)
        fanout = len([p for p in positions if p[0] == 1]) or 16
        children: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for level, index in sorted(positions):
            if level:
                children.setdefault((level - 1, index // fanout), []).append((level, index))

        lines: list[Line] = [
            ((f"tree of {event.a}".ljust(HALF), "head"), ("   ", ""), (f"tree of {event.b}".ljust(HALF), "head")),
        ]

        def walk(pos: tuple[int, int], guides: str, last: bool) -> None:
            level, index = pos
            if level == 0:
                prefix = ""
            else:
                prefix = guides + ("╰─ " if last else "├─ ")
            differs = pos in differing or tree_a.get(pos) != tree_b.get(pos)
            is_leaf = level == deepest and index in leaves
            role = "leaf" if is_leaf else "diff" if differs else "same"
            mark = "●" if differs else "○"
            name = f"{mark} {_label(level, index, fanout)}"

            def half(tree: dict[tuple[int, int], str]) -> list[tuple[str, str]]:
                body = name.ljust(max(HASH_COLUMN - len(prefix), len(name) + 1)) + tree.get(pos, "--------")
                return [(prefix, "guide"), (body.ljust(HALF - len(prefix)), role)]

            row = [*half(tree_a), (" ≠ " if differs else "   ", "diff" if differs else "same"), *half(tree_b)]
            if is_leaf:
                row.append(("  keys compared here", "leaf"))
            lines.append(tuple(row))
            below = guides + ("   " if last else "│  ") if level else ""
            parts = self._runs(children.get(pos, []), level + 1 >= 2,
                               lambda p: p in differing or tree_a.get(p) != tree_b.get(p))
            for i, part in enumerate(parts):
                end = i == len(parts) - 1
                if isinstance(part, tuple):
                    walk(part, below, end)
                    continue
                first, final = part[0], part[-1]
                text = (f"○ {_label(*first, fanout)} … {_label(*final, fanout)}: {len(part)} equal"
                        .ljust(HALF - len(below) - 3))
                guide = below + ("╰─ " if end else "├─ ")
                lines.append(((guide, "guide"), (text, "same"), ("   ", ""), (guide, "guide"), (text, "same")))

        walk((0, 0), "", True)
        if differing:
            lines.append((("● differs  ○ equal  ", "note"), ("leaf", "leaf"),
                          (": a differing leaf, whose keys were compared one by one", "note")))
        return lines

    @staticmethod
    def _runs(kids: list[tuple[int, int]], fold: bool,
              differs: Any) -> list[tuple[int, int] | list[tuple[int, int]]]:
        """Kids in order, with runs of three or more equal ones folded into a list
        (when ``fold``: below the root's children, where most leaves are equal)."""
        out: list[tuple[int, int] | list[tuple[int, int]]] = []
        run: list[tuple[int, int]] = []
        for kid in [*kids, None]:
            if kid is not None and fold and not differs(kid):
                run.append(kid)
                continue
            out.extend([run] if len(run) >= 3 else run)
            run = []
            if kid is not None:
                out.append(kid)
        return out

    @staticmethod
    def _keys(event: Any, key: bytes | None) -> list[Line]:
        lines: list[Line] = []
        for src, dst, keys in ((event.a, event.b, tuple(getattr(event, "keys_sent_by_a", ()))),
                               (event.b, event.a, tuple(getattr(event, "keys_sent_by_b", ())))):
            row: list[tuple[str, str]] = [(f"{src} → {dst} ", "head"), (f"({len(keys)}): ", "note")]
            if not keys:
                row.append(("nothing", "note"))
            for i, k in enumerate(sorted(keys)[:MAX_KEYS]):
                row.append((", " if i else "", "note"))
                row.append((printable(k, 24), "selected" if k == key else "key"))
            if len(keys) > MAX_KEYS:
                row.append((f", … {len(keys) - MAX_KEYS} more", "note"))
            lines.append(tuple(row))
        return lines
