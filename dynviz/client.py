"""Clients of the store: they remember contexts, pick an entry node, and see results.

A client keeps, per key, the opaque context of its last get or put (so its next put
supersedes exactly what it saw, paper section 4.4) and the node that answered (the next
put's coordinator, for read-your-writes). Two routing modes (paper section 4.5 and the
seed notes):

* ``aware``: a partition-aware client library holds the ring and sends straight to a
  coordinator: the replier of the last read (read-your-writes), else the first node of
  the preference list (zero-hop).
* ``lb``: a load balancer picks any node; if that node is not a replica it forwards,
  one extra hop.

Either way the entry point is chosen among nodes whose process is up, as a load
balancer's health check or a client's connection error would tell it; whether a node
is reachable from other nodes is left to the nodes' own failure detectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from dynviz.core.versions import Siblings
from dynviz.events import ClientAnswered


@dataclass(frozen=True, slots=True)
class VersionView:
    """One sibling as a client or a view sees it."""

    value: bytes | None
    dot: tuple[str, int]
    clock: dict[str, int]
    timestamp: int

    @property
    def is_tombstone(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class PutResult:
    """What a put or delete came to. Frozen, without ``__slots__``: one is made per
    request, and its ``__init__`` (written out, below) fills every field with one dict
    update instead of the generated frozen ``__init__``'s ``object.__setattr__`` per
    field (about 23k instructions for these 15 fields, a fifteenth of a put)."""

    ok: bool
    op: str
    key: bytes
    value: bytes | None
    coordinator: str = ""
    acks: tuple[str, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()
    error: str = ""
    context: str | None = None
    siblings: Siblings | None = None  # what the coordinator holds after the write
    entry: str = ""
    hops: int = 0
    started: int = 0
    finished: int = 0
    req: int = 0

    def __init__(self, ok: bool, op: str, key: bytes, value: bytes | None, coordinator: str = "",
                 acks: tuple[str, ...] = (), hints: tuple[tuple[str, str], ...] = (), error: str = "",
                 context: str | None = None, siblings: Siblings | None = None, entry: str = "", hops: int = 0,
                 started: int = 0, finished: int = 0, req: int = 0) -> None:
        # The fields' own defaults, in their order (tests/test_client.py holds them alike).
        self.__dict__.update(ok=ok, op=op, key=key, value=value, coordinator=coordinator, acks=acks, hints=hints,
                             error=error, context=context, siblings=siblings, entry=entry, hops=hops,
                             started=started, finished=finished, req=req)

    @property
    def values(self) -> tuple[bytes, ...]:
        return live_values(self.siblings)


@dataclass(frozen=True)
class GetResult:
    """What a get came to. Made like :class:`PutResult` (one per request): no
    ``__slots__``, every field set in one dict update."""

    ok: bool
    key: bytes
    siblings: Siblings | None = None
    context: str | None = None
    coordinator: str = ""
    replier: str | None = None
    replies: tuple[str, ...] = ()
    error: str = ""
    entry: str = ""
    hops: int = 0
    started: int = 0
    finished: int = 0
    req: int = 0

    def __init__(self, ok: bool, key: bytes, siblings: Siblings | None = None, context: str | None = None,
                 coordinator: str = "", replier: str | None = None, replies: tuple[str, ...] = (),
                 error: str = "", entry: str = "", hops: int = 0, started: int = 0, finished: int = 0,
                 req: int = 0) -> None:
        self.__dict__.update(ok=ok, key=key, siblings=siblings, context=context, coordinator=coordinator,
                             replier=replier, replies=replies, error=error, entry=entry, hops=hops,
                             started=started, finished=finished, req=req)

    @property
    def values(self) -> tuple[bytes, ...]:
        """The sibling values (deletes left out): what an application reads."""
        return live_values(self.siblings)

    @property
    def versions(self) -> tuple[VersionView, ...]:
        """Every sibling with its clock (built on demand: the hot path never needs it)."""
        return version_views(self.siblings)


@dataclass(frozen=True, slots=True)
class RangeResult:
    """A range read over a key group: ``entries`` are ``(key, siblings)`` in the order
    asked for; ``more`` says the range holds keys past the last one returned."""

    ok: bool
    key: bytes
    entries: tuple[tuple[bytes, Siblings], ...] = ()
    more: bool = False
    coordinator: str = ""
    replies: tuple[str, ...] = ()
    error: str = ""
    entry: str = ""
    hops: int = 0
    started: int = 0
    finished: int = 0
    req: int = 0


def live_values(siblings: Siblings | None) -> tuple[bytes, ...]:
    if siblings is None:
        return ()
    return tuple(v.value for v in siblings.versions if v.value is not None)


def version_views(siblings: Siblings | None) -> tuple[VersionView, ...]:
    if siblings is None:
        return ()
    return tuple(VersionView(v.value, v.dot, v.clock.as_dict(), v.timestamp) for v in siblings.versions)


def answered(now: int, req: int, client: str, started: int, result: PutResult | GetResult) -> ClientAnswered:
    """What ``client`` saw of request ``req``, as an event for the metrics: a get's
    values and how many versions it saw (tombstones counted), a put's value."""
    if isinstance(result, GetResult):
        siblings = result.siblings
        values, versions = result.values, (len(siblings.versions) if siblings is not None else 0)
        op = "get"
    else:
        values, versions, op = (() if result.value is None else (result.value,)), 1, result.op
    return ClientAnswered(now, req, op, result.key, client, result.ok, result.coordinator, started, values, versions,
                          result.error)


# -- the trace's records of requests and results ------------------------------------
#
# Every get and put writes two records, each the repr of a tuple (events.Trace), and a
# repr costs about 700 instructions a field (a str or bytes is scanned for escapes and
# copied): more than a tenth of a request's work for the trace alone. The fields that
# come back request after request (the client, the key, the options, the entry node;
# the coordinator, the error) are rendered once and kept as text, so a record is a few
# pieces joined. The text is exactly the repr: tests/test_client.py holds them alike.

_TEXTS_MAX = 8192
"""Entries each text cache keeps before it starts again (they hold only text)."""

_request_texts: dict[tuple[str, str, bytes, int | None, int | None, int | None, str | None, str],
                     tuple[str, str]] = {}
"""(op, client, key, n, quorum, primaries, via, entry) -> the text of a request record
around its value: ``"'put', 'writer', b'k', "`` and ``", None, None, None, None, 'n1'"``."""


def request_line(started: int, req: int, op: str, client: str, key: bytes, value: bytes | None, n: int | None,
                 quorum: int | None, primaries: int | None, via: str | None, entry: str) -> str:
    """``repr(("request", started, req, op, client, key, value, n, quorum, primaries, via,
    entry))`` without its closing parenthesis (a record may add a field). Its value and
    numbers are rendered each time, the rest found in ``_request_texts``."""
    around = (op, client, key, n, quorum, primaries, via, entry)
    texts = _request_texts.get(around)
    if texts is None:
        if len(_request_texts) >= _TEXTS_MAX:
            _request_texts.clear()
        texts = _request_texts[around] = (f"{op!r}, {client!r}, {key!r}, ",
                                          f", {n!r}, {quorum!r}, {primaries!r}, {via!r}, {entry!r}")
    before, after = texts
    return f"('request', {started!r}, {req!r}, {before}{value!r}{after}"


_result_texts: dict[tuple[str, bytes, bool, str, str], tuple[str, str, str]] = {}
"""(op, key, ok, coordinator, error) -> the text of a result record around its time and
its dots: ``"('put', "``, ``", b'k', True, 'n1', "`` and ``", '')"``."""


def result_line(result: PutResult | GetResult | RangeResult) -> str:
    """The trace's record of a result, repr of (op, finished, key, ok, coordinator, dots, error)
    (pieces of text for a get or put, see above); the messages are traced already, the
    dots pin the result."""
    if isinstance(result, RangeResult):
        return repr(("range", result.finished, result.key, result.ok, result.coordinator,
                     tuple((k, tuple(map(_dot, s.versions))) for k, s in result.entries), result.more, result.error))
    siblings = result.siblings
    if isinstance(result, GetResult):
        op = "get"
        dots = _dots_text(siblings)
    else:
        op = result.op
        dots = repr(tuple(map(_dot, siblings.versions))) if siblings is not None else "()"
    around = (op, result.key, result.ok, result.coordinator, result.error)
    texts = _result_texts.get(around)
    if texts is None:
        if len(_result_texts) >= _TEXTS_MAX:
            _result_texts.clear()
        op, key, ok, coordinator, error = around
        texts = _result_texts[around] = (f"({op!r}, ", f", {key!r}, {ok!r}, {coordinator!r}, ", f", {error!r})")
    head, middle, tail = texts
    return f"{head}{result.finished!r}{middle}{dots}{tail}"


_dot = attrgetter("dot")

_dots_texts: dict[int, tuple[Siblings, str]] = {}
"""id of a get's siblings -> (those siblings, the repr of their dots). Replicas of an
unchanged key hand back the very object they store, so repeated reads find it here. The
entry holds the siblings, so the id cannot be reused while it lives."""


def _dots_text(siblings: Siblings | None) -> str:
    if siblings is None:
        return "()"
    found = _dots_texts.get(id(siblings))
    if found is not None and found[0] is siblings:
        return found[1]
    text = repr(tuple(map(_dot, siblings.versions)))
    if len(_dots_texts) >= 8192:  # bounded: only a cache of text
        _dots_texts.clear()
    _dots_texts[id(siblings)] = (siblings, text)
    return text


@dataclass(slots=True)
class Client:
    """A named client's memory: contexts and what it read, per key."""

    name: str
    routing: str = "aware"
    contexts: dict[bytes, str] = field(default_factory=dict)
    repliers: dict[bytes, str | None] = field(default_factory=dict)

    endpoint: str = ""

    def __post_init__(self) -> None:
        self.endpoint = f"client:{self.name}"

    def remember(self, result: GetResult | PutResult) -> None:
        if result.ok and result.context is not None:
            self.contexts[result.key] = result.context
            self.repliers[result.key] = (
                result.replier if isinstance(result, GetResult) else result.coordinator)

    def forget(self, key: bytes) -> None:
        self.contexts.pop(key, None)
        self.repliers.pop(key, None)
