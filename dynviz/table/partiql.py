"""PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.

DynamoDB's PartiQL is a front end over its item operations, and so is this one: each
statement is parsed and translated into the expression request the table layer already
serves (GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem, and the transactions),
its literals and ``?`` parameters becoming expression attribute values and its names
expression attribute names, so every rule of those operations (types, sizes, key
checks, conditions, capacity) is the same one. The translation, per DynamoDB's PartiQL
reference:

* ``SELECT * | path, ... FROM "T"[."Index"] [WHERE cond]``: a Query when the WHERE
  pins the partition key with ``=`` (the rest of it a filter), else a Scan with the
  WHERE as its filter; a batch or transaction read must name one whole key (GetItem).
* ``INSERT INTO "T" VALUE {...}``: a PutItem on condition that no item has the key
  (else ``DuplicateItemException``).
* ``UPDATE "T" SET path = value | REMOVE path ... WHERE key [AND cond] [RETURNING ...]``:
  an UpdateItem of the one item the WHERE's key equalities name, on condition that it
  exists and the rest of the WHERE holds.
* ``DELETE FROM "T" WHERE key [AND cond] [RETURNING ALL OLD *]``: a DeleteItem; no
  such item is a success (nothing deleted), an item for which the rest of the WHERE is
  false is ``ConditionalCheckFailedException``.

Conditions use the condition expressions' operators and functions (``= <> < <= > >=``,
``BETWEEN``, ``IN [..]``, ``AND OR NOT``, ``begins_with``, ``contains``, ``size``,
``attribute_type``, ``attribute_exists``, ``attribute_not_exists``, ``IS [NOT]
MISSING``). Values: strings ``'..'``, numbers, ``TRUE``/``FALSE``, ``NULL``, lists
``[..]``, maps ``{'k': ..}``, sets ``<<..>>`` and parameters ``?``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynviz.table.errors import ConditionalCheckFailedException, TableError, ValidationException
from dynviz.table.params import a_list, a_map, a_str, required

if TYPE_CHECKING:
    from dynviz.table.engine import TableEngine

MAX_STATEMENT = 8192
MAX_BATCH = 25
MAX_TRANSACTION = 100


class DuplicateItemException(TableError):
    code = "DuplicateItemException"


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><<|>>|<=|>=|<>|!=|[=<>(),.\[\]{}:*?+\-])
    )""", re.VERBOSE)
_KEYWORDS = frozenset({"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "BETWEEN", "IN", "IS", "MISSING", "NULL",
                       "TRUE", "FALSE", "INSERT", "INTO", "VALUE", "UPDATE", "SET", "REMOVE", "DELETE",
                       "RETURNING", "EXISTS"})
_FUNCTIONS = {"begins_with", "contains", "attribute_type", "attribute_exists", "attribute_not_exists", "size"}
_UPDATE_FUNCTIONS = {"list_append", "set_add", "set_delete", "if_not_exists"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string, quoted, number, word, op, end
    text: str
    at: int


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            raise ValidationException(f"Statement wasn't well formed, can't be processed: unexpected character "
                                      f"{text[i:].lstrip()[:1]!r} at position {len(text[:i]) + 1}")
        kind = m.lastgroup
        assert kind is not None
        out.append(Token(kind, m.group(kind), m.start(kind)))
        i = m.end()
    out.append(Token("end", "", len(text)))
    return out


@dataclass(slots=True)
class Translation:
    """A statement as an expression request: its names and values so far."""

    parameters: list[dict[str, Any]]
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    used_parameters: int = 0

    def name(self, attribute: str) -> str:
        for ref, known in self.names.items():
            if known == attribute:
                return ref
        ref = f"#n{len(self.names)}"
        self.names[ref] = attribute
        return ref

    def value(self, av: dict[str, Any]) -> str:
        ref = f":v{len(self.values)}"
        self.values[ref] = av
        return ref

    def parameter(self) -> dict[str, Any]:
        if self.used_parameters >= len(self.parameters):
            raise ValidationException("Number of parameters in request and statement don't match.")
        av = self.parameters[self.used_parameters]
        self.used_parameters += 1
        return a_map(av, f"Parameters[{self.used_parameters - 1}]")

    def save(self) -> tuple[dict[str, str], dict[str, dict[str, Any]], int]:
        return dict(self.names), dict(self.values), self.used_parameters

    def restore(self, saved: tuple[dict[str, str], dict[str, dict[str, Any]], int]) -> None:
        self.names, self.values, self.used_parameters = dict(saved[0]), dict(saved[1]), saved[2]

    def placeholders(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            params["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            params["ExpressionAttributeValues"] = dict(self.values)
        return params


class Parser:
    """One statement's tokens, read left to right into expression text."""

    def __init__(self, text: str, tr: Translation) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.tr = tr
        self.sort: str | None = None
        """The sort-key condition :meth:`key_and_rest` kept apart, if any."""

    # -- tokens

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, what: str) -> ValidationException:
        t = self.tok
        got = "the end of the statement" if t.kind == "end" else repr(t.text)
        return ValidationException(f"Statement wasn't well formed, can't be processed: expected {what}, got {got} "
                                   f"at position {t.at + 1}")

    def keyword(self, *words: str) -> bool:
        t = self.tok
        return t.kind == "word" and t.text.upper() in words

    def take_keyword(self, *words: str) -> str:
        if not self.keyword(*words):
            raise self.fail(" or ".join(words))
        self.i += 1
        return self.tokens[self.i - 1].text.upper()

    def op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def take_op(self, *ops: str) -> str:
        if not self.op(*ops):
            raise self.fail(" or ".join(repr(o) for o in ops))
        self.i += 1
        return self.tokens[self.i - 1].text

    def end(self) -> None:
        if self.tok.kind != "end":
            raise self.fail("the end of the statement")

    # -- names and paths

    def identifier(self) -> str:
        t = self.tok
        if t.kind == "quoted":
            self.i += 1
            return t.text[1:-1].replace('""', '"')
        if t.kind == "word" and t.text.upper() not in _KEYWORDS:
            self.i += 1
            return t.text
        raise self.fail("a name")

    def target(self) -> tuple[str, str | None]:
        table = self.identifier()
        index = None
        if self.op("."):
            self.i += 1
            index = self.identifier()
        return table, index

    def path(self) -> tuple[str, str]:
        """(expression text with #names, the top-level attribute's name)."""
        first = self.identifier()
        parts = [self.tr.name(first)]
        while self.op(".", "["):
            if self.take_op(".", "[") == ".":
                parts.append("." + self.tr.name(self.identifier()))
            else:
                t = self.tok
                if t.kind != "number" or not t.text.isdigit():
                    raise self.fail("a list index")
                self.i += 1
                self.take_op("]")
                parts.append(f"[{t.text}]")
        return "".join(parts), first

    def select_from(self) -> tuple[list[str], str, str | None]:
        """``SELECT * | path, ... FROM target``: the projected paths (none for ``*``),
        the table and the index."""
        self.take_keyword("SELECT")
        projection: list[str] = []
        if self.op("*"):
            self.i += 1
        else:
            projection.append(self.path()[0])
            while self.op(","):
                self.i += 1
                projection.append(self.path()[0])
        self.take_keyword("FROM")
        table, index = self.target()
        return projection, table, index

    # -- values

    def literal(self) -> dict[str, Any]:
        t = self.tok
        if self.op("?"):
            self.i += 1
            return self.tr.parameter()
        if t.kind == "string":
            self.i += 1
            return {"S": t.text[1:-1].replace("''", "'")}
        if t.kind == "number":
            self.i += 1
            return {"N": t.text}
        if self.keyword("TRUE", "FALSE"):
            self.i += 1
            return {"BOOL": t.text.upper() == "TRUE"}
        if self.keyword("NULL"):
            self.i += 1
            return {"NULL": True}
        if self.op("["):
            self.i += 1
            items = self._sequence("]")
            return {"L": items}
        if self.op("{"):
            self.i += 1
            out: dict[str, Any] = {}
            while not self.op("}"):
                key = self.tok
                if key.kind not in ("string", "quoted"):
                    raise self.fail("a map key in quotes")
                self.i += 1
                self.take_op(":")
                out[key.text[1:-1]] = self.literal()
                if not self.op("}"):
                    self.take_op(",")
            self.i += 1
            return {"M": out}
        if self.op("<<"):
            self.i += 1
            members = self._sequence(">>")
            kinds = {next(iter(m)) for m in members}
            if not members or len(kinds) != 1 or kinds - {"S", "N", "B"}:
                raise ValidationException("A set must hold one or more values of one type: strings, numbers or "
                                          "binaries")
            kind = kinds.pop()
            return {f"{kind}S": [m[kind] for m in members]}
        raise self.fail("a value")

    def _sequence(self, close: str) -> list[dict[str, Any]]:
        items = []
        while not self.op(close):
            items.append(self.literal())
            if not self.op(close):
                self.take_op(",")
        self.i += 1
        return items

    def is_value(self) -> bool:
        t = self.tok
        return (t.kind in ("string", "number") or self.op("?", "[", "{", "<<")
                or self.keyword("TRUE", "FALSE", "NULL"))

    def operand(self) -> str:
        """A value (as a :placeholder), a path, or size(path)."""
        if self.is_value():
            return self.tr.value(self.literal())
        if self.tok.kind == "word" and self.tok.text.lower() == "size" and self.tokens[self.i + 1].text == "(":
            self.i += 2
            text, _ = self.path()
            self.take_op(")")
            return f"size({text})"
        return self.path()[0]

    # -- conditions (as condition expression text)

    def condition(self) -> str:
        parts = [self._conjunction()]
        while self.keyword("OR"):
            self.i += 1
            parts.append(self._conjunction())
        return parts[0] if len(parts) == 1 else " OR ".join(parts)

    def _conjunction(self) -> str:
        parts = [self._negation()]
        while self.keyword("AND"):
            self.i += 1
            parts.append(self._negation())
        return parts[0] if len(parts) == 1 else " AND ".join(parts)

    def _negation(self) -> str:
        if self.keyword("NOT"):
            self.i += 1
            return f"NOT {self._negation()}"
        return self._predicate()

    def _predicate(self) -> str:
        if self.op("("):
            self.i += 1
            inner = self.condition()
            self.take_op(")")
            return f"({inner})"
        t = self.tok
        if t.kind == "word" and t.text.lower() in _FUNCTIONS - {"size"} and self.tokens[self.i + 1].text == "(":
            self.i += 2
            args = [self.operand()]
            while self.op(","):
                self.i += 1
                args.append(self.operand())
            self.take_op(")")
            return f"{t.text.lower()}({', '.join(args)})"
        left = self.operand()
        if self.keyword("IS"):
            self.i += 1
            negated = self.keyword("NOT")
            if negated:
                self.i += 1
            self.take_keyword("MISSING")
            return f"attribute_exists({left})" if negated else f"attribute_not_exists({left})"
        if self.keyword("BETWEEN"):
            self.i += 1
            low = self.operand()
            self.take_keyword("AND")
            return f"{left} BETWEEN {low} AND {self.operand()}"
        if self.keyword("IN"):
            self.i += 1
            close = "]" if self.take_op("[", "(") == "[" else ")"
            members = []
            while not self.op(close):
                members.append(self.operand())
                if not self.op(close):
                    self.take_op(",")
            self.i += 1
            return f"{left} IN ({', '.join(members)})"
        comparison = self.take_op("=", "<>", "!=", "<", "<=", ">", ">=")
        return f"{left} {'<>' if comparison == '!=' else comparison} {self.operand()}"

    def key_and_rest(self, key_names: tuple[str, ...],
                     sort_key: str | None = None) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """A WHERE read as ``k = v AND ...``: the key attributes it pins with ``=`` and
        the other conjuncts (as condition text). Only a top-level AND chain pins keys:
        a top-level OR is ``ValidationException``. With ``sort_key``, the first
        conjunct that is a key condition on it (``< <= > >= BETWEEN begins_with``) is
        kept apart in :attr:`sort` (a Query's KeyConditionExpression takes it; a
        filter may not name a key attribute)."""
        pinned: dict[str, dict[str, Any]] = {}
        rest: list[str] = []
        while True:
            taken = self._key_equality(key_names, pinned)
            if taken is None and sort_key is not None and not self.sort:
                self.sort = self._sort_condition(sort_key)
                taken = self.sort
            if taken is None:
                rest.append(self._negation())
            if not self.keyword("AND"):
                break
            self.i += 1
        if self.keyword("OR"):
            raise ValidationException("Where clause does not contain a mandatory equality on all key attributes")
        return pinned, rest

    def _sort_condition(self, sort_key: str) -> str | None:
        start, saved = self.i, self.tr.save()
        t = self.tok
        text: str | None = None
        if t.kind == "word" and t.text.lower() == "begins_with" and self.tokens[self.i + 1].text == "(":
            self.i += 2
            if self.tok.kind in ("quoted", "word") and self.identifier() == sort_key and self.op(","):
                self.i += 1
                if self.is_value():
                    value = self.tr.value(self.literal())
                    if self.op(")"):
                        self.i += 1
                        text = f"begins_with({self.tr.name(sort_key)}, {value})"
        elif t.kind in ("quoted", "word") and not self.keyword(*_KEYWORDS) and self.identifier() == sort_key:
            name = self.tr.name(sort_key)
            if self.op("<", "<=", ">", ">=", "=") :
                op = self.take_op("<", "<=", ">", ">=", "=")
                if self.is_value():
                    text = f"{name} {op} {self.tr.value(self.literal())}"
            elif self.keyword("BETWEEN"):
                self.i += 1
                if self.is_value():
                    low = self.tr.value(self.literal())
                    if self.keyword("AND"):
                        self.i += 1
                        if self.is_value():
                            text = f"{name} BETWEEN {low} AND {self.tr.value(self.literal())}"
        if text is not None and (self.tok.kind == "end" or self.keyword("AND", "RETURNING")):
            return text
        self.i = start
        self.tr.restore(saved)
        return None

    def _key_equality(self, key_names: tuple[str, ...], pinned: dict[str, dict[str, Any]]) -> str | None:
        """``key = value`` standing alone as a conjunct, taken into ``pinned``; else
        nothing is read (None)."""
        start, saved = self.i, self.tr.save()
        t = self.tok
        if t.kind in ("quoted", "word") and not self.keyword(*_KEYWORDS) and self.tokens[self.i + 1].text == "=":
            name = self.identifier()
            self.take_op("=")
            if name in key_names and name not in pinned and self.is_value():
                value = self.literal()
                if self.tok.kind == "end" or self.keyword("AND", "RETURNING"):
                    pinned[name] = value
                    return name
        self.i = start
        self.tr.restore(saved)
        return None


# -- the operations ---------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class PartiQL:
    """The three PartiQL operations of one cluster's tables."""

    engine: TableEngine

    def execute_statement(self, p: dict[str, Any]) -> dict[str, Any]:
        text = _statement(required(p, "Statement"), "Statement")
        parameters = a_list(p.get("Parameters") or [], "Parameters")
        verb = _verb(text)
        if verb == "SELECT":
            return self._select(text, parameters, p)
        if p.get("NextToken") is not None or p.get("Limit") is not None:
            raise ValidationException("NextToken and Limit can only be used with a SELECT statement")
        return self._write(verb, text, parameters, p.get("ReturnValuesOnConditionCheckFailure"))

    def batch_execute_statement(self, p: dict[str, Any]) -> dict[str, Any]:
        statements = a_list(required(p, "Statements"), "Statements")
        if not 1 <= len(statements) <= MAX_BATCH:
            raise ValidationException(f"1 validation error detected: Value at 'statements' failed to satisfy "
                                      f"constraint: Member must have length between 1 and {MAX_BATCH}")
        parsed = []
        for i, s in enumerate(statements):
            s = a_map(s, f"Statements[{i}]")
            text = _statement(required(s, "Statement", f"Statements[{i}]"), f"Statements[{i}].Statement")
            parsed.append((text, a_list(s.get("Parameters") or [], f"Statements[{i}].Parameters"), s))
        kinds = {_verb(text) == "SELECT" for text, _, _ in parsed}
        if len(kinds) > 1:
            raise ValidationException("Batch must consist of either all read statements or all write statements")
        responses = []
        for text, parameters, s in parsed:
            try:
                if _verb(text) == "SELECT":
                    get, table = self._one_item(text, parameters)
                    get["ConsistentRead"] = bool(s.get("ConsistentRead", False))
                    found = self.engine.get_item(get)
                    responses.append({"TableName": table, **({"Item": found["Item"]} if "Item" in found else {})})
                else:
                    self._write(_verb(text), text, parameters, s.get("ReturnValuesOnConditionCheckFailure"))
                    responses.append({"TableName": _target_name(text)})
            except TableError as exc:
                if isinstance(exc, ValidationException) and "wasn't well formed" in exc.message:
                    raise
                error: dict[str, Any] = {"Code": _batch_code(exc), "Message": exc.message}
                if "Item" in exc.response:
                    error["Item"] = exc.response["Item"]
                responses.append({"Error": error})
        return {"Responses": responses}

    def execute_transaction(self, p: dict[str, Any]) -> dict[str, Any]:
        statements = a_list(required(p, "TransactStatements"), "TransactStatements")
        if not 1 <= len(statements) <= MAX_TRANSACTION:
            raise ValidationException(f"1 validation error detected: Value at 'transactStatements' failed to satisfy "
                                      f"constraint: Member must have length between 1 and {MAX_TRANSACTION}")
        reads, writes = [], []
        for i, s in enumerate(statements):
            s = a_map(s, f"TransactStatements[{i}]")
            text = _statement(required(s, "Statement", f"TransactStatements[{i}]"), f"TransactStatements[{i}].Statement")
            parameters = a_list(s.get("Parameters") or [], f"TransactStatements[{i}].Parameters")
            verb = _verb(text)
            if verb == "SELECT":
                get, _ = self._one_item(text, parameters)
                reads.append({"Get": get})
            elif verb == "EXISTS":
                writes.append({"ConditionCheck": self._exists(text, parameters)})
            else:
                writes.append(self._transact_write(verb, text, parameters, s.get("ReturnValuesOnConditionCheckFailure")))
        if reads and writes:
            raise ValidationException("Transaction must consist of either all read statements or all write statements")
        token = p.get("ClientRequestToken")
        if reads:
            out = self.engine.transact_get_items({"TransactItems": reads})
            return {"Responses": out.get("Responses", [])}
        request: dict[str, Any] = {"TransactItems": writes}
        if token is not None:
            request["ClientRequestToken"] = token
        self.engine.transact_write_items(request)
        return {}

    # -- translations

    def _select(self, text: str, parameters: list[Any], p: dict[str, Any]) -> dict[str, Any]:
        tr = Translation(parameters)
        ps = Parser(text, tr)
        projection, table, index = ps.select_from()
        t = self.engine.table(table)
        request: dict[str, Any] = {"TableName": table, "ConsistentRead": bool(p.get("ConsistentRead", False))}
        if index is not None:
            request["IndexName"] = index
        if projection:
            request["ProjectionExpression"] = ", ".join(projection)
        pk, sk = _index_keys(t, index)
        operation = self.engine.scan
        if ps.keyword("WHERE"):
            ps.i += 1
            start, saved = ps.i, tr.save()
            try:
                pinned, rest = ps.key_and_rest((pk,), sk)
                ps.end()
                if pk not in pinned and ps.sort is not None:
                    rest.append(ps.sort)  # a Scan's filter may name the sort key
            except ValidationException:  # not an AND chain: the whole WHERE filters a Scan
                ps.i = start
                tr.restore(saved)
                pinned, rest = {}, [ps.condition()]
                ps.sort = None
                ps.end()
            if pk in pinned:
                operation = self.engine.query
                key_condition = f"{tr.name(pk)} = {tr.value(pinned[pk])}"
                if ps.sort is not None:
                    key_condition += f" AND {ps.sort}"
                request["KeyConditionExpression"] = key_condition
            if rest:
                request["FilterExpression"] = " AND ".join(f"({r})" for r in rest)
        else:
            ps.end()
        _all_parameters_used(tr)
        limit = p.get("Limit")
        if limit is not None:
            request["Limit"] = limit
        token = p.get("NextToken")
        if token is not None:
            request["ExclusiveStartKey"] = _start_key(token)
        if p.get("ReturnConsumedCapacity") is not None:
            request["ReturnConsumedCapacity"] = p["ReturnConsumedCapacity"]
        out = operation(tr.placeholders(request))
        result: dict[str, Any] = {"Items": out.get("Items", [])}
        if "LastEvaluatedKey" in out:
            result["NextToken"] = _token(out["LastEvaluatedKey"])
            result["LastEvaluatedKey"] = out["LastEvaluatedKey"]
        if "ConsumedCapacity" in out:
            result["ConsumedCapacity"] = out["ConsumedCapacity"]
        return result

    def _one_item(self, text: str, parameters: list[Any]) -> tuple[dict[str, Any], str]:
        """A SELECT of one whole key, as a GetItem request (batches, transactions)."""
        tr = Translation(parameters)
        ps = Parser(text, tr)
        projection, table, index = ps.select_from()
        if index is not None:
            raise ValidationException("A batch or transaction read cannot use an index: it must name one item's key")
        t = self.engine.table(table)
        ps.take_keyword("WHERE")
        key, rest = ps.key_and_rest(t.schema.key_names)
        ps.end()
        if rest or len(key) != len(t.schema.key_names):
            raise ValidationException("Where clause does not contain a mandatory equality on all key attributes")
        _all_parameters_used(tr)
        get: dict[str, Any] = {"TableName": table, "Key": key}
        if projection:
            get["ProjectionExpression"] = ", ".join(projection)
        return tr.placeholders(get), table

    def _write(self, verb: str, text: str, parameters: list[Any], on_failure: Any) -> dict[str, Any]:
        kind, request = self._write_request(verb, text, parameters, on_failure)
        if kind == "Put":
            try:
                self.engine.put_item(request)
            except ConditionalCheckFailedException:
                raise DuplicateItemException("Duplicate primary key exists in table") from None
            return {}
        if kind == "Update":
            out, _ = self.engine.update_item(request)
        else:
            out, _ = self.engine.delete_item(request)
        return {"Items": [out["Attributes"]]} if "Attributes" in out else {}

    def _transact_write(self, verb: str, text: str, parameters: list[Any], on_failure: Any) -> dict[str, Any]:
        kind, request = self._write_request(verb, text, parameters, on_failure)
        request.pop("ReturnValues", None)
        return {kind: request}

    def _write_request(self, verb: str, text: str, parameters: list[Any],
                       on_failure: Any) -> tuple[str, dict[str, Any]]:
        tr = Translation(parameters)
        ps = Parser(text, tr)
        if verb == "INSERT":
            ps.take_keyword("INSERT")
            ps.take_keyword("INTO")
            table, index = ps.target()
            ps.take_keyword("VALUE")
            item = ps.literal()
            ps.end()
            if index is not None or "M" not in item:
                raise ValidationException("INSERT needs a table and an item as a map: INSERT INTO \"T\" VALUE {...}")
            t = self.engine.table(table)
            _all_parameters_used(tr)
            request = {"TableName": table, "Item": item["M"],
                       "ConditionExpression": f"attribute_not_exists({tr.name(t.schema.pk.name)})"}
            return "Put", tr.placeholders(request)
        if verb == "UPDATE":
            ps.take_keyword("UPDATE")
            table, _ = ps.target()
            t = self.engine.table(table)
            clauses = self._update_actions(ps)
            ps.take_keyword("WHERE")
            key, rest = ps.key_and_rest(t.schema.key_names)
            returning = self._returning(ps, ("ALL OLD", "MODIFIED OLD", "ALL NEW", "MODIFIED NEW"))
            ps.end()
            condition = [f"attribute_exists({tr.name(t.schema.pk.name)})", *(f"({r})" for r in rest)]
            request = {"TableName": table, "Key": _whole_key(t, key), "UpdateExpression": " ".join(clauses),
                       "ConditionExpression": " AND ".join(condition)}
        else:
            ps.take_keyword("DELETE")
            ps.take_keyword("FROM")
            table, _ = ps.target()
            t = self.engine.table(table)
            ps.take_keyword("WHERE")
            key, rest = ps.key_and_rest(t.schema.key_names)
            returning = self._returning(ps, ("ALL OLD",))
            ps.end()
            request = {"TableName": table, "Key": _whole_key(t, key)}
            if rest:  # no such item deletes nothing; an item the rest is false for fails
                missing = f"attribute_not_exists({tr.name(t.schema.pk.name)})"
                request["ConditionExpression"] = f"{missing} OR ({' AND '.join(f'({r})' for r in rest)})"
        _all_parameters_used(tr)
        if returning is not None:
            request["ReturnValues"] = returning
        if on_failure is not None:
            request["ReturnValuesOnConditionCheckFailure"] = on_failure
        return ("Update" if verb == "UPDATE" else "Delete"), tr.placeholders(request)

    def _update_actions(self, ps: Parser) -> list[str]:
        sets: list[str] = []
        removes: list[str] = []
        adds: list[str] = []
        deletes: list[str] = []
        while ps.keyword("SET", "REMOVE"):
            if ps.take_keyword("SET", "REMOVE") == "REMOVE":
                removes.append(ps.path()[0])
                while ps.op(","):
                    ps.i += 1
                    removes.append(ps.path()[0])
                continue
            while True:
                path, _ = ps.path()
                ps.take_op("=")
                t = ps.tok
                if t.kind == "word" and t.text.lower() in ("set_add", "set_delete") and ps.tokens[ps.i + 1].text == "(":
                    ps.i += 2
                    target, _ = ps.path()
                    ps.take_op(",")
                    value = ps.tr.value(ps.literal())
                    ps.take_op(")")
                    if target != path:
                        raise ValidationException(f"{t.text} must change the attribute it is assigned to")
                    (adds if t.text.lower() == "set_add" else deletes).append(f"{path} {value}")
                else:
                    sets.append(f"{path} = {self._set_value(ps)}")
                if not ps.op(","):
                    break
                ps.i += 1
        if not (sets or removes or adds or deletes):
            raise ps.fail("SET or REMOVE")
        clauses = []
        for word, parts in (("SET", sets), ("REMOVE", removes), ("ADD", adds), ("DELETE", deletes)):
            if parts:
                clauses.append(f"{word} {', '.join(parts)}")
        return clauses

    def _set_value(self, ps: Parser) -> str:
        first = self._set_operand(ps)
        if ps.op("+", "-"):
            sign = ps.take_op("+", "-")
            return f"{first} {sign} {self._set_operand(ps)}"
        return first

    def _set_operand(self, ps: Parser) -> str:
        t = ps.tok
        if t.kind == "word" and t.text.lower() in ("list_append", "if_not_exists") and ps.tokens[ps.i + 1].text == "(":
            ps.i += 2
            a = self._set_operand(ps)
            ps.take_op(",")
            b = self._set_operand(ps)
            ps.take_op(")")
            return f"{t.text.lower()}({a}, {b})"
        return ps.operand()

    @staticmethod
    def _returning(ps: Parser, allowed: tuple[str, ...]) -> str | None:
        if not ps.keyword("RETURNING"):
            return None
        ps.i += 1
        which = ps.take_keyword("ALL", "MODIFIED")
        when = ps.take_keyword("OLD", "NEW")
        ps.take_op("*")
        if f"{which} {when}" not in allowed:
            raise ValidationException(f"RETURNING {which} {when} * is not supported here; use one of: "
                                      + ", ".join(f"{a} *" for a in allowed))
        return {"ALL OLD": "ALL_OLD", "MODIFIED OLD": "UPDATED_OLD", "ALL NEW": "ALL_NEW",
                "MODIFIED NEW": "UPDATED_NEW"}[f"{which} {when}"]

    def _exists(self, text: str, parameters: list[Any]) -> dict[str, Any]:
        """``EXISTS(SELECT * FROM "T" WHERE key AND cond)``: a transaction's ConditionCheck."""
        inner = text.strip()
        m = re.fullmatch(r"(?is)exists\s*\((.*)\)", inner)
        if m is None:
            raise ValidationException("Statement wasn't well formed, can't be processed: EXISTS(SELECT ...) expected")
        tr = Translation(parameters)
        ps = Parser(m.group(1), tr)
        ps.take_keyword("SELECT")
        ps.take_op("*")
        ps.take_keyword("FROM")
        table, _ = ps.target()
        t = self.engine.table(table)
        ps.take_keyword("WHERE")
        key, rest = ps.key_and_rest(t.schema.key_names)
        ps.end()
        _all_parameters_used(tr)
        condition = [f"attribute_exists({tr.name(t.schema.pk.name)})", *(f"({r})" for r in rest)]
        return tr.placeholders({"TableName": table, "Key": _whole_key(t, key),
                                "ConditionExpression": " AND ".join(condition)})


def _statement(value: Any, param: str) -> str:
    text = a_str(value, param)
    if not 1 <= len(text) <= MAX_STATEMENT:
        raise ValidationException(f"1 validation error detected: Value at 'statement' failed to satisfy constraint: "
                                  f"Member must have length between 1 and {MAX_STATEMENT}")
    return text


def _verb(text: str) -> str:
    word = text.strip().split(None, 1)[0].upper() if text.strip() else ""
    word = word.split("(", 1)[0]
    if word not in ("SELECT", "INSERT", "UPDATE", "DELETE", "EXISTS"):
        raise ValidationException("Statement wasn't well formed, can't be processed: a statement starts with "
                                  "SELECT, INSERT, UPDATE or DELETE")
    return word


def _target_name(text: str) -> str:
    tr = Translation([])
    ps = Parser(text, tr)
    while ps.tok.kind != "end" and not ps.keyword("INTO", "FROM", "UPDATE"):
        ps.i += 1
    ps.i += 1
    return ps.target()[0]


def _index_keys(t: Any, index: str | None) -> tuple[str, str | None]:
    """The partition and sort key names of the table, or of its index ``index``."""
    schema = t.schema.key_schema()
    if index is not None:
        for ix in (*t.schema.gsis, *t.schema.lsis):
            if ix.name == index:
                schema = ix.key_schema()
    names = [str(k["AttributeName"]) for k in schema]
    return names[0], (names[1] if len(names) > 1 else None)


def _whole_key(t: Any, key: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    if len(key) != len(t.schema.key_names):
        raise ValidationException("Where clause does not contain a mandatory equality on all key attributes")
    return key


def _all_parameters_used(tr: Translation) -> None:
    if tr.used_parameters != len(tr.parameters):
        raise ValidationException("Number of parameters in request and statement don't match.")


def _token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def _start_key(token: Any) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(a_str(token, "NextToken").encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValidationException("Invalid NextToken") from None
    if not isinstance(key, dict):
        raise ValidationException("Invalid NextToken")
    return key


def _batch_code(exc: TableError) -> str:
    """A batch statement's error code, as BatchStatementError names it."""
    return {"ResourceNotFoundException": "ResourceNotFound",
            "ConditionalCheckFailedException": "ConditionalCheckFailed",
            "DuplicateItemException": "DuplicateItem", "ValidationException": "ValidationError",
            "ProvisionedThroughputExceededException": "ProvisionedThroughputExceeded",
            "TransactionConflictException": "TransactionConflict",
            "InternalServerError": "InternalServerError"}.get(exc.code, exc.code)
