"""The ``table`` sub-language (issue 7): ``table create|put|get|delete|query|scan|stream|
list|describe|drop NAME ...``, DynamoDB's operations as command lines.

Values are typed the way a person types them (``42`` a number, ``"42"`` or ``ada`` a
string, ``true``/``false``/``null``) or as JSON (:mod:`dynviz.commands.items`). Key
conditions and filters (``ts>=3``, ``ts between 1 and 5``, ``note begins_with A``) are
terms whose words come from the one lexer; each term is built once, here, as the table
expression layer's AST (:class:`~dynviz.commands.ast.KeyTerm`).
"""

from __future__ import annotations

import difflib
import re

from dynviz.commands import ast
from dynviz.commands import convert as cv
from dynviz.commands.ast import Attributes, Command, KeyTerm, TableIndex, TableValue
from dynviz.commands.errors import show
from dynviz.commands.items import json_attributes
from dynviz.commands.lexer import Token
from dynviz.commands.words import Options, Words

ATTR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""An attribute name that can be written bare in a command (``id=42``, ``ts>=3``)."""

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_COMPARE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(<=|>=|<>|<|>)(.*)")
_OP_WORD = re.compile(r"(<=|>=|<>|<|>|=)(.*)")
_BEGINS = re.compile(r"(begins_with|contains)\(([A-Za-z_][A-Za-z0-9_]*),(.+)\)")
_OPERATORS = "= < <= > >= <> between begins_with contains"
_STREAM_VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
_CREATE_OPTIONS = ("pk", "sk", "lsi", "gsi", "rcu", "wcu", "stream", "accelerator", "resolver")

TABLE_SYNTAX: dict[str, tuple[str, str]] = {
    "create": (
        "table create NAME pk=ATTR[:S|N|B] [sk=ATTR[:TYPE]] [lsi=NAME:ATTR:TYPE[:all|keys]]"
        " [gsi=NAME:PK:TYPE[:SK:TYPE][:all|keys]] [rcu=N wcu=N | ondemand]"
        " [stream=KEYS_ONLY|NEW_IMAGE|OLD_IMAGE|NEW_AND_OLD_IMAGES] [accelerator=on] [resolver=lww|merge]",
        "Create a table (on-demand unless rcu/wcu are given; GSIs get the table's rcu/wcu). resolver=merge "
        "unions set attributes of concurrent versions (the paper's shopping cart) instead of last write wins.",
    ),
    "put": (
        "table put NAME ATTR=VALUE ... | table put NAME {JSON}",
        "Write an item: 42 is a number, \"42\" or ada a string, true/false/null; or DynamoDB JSON.",
    ),
    "get": ("table get NAME PK=V [SK=V] [consistent]", "Read one item (consistent: R=N)."),
    "delete": ("table delete NAME PK=V [SK=V]", "Delete one item."),
    "query": (
        "table query NAME PK=V [SK=V | SK<V | SK<=V | SK>V | SK>=V | SK between A and B |"
        " SK begins_with P] [where FILTER] [index=NAME] [limit=N] [desc] [consistent] [after KEY]",
        "Query one partition key (sort key condition; where filters after limit; after pages on).",
    ),
    "scan": (
        "table scan NAME [where FILTER] [index=NAME] [limit=N] [segment=I/N] [consistent] [after KEY]",
        "Scan a page of items (segment=I/N: one part of a parallel scan).",
    ),
    "stream": (
        "table stream NAME [from=trim_horizon|latest] [limit=N]",
        "Read the table's stream records since the last read (the shard iterators are kept).",
    ),
    "list": ("table list", "List the tables."),
    "describe": ("table describe NAME", "Keys, indexes, capacity, stream and counts of a table."),
    "drop": ("table drop NAME", "Delete a table and its items."),
}
"""``table`` subcommand -> (syntax, description), for the help screen."""


def parse_table(ctx: Words) -> Command:
    """``table VERB ...``: the subcommand picks the parser."""
    words = ctx.in_order()
    if not words:
        raise ctx.fail(ctx.end_column, "expected a table subcommand after 'table': " + ", ".join(TABLE_SYNTAX))
    sub = words[0]
    verb = sub.value
    if not sub.bare or verb not in TABLE_SYNTAX:
        hint = difflib.get_close_matches(verb.lower(), list(TABLE_SYNTAX), n=1) if sub.key is None else []
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ctx.fail(sub.column, f"unknown table subcommand {show(sub.show(ctx.text))}{maybe}; expected one of: "
                                   + ", ".join(TABLE_SYNTAX))
    usage = TABLE_SYNTAX[verb][0]
    if verb == "list":
        _nothing_more(ctx, words[1:], usage)
        return ast.TableList()
    name = _table_name(ctx, words[1] if len(words) > 1 else None, verb)
    rest = words[2:]
    if verb in ("describe", "drop"):
        _nothing_more(ctx, rest, usage)
        return ast.TableDescribe(name) if verb == "describe" else ast.TableDrop(name)
    if verb == "create":
        return _parse_create(ctx, name, rest)
    if verb == "put":
        return ast.TablePut(name, _attributes(ctx, rest, "an item", usage))
    if verb == "get":
        flags = [w for w in rest if w.bare and w.value == "consistent"]
        if len(flags) > 1:
            raise ctx.fail(flags[1].column, "'consistent' is given twice")
        rest = [w for w in rest if w not in flags]
        return ast.TableGet(name, _attributes(ctx, rest, "the item's key", usage), bool(flags))
    if verb == "delete":
        return ast.TableDelete(name, _attributes(ctx, rest, "the item's key", usage))
    if verb == "stream":
        return _parse_stream(ctx, name, rest, usage)
    return _parse_read(ctx, verb, name, rest)


def _nothing_more(ctx: Words, rest: list[Token], usage: str) -> None:
    if rest:
        raise ctx.fail(rest[0].column, f"unexpected {show(rest[0].show(ctx.text))}; usage: {usage}")


def _table_name(ctx: Words, token: Token | None, verb: str) -> str:
    if token is None:
        raise ctx.fail(ctx.end_column, f"expected a table name after 'table {verb}'")
    if token.key is not None or token.data is not None or not _TABLE_NAME.fullmatch(token.value):
        raise ctx.fail(token.column, "expected a table name (3 to 255 letters, digits, '_', '-' or '.'), got "
                       + show(token.show(ctx.text)))
    return token.value


def _index_name(ctx: Words, text: str, column: int) -> str:
    if not _TABLE_NAME.fullmatch(text):
        raise ctx.fail(column, f"expected an index name (3 to 255 letters, digits, '_', '-' or '.'), got {show(text)}")
    return text


def _attr_value(ctx: Words, token: Token) -> TableValue:
    """The value of an ``ATTR=VALUE`` word."""
    if not token.value and not token.quoted:
        raise ctx.fail(token.value_column, f"expected a value after '{token.key}='")
    return TableValue(token.value, "string" if token.quoted else "word")


def _plain_value(ctx: Words, token: Token) -> TableValue:
    """A value written alone (after an operator, between, begins_with)."""
    if token.key is not None or token.data is not None:
        raise ctx.fail(token.column, f"expected a value, got {show(token.show(ctx.text))}")
    return TableValue(token.value, "string" if token.quoted else "word")


def _attributes(ctx: Words, words: list[Token], what: str, usage: str) -> Attributes:
    """``ATTR=VALUE ...`` words or one ``{JSON}`` word."""
    if not words:
        raise ctx.fail(ctx.end_column, f"expected {what} as ATTR=VALUE ... or {{JSON}}; usage: {usage}")
    if words[0].data is not None:
        if len(words) > 1:
            raise ctx.fail(words[1].column, f"unexpected {show(words[1].show(ctx.text))} after the JSON; "
                                            f"usage: {usage}")
        return json_attributes(ctx, words[0], what)
    out: list[tuple[str, TableValue]] = []
    for w in words:
        if w.key is None:
            raise ctx.fail(w.column, f"expected ATTR=VALUE, got {show(w.show(ctx.text))}; usage: {usage}")
        if any(a == w.key for a, _ in out):
            raise ctx.fail(w.column, f"attribute {w.key!r} is given twice")
        out.append((w.key, _attr_value(ctx, w)))
    return tuple(out)


# -- table create ----------------------------------------------------------------------


def _key_type(ctx: Words, text: str, column: int, what: str) -> tuple[str, str]:
    """``ATTR`` or ``ATTR:TYPE`` (TYPE S, N or B; S when omitted)."""
    attr, _, type_name = text.partition(":")
    if not ATTR_NAME.fullmatch(attr):
        raise ctx.fail(column, f"expected {what} as ATTR or ATTR:TYPE, got {show(text)}")
    type_name = type_name or "S"
    if type_name.upper() not in ("S", "N", "B"):
        raise ctx.fail(column + len(attr) + 1, f"expected the type of {attr!r} to be S, N or B; got {show(type_name)}")
    return attr, type_name.upper()


def _index_spec(ctx: Words, token: Token, local: bool) -> TableIndex:
    kind = "lsi" if local else "gsi"
    usage = "lsi=NAME:ATTR:TYPE[:all|keys]" if local else "gsi=NAME:PK:TYPE[:SK:TYPE][:all|keys]"
    parts = token.value.split(":")
    projection = "ALL"
    if parts and parts[-1].lower() in ("all", "keys") and len(parts) in ((4,) if local else (4, 6)):
        projection = "ALL" if parts.pop().lower() == "all" else "KEYS_ONLY"
    shapes = (3,) if local else (3, 5)
    if len(parts) not in shapes or not all(parts):
        raise ctx.fail(token.value_column, f"expected {usage}, got {show(token.value)}")
    col = token.value_column
    name = _index_name(ctx, parts[0], col)
    col += len(name) + 1
    pk = _key_type(ctx, f"{parts[1]}:{parts[2]}", col, f"the {kind}'s key")
    sk = None
    if len(parts) == 5:
        sk = _key_type(ctx, f"{parts[3]}:{parts[4]}", col + len(parts[1]) + len(parts[2]) + 2,
                       f"the {kind}'s sort key")
    if local:
        return TableIndex(name, ("", ""), pk, projection)  # the table's partition key, filled in by create
    return TableIndex(name, pk, sk, projection)


def _create_option(ctx: Words, w: Token) -> object:
    """The converted value of one ``table create`` option other than lsi/gsi."""
    assert w.key is not None
    if w.key in ("pk", "sk"):
        return _key_type(ctx, w.value, w.value_column, "the partition key" if w.key == "pk" else "the sort key")
    if w.key in ("rcu", "wcu"):
        return cv.whole(w.value, w.value_column, ctx.line, w.key)
    if w.key == "stream":
        if w.value.upper() not in _STREAM_VIEWS:
            raise ctx.fail(w.value_column, f"expected stream to be one of: {', '.join(_STREAM_VIEWS)}; "
                                           f"got {show(w.value)}")
        return w.value.upper()
    if w.key == "resolver":
        if w.value.lower() not in ("lww", "merge"):
            raise ctx.fail(w.value_column, f"expected resolver to be lww or merge; got {show(w.value)}")
        return w.value.upper()
    return cv.switch(w.value, w.value_column, ctx.line, w.key)


def _parse_create(ctx: Words, name: str, words: list[Token]) -> Command:
    got = Options()
    lsis: list[TableIndex] = []
    gsis: list[TableIndex] = []
    ondemand: Token | None = None
    for w in words:
        if w.key is None:
            if w.bare and w.value == "ondemand":
                ondemand = w
                continue
            raise ctx.fail(w.column, f"unexpected {show(w.show(ctx.text))}; usage: {TABLE_SYNTAX['create'][0]}")
        if w.key not in _CREATE_OPTIONS:
            raise ctx.unknown_option(w, _CREATE_OPTIONS, "table create")
        if not w.value:
            raise ctx.fail(w.value_column, f"expected a value after '{w.key}='")
        if w.key in ("lsi", "gsi"):
            ix = _index_spec(ctx, w, w.key == "lsi")
            if any(x.index == ix.index for x in (*lsis, *gsis)):
                raise ctx.fail(w.value_column, f"index {ix.index!r} is given twice")
            (lsis if w.key == "lsi" else gsis).append(ix)
            continue
        if w.key in got:
            raise ctx.fail(w.column, f"option {w.key!r} is given twice")
        got.given[w.key] = (_create_option(ctx, w), w)
    pk, sk = got.value("pk"), got.value("sk")
    if not isinstance(pk, tuple):
        raise ctx.fail(ctx.end_column, "expected pk=ATTR[:TYPE] (the partition key) for table create")
    if ("rcu" in got) != ("wcu" in got):
        missing = "wcu" if "rcu" in got else "rcu"
        raise ctx.fail(ctx.end_column, f"expected {missing}= too: a provisioned table needs rcu= and wcu=")
    if ondemand is not None and "rcu" in got:
        raise ctx.fail(ondemand.column, "a table is either ondemand or provisioned (rcu= wcu=), not both")
    assert sk is None or isinstance(sk, tuple)
    if lsis and sk is None:
        first = next(w for w in words if w.key == "lsi")
        raise ctx.fail(first.column, "a local secondary index needs a table with a sort key (sk=)")
    if sk is not None and sk[0] == pk[0]:
        raise ctx.fail(got.token("sk").value_column, "the sort key must differ from the partition key")
    lsis = [TableIndex(ix.index, pk, ix.sk, ix.projection) for ix in lsis]
    return ast.TableCreate(name, pk, sk, tuple(lsis), tuple(gsis), got.number("rcu"), got.number("wcu"),
                       got.text("stream"), got.value("accelerator") is True, got.text("resolver") or "LWW")


# -- table stream ----------------------------------------------------------------------


def _parse_stream(ctx: Words, name: str, words: list[Token], usage: str) -> Command:
    got = Options()
    for w in words:
        if w.key not in ("from", "limit"):
            raise ctx.fail(w.column, f"unexpected {show(w.show(ctx.text))}; usage: {usage}")
        if w.key in got:
            raise ctx.fail(w.column, f"option {w.key!r} is given twice")
        value: object
        if w.key == "from":
            value = cv.choice("trim_horizon", "latest")(w.value.lower(), w.value_column, ctx.line, "from")
        else:
            value = cv.whole(w.value, w.value_column, ctx.line, "the limit")
            if value > 1000:
                raise ctx.fail(w.value_column, f"expected the limit to be at most 1000, got {value}")
        got.given[w.key] = (value, w)
    return ast.TableStream(name, got.text("from"), got.number("limit"))


# -- table query and scan --------------------------------------------------------------


def _term(ctx: Words, words: list[Token], i: int) -> tuple[KeyTerm, int]:
    """One condition starting at ``words[i]``; returns it and the index after it."""
    w = words[i]
    text = ctx.text
    if w.key is not None:
        return KeyTerm(w.key, "=", (_attr_value(ctx, w),)), i + 1
    if w.quoted or w.data is not None:
        raise ctx.fail(w.column, f"expected a condition like ATTR=V or ATTR>=V, got {show(w.show(text))}")
    m = _BEGINS.fullmatch(w.value)
    if m:
        return KeyTerm(m.group(2), m.group(1), (TableValue(m.group(3).strip()),)), i + 1
    m = _COMPARE.fullmatch(w.value)
    if m:
        attr, op, rest = m.groups()
        if rest:
            return KeyTerm(attr, op, (TableValue(rest),)), i + 1
        if i + 1 >= len(words):
            raise ctx.fail(ctx.end_column, f"expected a value after {show(w.value)}")
        return KeyTerm(attr, op, (_plain_value(ctx, words[i + 1]),)), i + 2
    if not ATTR_NAME.fullmatch(w.value):
        raise ctx.fail(w.column, f"expected a condition like ATTR=V or ATTR>=V, got {show(w.show(text))}")
    attr = w.value
    if i + 1 >= len(words):
        raise ctx.fail(ctx.end_column, f"expected an operator after {attr!r} ({_OPERATORS})")
    op_word = words[i + 1]
    if op_word.bare:
        if op_word.value == "between":
            if i + 4 >= len(words):
                raise ctx.fail(ctx.end_column, f"expected '{attr} between LOW and HIGH'")
            lo, and_word, hi = words[i + 2], words[i + 3], words[i + 4]
            if and_word.value != "and" or and_word.quoted or and_word.key is not None:
                raise ctx.fail(and_word.column, f"expected 'and' in '{attr} between LOW and HIGH'")
            return KeyTerm(attr, "between", (_plain_value(ctx, lo), _plain_value(ctx, hi))), i + 5
        if op_word.value in ("begins_with", "contains"):
            if i + 2 >= len(words):
                what = "a prefix" if op_word.value == "begins_with" else "a value"
                raise ctx.fail(ctx.end_column, f"expected {what} after '{attr} {op_word.value}'")
            return KeyTerm(attr, op_word.value, (_plain_value(ctx, words[i + 2]),)), i + 3
        m = _OP_WORD.fullmatch(op_word.value)
        if m:
            op, rest = m.groups()
            if rest:
                return KeyTerm(attr, op, (TableValue(rest),)), i + 2
            if i + 2 >= len(words):
                raise ctx.fail(ctx.end_column, f"expected a value after '{attr} {op}'")
            return KeyTerm(attr, op, (_plain_value(ctx, words[i + 2]),)), i + 3
    raise ctx.fail(op_word.column, f"expected an operator after {attr!r} ({_OPERATORS}), "
                                   f"got {show(op_word.show(text))}")


def _read_option(ctx: Words, w: Token) -> object:
    """``index=``, ``limit=`` or ``segment=`` of a query or scan."""
    if w.key == "limit":
        return cv.whole(w.value, w.value_column, ctx.line, "the limit")
    if w.key == "index":
        return _index_name(ctx, w.value, w.value_column)
    m = re.fullmatch(r"([0-9]{1,7})/([0-9]{1,7})", w.value)
    if not m:
        raise ctx.fail(w.value_column, f"expected segment=I/N (segment I of N, counting from 0), got {show(w.value)}")
    seg, total = int(m.group(1)), int(m.group(2))
    if not 1 <= total <= 1_000_000 or seg >= total:
        raise ctx.fail(w.value_column, f"expected segment=I/N with 0 <= I < N <= 1000000, got {show(w.value)}")
    return seg, total


def _parse_read(ctx: Words, verb: str, name: str, words: list[Token]) -> Command:
    """``table query`` and ``table scan``: key conditions, where, options, after."""
    reserved = ("index", "limit") if verb == "query" else ("index", "limit", "segment")
    got = Options()
    keys: list[KeyTerm] = []
    where: list[KeyTerm] = []
    after: list[tuple[str, TableValue]] = []
    flags: set[str] = set()
    region = "keys"
    usage = TABLE_SYNTAX[verb][0]
    i = 0
    while i < len(words):
        w = words[i]
        if w.key is not None and w.key in reserved:
            if w.key in got:
                raise ctx.fail(w.column, f"option {w.key!r} is given twice")
            if not w.value:
                raise ctx.fail(w.value_column, f"expected a value after '{w.key}='")
            got.given[w.key] = (_read_option(ctx, w), w)
            i += 1
            continue
        if w.bare and w.value in ("desc", "consistent") and region != "after":
            if w.value == "desc" and verb == "scan":
                raise ctx.fail(w.column, "a scan has no order to reverse; desc is for query")
            if w.value in flags:
                raise ctx.fail(w.column, f"{w.value!r} is given twice")
            flags.add(w.value)
            i += 1
            continue
        if w.bare and w.value == "after":
            if region == "after":
                raise ctx.fail(w.column, "'after' is given twice")
            region = "after"
            i += 1
            if i < len(words) and words[i].data is not None:
                after.extend(json_attributes(ctx, words[i], "the start key"))
                i += 1
            continue
        if w.bare and w.value == "where":
            if region != "keys":
                raise ctx.fail(w.column, "'where' comes before 'after'" if region == "after"
                               else "'where' is given twice")
            region = "where"
            i += 1
            continue
        if w.bare and w.value == "and" and region in ("keys", "where") and (keys if region == "keys" else where):
            i += 1
            continue
        if region == "after":
            if w.key is None:
                raise ctx.fail(w.column, f"expected the start key as ATTR=VALUE after 'after', got "
                                         f"{show(w.show(ctx.text))}")
            if any(a == w.key for a, _ in after):
                raise ctx.fail(w.column, f"attribute {w.key!r} is given twice")
            after.append((w.key, _attr_value(ctx, w)))
            i += 1
            continue
        if region == "keys" and verb == "scan":
            raise ctx.fail(w.column, f"unexpected {show(w.show(ctx.text))}: a scan has no key condition "
                                     f"(filter with where); usage: {usage}")
        term, i = _term(ctx, words, i)
        if region == "where":
            where.append(term)
            continue
        if len(keys) == 0 and term.op != "=":
            raise ctx.fail(w.column, f"expected the partition key condition first, as ATTR=VALUE; got "
                                     f"{show(term.show())}")
        if len(keys) >= 2:
            raise ctx.fail(w.column, "a query takes the partition key and at most one sort key condition; "
                                     "filter other attributes with where")
        keys.append(term)
    if region == "after" and not after:
        raise ctx.fail(ctx.end_column, "expected the start key (ATTR=VALUE ... or {JSON}) after 'after'")
    if region == "where" and not where:
        raise ctx.fail(ctx.end_column, "expected a condition after 'where'")
    segment = got.value("segment")
    assert segment is None or isinstance(segment, tuple)
    if verb == "query":
        if not keys:
            raise ctx.fail(ctx.end_column, f"expected the partition key condition ATTR=VALUE; usage: {usage}")
        return ast.TableQuery(name, keys[0], keys[1] if len(keys) > 1 else None, tuple(where), got.text("index"),
                          got.number("limit"), "desc" in flags, "consistent" in flags, tuple(after))
    return ast.TableScan(name, tuple(where), got.text("index"), got.number("limit"), segment,
                     "consistent" in flags, tuple(after))
