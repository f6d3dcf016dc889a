"""The little language of lessons: ``wait until PREDICATE`` and ``expect CHECK``.

The command parser keeps the text after ``wait until`` and ``expect`` raw; this module
parses it (errors are :class:`~dynviz.commands.CommandError` with the line and column of
the lesson file) and evaluates it against the running cluster and the events seen since
the lesson built its current cluster.

Predicates (``wait until P``; also allowed after ``expect``). Words in capitals are
yours: NODE a node name, KEY a key (quote it if it has spaces), N a whole number, OP one
of ``>= > == <= <`` (``=`` means ``==``), DURATION like ``5s`` or ``200ms``.

===================================  =========================================================
``hint stored [for NODE] [of KEY]``  a fallback stored a hint (meant for NODE, of KEY)
``hint delivered [to NODE] [of KEY]`` a hint was handed back (to NODE, of KEY)
``NODE suspected by all``            every other live node's failure detector suspects NODE now
``NODE suspected by NODE2``          NODE2's failure detector suspects NODE now
``NODE trusted by all``              no live node suspects NODE now
``NODE knows NODE2 is STATUS``       NODE's gossip view says NODE2 is STATUS (up, joining, leaving, left, ...)
``all know NODE2 is STATUS``         every live node's gossip view says so
``siblings KEY OP N``                the most siblings any node of KEY's preference list stores
``ring change committed [for NODE]`` a join/leave/remove (of NODE) committed
``read repair [of KEY]``             a coordinator pushed a read repair (of KEY)
``antientropy exchanged [KEY]``      a Merkle exchange shipped at least one key (KEY)
``hints OP N``                       hints held in the whole cluster now
``NODE is up`` / ``NODE is down``    the node's process is running / crashed
``quiet``                            nothing in flight, no request or hint outstanding
``time OP DURATION``                 the cluster's virtual time
===================================  =========================================================

``P and P ...`` holds when every part holds.

Checks (``expect C``), evaluated once when the step runs:

* ``[as CLIENT] get KEY [via=NODE] [n=N] [r=N] [pr=N] [siblings=N] [values=a,b] [ok|fails]``:
  performs a real get (``Executor.execute``, run to its answer even while messages are
  held; it reads, repairs and changes the client's context, like any get) and checks the number of siblings, the values (order does not
  matter; ``values=`` alone means none) and whether it succeeded. With ``siblings`` or
  ``values`` the get must also succeed.
* ``inspect KEY on NODE has VALUE`` / ``inspect KEY on NODE lacks VALUE``: what NODE stores
  for KEY (not its hints), without any request.
* ``hints=N``: the number of hints held in the whole cluster.
* ``node NODE is up`` / ``node NODE is down``.
* ``table COMMAND ... => [count=N] [scanned=N] [records=N] [ok|fails|throttled]
  [found|missing] [cached]``: runs a table command (a real request) and checks its
  outcome (Count/ScannedCount of a query or scan, records of a stream read, ...).
* any predicate above, checked once.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.commands.lexer import lex
from dynviz.core.hashing import as_key
from dynviz.core.membership import STATUSES
from dynviz.events import Event, HintDelivered, HintStored, ReadRepair, RingChange
from dynviz.executor import Executor, show_bytes
from dynviz.wording import plural

_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DURATION = re.compile(r"([0-9]+)(us|ms|s|m)")
_UNITS = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000}
_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, ">": operator.gt, "==": operator.eq, "=": operator.eq, "<=": operator.le,
    "<": operator.lt, "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    column: int  # 1-based, in the lesson line
    quoted: bool = False


def tokenize(text: str, line: int, column: int) -> list[Word]:
    """Split ``text`` (which starts at ``column`` of lesson line ``line``) into words.

    The command language's lexer does it (:mod:`dynviz.commands.lexer`, so a quoted
    string and its escapes read as in any command), with comparison operators as words of
    their own even without spaces (``time>=5s``); ``name=value`` stays one word, its
    value quoted or not (``values="a b"``)."""
    words = []
    for t in lex(text, line, column=column, operators=True).tokens:
        shown = t.value if t.key is None else f"{t.key}={t.value}"
        words.append(Word(shown, column + t.start, t.quoted))
    return words


# -- evaluation context ----------------------------------------------------------------


@dataclass(slots=True)
class Context:
    """What a predicate looks at: the cluster now and the events since the lesson built
    it (the lesson runner keeps the events list)."""

    cluster: Cluster
    events: list[Event] = field(default_factory=list)
    executor: Executor | None = None


def _live(cluster: Cluster) -> list[str]:
    return [n for n in cluster.nodes if cluster.is_up(n) and n not in cluster.departed]


def _max_siblings(cluster: Cluster, key: str) -> int:
    ins = cluster.inspect(key)
    return max((len(r.versions) for r in ins.replicas if r.node in ins.preference_list), default=0)


# -- predicates ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Predicate:
    text: str
    test: Callable[[Context], bool]
    nodes: tuple[Word, ...] = ()

    def holds(self, ctx: Context) -> bool:
        return self.test(ctx)

    def unknown_node(self, cluster: Cluster, line: int) -> c.CommandError | None:
        """An error for a node the predicate names that the cluster does not have."""
        return _unknown_node(self.nodes, cluster, line)


def _unknown_node(nodes: tuple[Word, ...], cluster: Cluster, line: int) -> c.CommandError | None:
    """An error for the first of ``nodes`` (as a predicate or check names them) that the
    cluster does not have."""
    for word in nodes:
        if word.text not in cluster.nodes:
            return c.CommandError(line, word.column, f"unknown node {word.text!r}; the nodes are "
                                  f"{', '.join(cluster.nodes)}")
    return None


class _Reader:
    def __init__(self, words: list[Word], line: int, end_column: int, what: str) -> None:
        self.words = words
        self.i = 0
        self.line = line
        self.end_column = end_column
        self.what = what
        self.nodes: list[Word] = []

    def fail(self, column: int, message: str) -> c.CommandError:
        return c.CommandError(self.line, column, message)

    def peek(self, offset: int = 0) -> Word | None:
        j = self.i + offset
        return self.words[j] if j < len(self.words) else None

    def at(self, *texts: str) -> bool:
        word = self.peek()
        return word is not None and not word.quoted and word.text in texts

    def end(self, after: str = "") -> None:
        """Fail on a word left over once a term is complete."""
        word = self.peek()
        if word is not None:
            raise self.fail(word.column, f"unexpected {word.text!r}{after}")

    def take(self, what: str) -> Word:
        word = self.peek()
        if word is None:
            raise self.fail(self.end_column, f"expected {what} at the end of the {self.what}")
        self.i += 1
        return word

    def keyword(self, *texts: str) -> Word:
        word = self.take(" or ".join(repr(t) for t in texts))
        if word.quoted or word.text not in texts:
            raise self.fail(word.column, f"expected {' or '.join(repr(t) for t in texts)}, got {word.text!r}")
        return word

    def node(self, what: str = "a node name") -> str:
        word = self.take(what)
        if word.quoted or not _NAME.fullmatch(word.text) or word.text in ("all", "and"):
            raise self.fail(word.column, f"expected {what}, got {word.text!r}")
        self.nodes.append(word)
        return word.text

    def status(self) -> str:
        word = self.take("a status (" + ", ".join(STATUSES) + ")")
        if word.quoted or word.text not in STATUSES:
            raise self.fail(word.column, f"expected a status ({', '.join(STATUSES)}), got {word.text!r}")
        return word.text

    def key(self) -> str:
        word = self.take("a key")
        if not word.text:
            raise self.fail(word.column, "expected a non-empty key")
        return word.text

    def number(self, what: str = "a whole number") -> int:
        word = self.take(what)
        if not word.text.isdigit() or len(word.text) > 18:
            raise self.fail(word.column, f"expected {what}, got {word.text!r}")
        return int(word.text)

    def op(self) -> Callable[[int, int], bool]:
        word = self.take("a comparison (>=, >, ==, <=, <)")
        if word.text not in _OPS:
            raise self.fail(word.column, f"expected a comparison (>=, >, ==, <=, <), got {word.text!r}")
        return _OPS[word.text]

    def duration(self) -> int:
        word = self.take("a duration like 5s")
        m = _DURATION.fullmatch(word.text)
        if not m:
            raise self.fail(word.column, f"expected a duration like 5s or 200ms, got {word.text!r}")
        return int(m.group(1)) * _UNITS[m.group(2)]

    def optional(self, keyword: str, read: Callable[[], str]) -> str | None:
        if self.at(keyword):
            self.i += 1
            return read()
        return None


def _events(kind: type, ctx: Context, test: Callable[[Any], bool]) -> bool:
    return any(isinstance(e, kind) and test(e) for e in ctx.events)


def _term(r: _Reader) -> Callable[[Context], bool]:
    first = r.peek()
    if first is None:
        raise r.fail(r.end_column, "expected a predicate")
    word = first.text if not first.quoted else ""
    if word == "hint":
        r.i += 1
        verb = r.keyword("stored", "delivered")
        if verb.text == "stored":
            target = r.optional("for", r.node)
            key = r.optional("of", r.key)
            kb = as_key(key) if key is not None else None
            return lambda ctx: _events(HintStored, ctx, lambda e: (target is None or e.intended == target)
                                       and (kb is None or e.key == kb))
        target = r.optional("to", r.node)
        key = r.optional("of", r.key)
        kb = as_key(key) if key is not None else None
        return lambda ctx: _events(HintDelivered, ctx, lambda e: (target is None or e.intended == target)
                                   and (kb is None or e.key == kb))
    if word == "siblings":
        r.i += 1
        of = r.key()
        op = r.op()
        n = r.number()
        return lambda ctx: op(_max_siblings(ctx.cluster, of), n)
    if word == "ring":
        r.i += 1
        r.keyword("change")
        r.keyword("committed")
        target = r.optional("for", r.node)
        return lambda ctx: _events(RingChange, ctx, lambda e: e.phase == "committed" and (
            target is None or e.change.split()[-1] == target))
    if word == "read":
        r.i += 1
        r.keyword("repair")
        key = r.optional("of", r.key)
        kb = as_key(key) if key is not None else None
        return lambda ctx: _events(ReadRepair, ctx, lambda e: kb is None or e.key == kb)
    if word == "antientropy":
        r.i += 1
        r.keyword("exchanged")
        key = r.key() if r.peek() is not None and not r.at("and") else None
        kb = as_key(key) if key is not None else None

        def exchanged(e: Any) -> bool:
            keys = set(getattr(e, "keys_sent_by_a", ())) | set(getattr(e, "keys_sent_by_b", ()))
            return bool(keys) if kb is None else kb in keys

        return lambda ctx: any(e.kind == "antientropy" and hasattr(e, "keys_sent_by_a") and exchanged(e)
                               for e in ctx.events)
    if word == "hints":
        r.i += 1
        op = r.op()
        n = r.number()
        return lambda ctx: op(sum(len(node.hints) for node in ctx.cluster.nodes.values()), n)
    if word == "time":
        r.i += 1
        op = r.op()
        micros = r.duration()
        return lambda ctx: op(ctx.cluster.now, micros)
    if word == "quiet":
        r.i += 1
        return lambda ctx: ctx.cluster.quiet()
    if word == "all":
        r.i += 1
        r.keyword("know")
        subject = r.node()
        r.keyword("is")
        status = r.status()
        return lambda ctx: all(_status(ctx.cluster, o, subject) == status for o in _live(ctx.cluster))
    subject = r.node("a predicate (see 'wait until' in the README)")
    verb = r.keyword("suspected", "trusted", "knows", "is")
    if verb.text == "is":
        state = r.keyword("up", "down").text
        return lambda ctx: ctx.cluster.is_up(subject) == (state == "up")
    if verb.text == "knows":
        other = r.node()
        r.keyword("is")
        status = r.status()
        return lambda ctx: _status(ctx.cluster, subject, other) == status
    r.keyword("by")
    if r.at("all"):
        r.i += 1
        if verb.text == "suspected":
            return lambda ctx: all(subject in ctx.cluster.nodes[o].detector.suspected()
                                   for o in _live(ctx.cluster) if o != subject)
        return lambda ctx: not any(subject in ctx.cluster.nodes[o].detector.suspected()
                                   for o in _live(ctx.cluster) if o != subject)
    observer = r.node()
    if verb.text == "suspected":
        return lambda ctx: subject in ctx.cluster.nodes[observer].detector.suspected()
    return lambda ctx: subject not in ctx.cluster.nodes[observer].detector.suspected()


def _status(cluster: Cluster, observer: str, subject: str) -> str | None:
    member = cluster.gossip_of(observer).view.members.get(subject)
    return None if member is None else member.status


def parse_predicate(text: str, line: int = 1, column: int = 1) -> Predicate:
    """Parse a predicate that starts at ``column`` of lesson line ``line``."""
    words = tokenize(text, line, column)
    r = _Reader(words, line, column + len(text.rstrip()), "predicate")
    parts = [_term(r)]
    while r.peek() is not None:
        r.keyword("and")
        parts.append(_term(r))
    test = parts[0] if len(parts) == 1 else (lambda ctx: all(p(ctx) for p in parts))
    return Predicate(text.strip(), test, tuple(r.nodes))


# -- checks ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class Check:
    text: str
    run: Callable[[Context], CheckResult]
    nodes: tuple[Word, ...] = ()

    def __call__(self, ctx: Context) -> CheckResult:
        return self.run(ctx)

    def unknown_node(self, cluster: Cluster, line: int) -> c.CommandError | None:
        return _unknown_node(self.nodes, cluster, line)


def _get_check(r: _Reader, text: str) -> Check:
    client = None
    if r.at("as"):
        r.i += 1
        client = r.node("a client name")
        r.nodes.pop()  # a client, not a node
    r.keyword("get")
    key = r.key()
    options: dict[str, Any] = {}
    want_ok: bool | None = None
    while r.peek() is not None:
        word = r.take("an option")
        name, eq, value = word.text.partition("=")
        if not eq:
            if word.text in ("ok", "fails") and not word.quoted:
                want_ok = word.text == "ok"
                continue
            raise r.fail(word.column, f"expected siblings=, values=, via=, r=, n=, pr=, ok or fails; got {word.text!r}")
        if name in options:
            raise r.fail(word.column, f"option {name!r} is given twice")
        if name in ("siblings", "r", "n", "pr"):
            if not value.isdigit() or len(value) > 9:
                raise r.fail(word.column + len(name) + 1, f"expected {name}= a whole number, got {value!r}")
            options[name] = int(value)
        elif name == "values":
            options[name] = sorted(v for v in value.split(",")) if value else []
        elif name == "via":
            if not _NAME.fullmatch(value):
                raise r.fail(word.column + 4, f"expected via= a node name, got {value!r}")
            r.nodes.append(Word(value, word.column + 4))
            options[name] = value
        else:
            raise r.fail(word.column, f"unknown option {name!r}; expected siblings, values, via, r, n or pr")
    if want_ok is None and ("siblings" in options or "values" in options):
        want_ok = True

    def run(ctx: Context) -> CheckResult:
        assert ctx.executor is not None
        get = c.Get(client, key, options.get("via"), options.get("n"), options.get("r"), options.get("pr"))
        outcome = ctx.executor.execute(get, wait=True)
        values = sorted(v if v is not None else "" for v in outcome.data.get("values", []))
        siblings = outcome.data.get("siblings", 0)
        seen = (f"get {key} {'ok' if outcome.ok else 'failed'}" +
                (f": {plural(siblings, 'sibling')}, values {','.join(values) or '(none)'}" if outcome.ok else
                 f": {outcome.error}"))
        problems = []
        if want_ok is not None and outcome.ok != want_ok:
            problems.append("expected it to " + ("succeed" if want_ok else "fail"))
        if outcome.ok and "siblings" in options and siblings != options["siblings"]:
            problems.append(f"expected {plural(options['siblings'], 'sibling')}")
        if outcome.ok and "values" in options and values != options["values"]:
            problems.append(f"expected values {','.join(options['values']) or '(none)'}")
        return CheckResult(not problems, seen + ("; " + "; ".join(problems) if problems else ""))

    return Check(text, run, tuple(r.nodes))


def _inspect_check(r: _Reader, text: str) -> Check:
    r.keyword("inspect")
    key = r.key()
    r.keyword("on")
    node = r.node()
    verb = r.keyword("has", "lacks").text
    value = r.take("a value").text
    r.end(" after the value")

    def run(ctx: Context) -> CheckResult:
        ins = ctx.cluster.inspect(key, node)
        stored = sorted(show_bytes(v.value) or "" for r_ in ins.replicas for v in r_.versions if v.value is not None)
        has = value in stored
        ok = has if verb == "has" else not has
        return CheckResult(ok, f"{node} stores {key} = {','.join(stored) or '(nothing)'}")

    return Check(text, run, tuple(r.nodes))


_TABLE_EXPECT = ("count", "scanned", "records")
_TABLE_FLAGS = ("ok", "fails", "throttled", "found", "missing", "cached")


def _table_check(text: str, line: int, column: int) -> Check:
    """``table COMMAND ... => [count=N] [scanned=N] [records=N] [ok|fails|throttled]
    [found|missing] [cached]``: runs the table command (a real request, like ``get``) and
    checks its outcome: Count and ScannedCount of a query or scan, the records a stream
    read returned, whether an item was found, served from the accelerator, throttled."""
    command_text, arrow, wanted = text.partition("=>")
    try:
        command = c.parse_line(command_text)
    except c.CommandError as exc:
        raise c.CommandError(line, column + exc.column - 1, exc.message) from None
    if not isinstance(command, c.TABLE_COMMANDS):
        raise c.CommandError(line, column, "expected a table command after 'expect'")
    if not arrow:
        raise c.CommandError(line, column + len(text.rstrip()), "expected '=> WHAT' after the table command, "
                             "e.g. '=> count=2' or '=> throttled'")
    base = column + len(command_text) + 2
    numbers: dict[str, int] = {}
    flags: list[str] = []
    for w in tokenize(wanted, line, base):
        name, eq, value = w.text.partition("=")
        if eq and name in _TABLE_EXPECT and value.isdigit() and len(value) < 10:
            numbers[name] = int(value)
        elif not eq and w.text in _TABLE_FLAGS and not w.quoted:
            flags.append(w.text)
        else:
            raise c.CommandError(line, w.column, f"expected count=N, scanned=N, records=N or one of "
                                 f"{', '.join(_TABLE_FLAGS)}; got {w.text!r}")
    if not numbers and not flags:
        raise c.CommandError(line, base, "expected what to check after '=>', e.g. 'count=2' or 'throttled'")

    def run(ctx: Context) -> CheckResult:
        assert ctx.executor is not None
        outcome = ctx.executor.execute(command)
        data = outcome.data
        got = {"count": data.get("count"), "scanned": data.get("scanned_count"),
               "records": len(data["records"]) if isinstance(data.get("records"), list) else None}
        problems = [f"{k}={got[k]} (expected {v})" for k, v in numbers.items() if got[k] != v]
        states = {"ok": outcome.ok, "fails": not outcome.ok,
                  "throttled": data.get("code") == "ProvisionedThroughputExceededException",
                  "found": bool(data.get("found")), "missing": data.get("found") is False,
                  "cached": bool(data.get("cached"))}
        problems += [f"not {f}" for f in flags if not states[f]]
        first = outcome.text.splitlines()[0] if outcome.text else ""
        return CheckResult(not problems, first + (": " + ", ".join(problems) if problems else ""))

    return Check(text.strip(), run)


def parse_check(text: str, line: int = 1, column: int = 1) -> Check:
    """Parse an ``expect`` check that starts at ``column`` of lesson line ``line``."""
    words = tokenize(text, line, column)
    r = _Reader(words, line, column + len(text.rstrip()), "check")
    first = r.peek()
    if first is None:
        raise r.fail(column, "expected a check after 'expect'")
    head = first.text if not first.quoted else ""
    if head in ("get", "as"):
        return _get_check(r, text.strip())
    if head == "inspect":
        return _inspect_check(r, text.strip())
    if head == "table":
        return _table_check(text, line, column)
    second = r.peek(1)
    if head.startswith("hints=") or (head == "hints" and second is not None and second.text == "="):
        if head == "hints":
            r.i += 2
            n = r.number("the number of hints")
        else:
            r.i += 1
            value = head.partition("=")[2]
            if not value.isdigit():
                raise r.fail(first.column + 6, f"expected hints= a whole number, got {value!r}")
            n = int(value)
        r.end()

        def hints(ctx: Context) -> CheckResult:
            held = sum(len(node.hints) for node in ctx.cluster.nodes.values())
            return CheckResult(held == n, f"{plural(held, 'hint')} held")

        return Check(text.strip(), hints)
    if head == "node":
        r.i += 1
        node = r.node()
        r.keyword("is")
        state = r.keyword("up", "down").text
        r.end()

        def updown(ctx: Context) -> CheckResult:
            up = ctx.cluster.is_up(node)
            return CheckResult(up == (state == "up"), f"{node} is {'up' if up else 'down'}")

        return Check(text.strip(), updown, tuple(r.nodes))
    predicate = parse_predicate(text, line, column)

    def holds(ctx: Context) -> CheckResult:
        ok = predicate.holds(ctx)
        return CheckResult(ok, f"{predicate.text}: {'holds' if ok else 'does not hold'}")

    return Check(predicate.text, holds, predicate.nodes)


__all__ = ["Check", "CheckResult", "Context", "Predicate", "parse_check", "parse_predicate", "tokenize"]
