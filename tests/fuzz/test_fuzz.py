"""Fuzzing every input a user or a file can hand dynviz (issue 9): whatever the input,
the only exception is the module's own clear error, with a one-line message.

CI runs a small number of examples per target; the nightly-style run is

    DYNVIZ_FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/fuzz -q
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynviz.commands import CommandError, parse_line, parse_script
from dynviz.core.context import ContextError, decode_context
from dynviz.core.versions import decode_siblings
from dynviz.net.codec import CodecError, decode_message, encode_message
from dynviz.net.frames import FrameRejected, open_frame, seal
from dynviz.node.messages import ClientGet
from dynviz.session.lesson import LessonError, parse_lesson
from dynviz.session.predicates import parse_check, parse_predicate
from dynviz.session.recording import SessionError, parse_session
from dynviz.table.errors import ValidationException
from dynviz.table.expressions import Placeholders, parse_condition, parse_projection, parse_update

EXAMPLES = int(os.environ.get("DYNVIZ_FUZZ_EXAMPLES", "300"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

WORDS = st.sampled_from([
    "put", "get", "delete", "as", "alice", "kill", "recover", "n1", "n3", "partition", "|", ",", "heal",
    "cluster", "nodes=5", "n=3", "r=2", "w=9", "via=n2", "run", "2s", "-1s", "1e9s", "skew", "+5s", "loss",
    "0.5", "1.5", "latency", "1ms..5ms", "5ms..1ms", "say", '"', '\\"', "#", "join", "leave", "antientropy",
    "wait", "until", "expect", "siblings", ">=", "hint", "stored", "=", "cart:alice", "\x00", "é", "\t",
])
texts = st.one_of(st.text(max_size=80), st.lists(WORDS, max_size=12).map(" ".join),
                  st.binary(max_size=80).map(lambda b: b.decode("latin-1")))


def one_line(exc: Exception) -> None:
    assert "\n" not in str(exc) and str(exc)


@fuzz
@given(texts)
def test_command_parser(text: str) -> None:
    for parse in (parse_line, parse_script):
        try:
            parse(text)
        except CommandError as exc:
            one_line(exc)


@fuzz
@given(st.one_of(st.text(max_size=200), st.binary(max_size=150).map(lambda b: b.decode("latin-1"))))
def test_context_decoder(token: str) -> None:
    try:
        decode_context(token, b"secret", b"key")
    except ContextError as exc:
        one_line(exc)


@fuzz
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)))
def test_stored_siblings_decoder(data: bytes) -> None:
    try:
        decode_siblings(data)
    except ValueError as exc:
        one_line(exc)


def _session_lines() -> st.SearchStrategy[bytes]:
    header = {"type": "header", "format": "dynviz-session", "version": 1, "dynviz": "0.1.0", "seed": 1,
              "cluster": "cluster nodes=3 seed=1"}
    field_values = st.one_of(st.integers(-5, 10**7), st.text(max_size=20), st.none(), st.booleans())
    command = st.fixed_dictionaries({
        "type": st.sampled_from(["command", "footer", "header", "x"]),
        "time_us": field_values, "events": field_values,
        "origin": st.sampled_from(["typed", "workload", "setup", "evil", 3]),
        "text": st.one_of(texts, st.sampled_from(["put k v", "kill n1", "cluster nodes=2", "wait until quiet"])),
    })
    lines = st.lists(st.one_of(command.map(json.dumps), texts), max_size=6)
    return lines.map(lambda ls: "\n".join([json.dumps(header), *ls]).encode("utf-8", "surrogatepass"))


@fuzz
@given(st.one_of(_session_lines(), st.binary(max_size=300)))
def test_session_loader(data: bytes) -> None:
    try:
        parse_session(data, "fuzz.jsonl")
    except SessionError as exc:
        one_line(exc)


@fuzz
@given(texts)
def test_lesson_predicates_and_checks(text: str) -> None:
    for parse in (parse_predicate, parse_check):
        try:
            parse(text)
        except (CommandError, ValueError) as exc:
            one_line(exc)


@fuzz
@given(st.lists(texts, max_size=6).map("\n".join))
def test_lesson_files(text: str) -> None:
    try:
        parse_lesson(text, "fuzz")
    except (LessonError, CommandError) as exc:
        one_line(exc)


# -- the TCP wire ---------------------------------------------------------------------

WIRE_KEY = b"k" * 32


@fuzz
@given(st.binary(max_size=200))
def test_frame_opener(payload: bytes) -> None:
    try:
        open_frame(WIRE_KEY, payload)
    except FrameRejected:
        pass


@fuzz
@given(st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
                 lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=4)),
                 max_leaves=12).map(lambda x: json.dumps(x).encode()),
    st.just(encode_message(ClientGet(1, "client:x", b"key"))),
))
def test_message_decoder(body: bytes) -> None:
    """A correctly signed frame whose body is anything: only CodecError comes out."""
    try:
        decode_message(open_frame(WIRE_KEY, seal(WIRE_KEY, body)[4:]))
    except CodecError as exc:
        one_line(exc)


# -- table expressions ------------------------------------------------------------------

EXPR_WORDS = st.sampled_from([
    "#a", "#b", ":v", ":w", "a", "b.c", "l[0]", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "NOT", "(", ")",
    ",", "BETWEEN", "IN", "begins_with", "contains", "attribute_exists", "attribute_not_exists", "size",
    "attribute_type", "SET", "REMOVE", "ADD", "DELETE", "+", "-", "if_not_exists", "list_append", "[", "]",
    ".", "\u00e9", "0", "'",
])
expressions = st.one_of(st.text(max_size=60), st.lists(EXPR_WORDS, max_size=14).map(" ".join))


@fuzz
@given(expressions, st.sampled_from(["condition", "filter", "key", "update", "projection"]))
def test_table_expression_parser(text: str, kind: str) -> None:
    names = {"#a": "a", "#b": "b"}
    values = {":v": {"S": "x"}, ":w": {"N": "1"}}
    try:
        placeholders = Placeholders(names, values)
        if kind == "update":
            parse_update(text, placeholders)
        elif kind == "projection":
            parse_projection(text, placeholders)
        else:
            parse_condition(text, {"condition": "ConditionExpression", "filter": "FilterExpression",
                                   "key": "KeyConditionExpression"}[kind], placeholders)
    except ValidationException as exc:
        one_line(exc)
