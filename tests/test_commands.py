"""The command language: every command's parse, error positions, scripts, fuzzing."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.commands import (
    COMMAND_NAMES,
    Abort,
    AntiEntropy,
    Cluster,
    Command,
    CommandError,
    Delay,
    Delete,
    Deliver,
    DropMessage,
    Duplicate,
    Expect,
    Fire,
    Get,
    Gossip,
    Heal,
    Hold,
    Inspect,
    Join,
    Kill,
    Latency,
    Leave,
    Loss,
    Partition,
    Pause,
    Put,
    Recover,
    Release,
    Remove,
    Run,
    Say,
    Script,
    Settle,
    ShowNetwork,
    Skew,
    Step,
    TableList,
    Views,
    WaitUntil,
    Wipe,
    command_help,
    parse_line,
    parse_script,
)

CASES: list[tuple[str, Command]] = [
    ("put cart:alice milk", Put(None, "cart:alice", "milk")),
    ('put user/42 "two words"', Put(None, "user/42", "two words")),
    ("put user#1 x", Put(None, "user#1", "x")),
    ('put k ""', Put(None, "k", "")),
    ('put "a=b" "c=d"', Put(None, "a=b", "c=d")),
    ("put k v via=n2 n=3 w=2 pw=1", Put(None, "k", "v", "n2", 3, 2, 1)),
    ("put k v r=2 n=3", Put(None, "k", "v", n=3, r=2)),
    ('as bob put k "say \\"hi\\" \\\\o/" via=n1', Put("bob", "k", 'say "hi" \\o/', "n1")),
    ("get cart:alice", Get(None, "cart:alice")),
    ("as bob get cart:alice via=n1 n=3 r=2 pr=1", Get("bob", "cart:alice", "n1", 3, 2, 1)),
    ("delete k", Delete(None, "k")),
    ("as carol delete k via=n-1 w=2", Delete("carol", "k", "n-1", 2)),
    ("kill n3", Kill("n3")),
    ("recover n3", Recover("n3")),
    ("wipe node_7", Wipe("node_7")),
    ("partition n1,n2 | n3,n4,n5", Partition((("n1", "n2"), ("n3", "n4", "n5")))),
    ("partition n1,n2|n3", Partition((("n1", "n2"), ("n3",)))),
    ("partition a | b | c", Partition((("a",), ("b",), ("c",)))),
    ("partition n1, n2 |n3 # comment", Partition((("n1", "n2"), ("n3",)))),
    ("heal", Heal()),
    ("loss 0.05", Loss(0.05)),
    ("loss 1", Loss(1.0)),
    ("loss 0", Loss(0.0)),
    ("latency 1ms..5ms", Latency(1_000, 5_000)),
    ("latency 2ms", Latency(2_000, 2_000)),
    ("latency 500us..1.5ms", Latency(500, 1_500)),
    ("skew n4 +5s", Skew("n4", 5_000_000)),
    ("skew n4 -200ms", Skew("n4", -200_000)),
    ("skew n4 0", Skew("n4", 0)),
    ("skew n4 1m", Skew("n4", 60_000_000)),
    ("run 2s", Run(2_000_000)),
    ("run 1.5s", Run(1_500_000)),
    ("run 200ms", Run(200_000)),
    ("run 500us", Run(500)),
    ("step", Step()),
    ("step 10", Step(10)),
    ("step 100000000", Step(100_000_000)),
    ("abort", Abort()),
    ('say "look" key=cart node=n3 panel=versions', Say("look", "cart", "n3", "versions")),
    ("settle", Settle()),
    ("settle 30s", Settle(30_000_000)),
    ("inspect cart:alice", Inspect("cart:alice")),
    ("inspect cart:alice on n2", Inspect("cart:alice", "n2")),
    ('say "Now kill the coordinator."', Say("Now kill the coordinator.")),
    ("say the rest of the line # not this", Say("the rest of the line")),
    ("join n9", Join("n9")),
    ("join n9 vnodes=16", Join("n9", 16)),
    ("leave n2", Leave("n2")),
    ("remove n2", Remove("n2")),
    ("antientropy n1 n2", AntiEntropy("n1", "n2")),
    ("gossip n1", Gossip("n1")),
    ("views", Views()),
    ("network", ShowNetwork()),
    ("network node=n1 key=cart kind=ack", ShowNetwork("n1", "cart", "ack")),
    ("hold", Hold()),
    ("hold n3", Hold(None, "n3")),
    ("hold n1->n3", Hold("n1", "n3")),
    ("release", Release(every=True)),
    ("release n3", Release(None, "n3")),
    ("release n1->n3", Release("n1", "n3")),
    ("deliver m42", Deliver("m42")),
    ("deliver 42", Deliver("m42")),
    ("drop m7", DropMessage("m7")),
    ("duplicate m7", Duplicate("m7")),
    ("delay m7 300ms", Delay("m7", 300_000)),
    ("fire n1.t42", Fire("n1.t42")),
    ("wait until replicas of k agree", WaitUntil("replicas of k agree")),
    ("wait until n3 == up timeout=5s", WaitUntil("n3 == up", 5_000_000)),
    ("pause", Pause()),
    ('expect get k == "v1" "v2"', Expect('get k == "v1" "v2"')),
    ("script orders.py timeout=30s", Script("orders.py", 30_000_000)),
    ("cluster", Cluster()),
    ("cluster nodes=5", Cluster((("nodes", 5),))),
    ("table list", TableList()),  # every table subcommand: tests/test_table_commands.py
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_command_parses_to_its_dataclass(text: str, expected: Command) -> None:
    command = parse_line("  " + text + "  ", line=7)
    assert command == expected
    assert type(command) is type(expected)
    assert command.line == 7
    assert command.source == text
    assert command.name == text.split()[2 if text.startswith("as ") else 0]


def test_every_command_name_is_covered_and_documented() -> None:
    covered = {type(expected).name for _, expected in CASES}
    assert covered == set(COMMAND_NAMES)
    helps = command_help()
    assert len(helps) == len(COMMAND_NAMES)
    for (syntax, description), name in zip(helps, COMMAND_NAMES, strict=True):
        assert name in syntax
        assert description and "\n" not in description


def test_commands_are_frozen_and_slotted() -> None:
    command = parse_line("kill n1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.node = "n2"  # type: ignore[misc]
    assert not hasattr(command, "__dict__")
    assert Kill("n1", line=3, source="kill n1").line == 3  # where a command came from...
    with pytest.raises(TypeError):
        Kill("n1", 3, "kill n1")  # type: ignore[misc]  # ...is keyword-only, never mistaken for what it does


def test_cluster_options_are_converted_and_in_canonical_order() -> None:
    command = parse_line(
        "cluster dir=/tmp/x storage=sqlite routing=lb antientropy=on readrepair=off"
        " handoff=on seeds=S1,S2 loss=0.1 latency=1ms..5ms seed=42 resolver=lww"
        " versioning=vclock strategy=equal partitions=64 vnodes=8 w=2 r=2 n=3"
        " nodes=S1,S2,S3"
    )
    assert isinstance(command, Cluster)
    assert command.options == (
        ("nodes", ("S1", "S2", "S3")),
        ("n", 3),
        ("r", 2),
        ("w", 2),
        ("vnodes", 8),
        ("partitions", 64),
        ("strategy", "equal"),
        ("versioning", "vclock"),
        ("resolver", "lww"),
        ("seed", 42),
        ("latency", (1_000, 5_000)),
        ("loss", 0.1),
        ("seeds", ("S1", "S2")),
        ("handoff", True),
        ("readrepair", False),
        ("antientropy", True),
        ("routing", "lb"),
        ("storage", "sqlite"),
        ("dir", "/tmp/x"),
    )
    assert command.get("n") == 3
    assert command.get("loss") == 0.1
    assert parse_line("cluster").get("n", 3) == 3  # type: ignore[union-attr]
    assert parse_line('cluster dir="my dir"').get("dir") == "my dir"  # type: ignore[union-attr]
    assert parse_line("cluster n=3 nodes=5") == parse_line("cluster nodes=5 n=3")


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("run 2x", 5, "unit: us, ms, s or m"),
        ("run 5", 5, "needs a unit"),
        ("settle -1s", 8, "expected the time limit with a unit"),
        ("skew n1 +5", 9, "needs a unit"),
        ("latency 5ms..1ms", 9, "LOW <= HIGH"),
        ("latency 1ms..9", 14, "needs a unit"),
        ("cluster nodes=3 speed=9", 17, "unknown option 'speed' for cluster; expected one of:"),
        ("put k v x=1", 9, "unknown option 'x' for put; expected one of: via, n, r, w, pw"),
        ("get k w=1", 7, "unknown option 'w' for get"),
        ("kill", 5, "expected a node name after 'kill'"),
        ("kill   # just a comment", 5, "expected a node name after 'kill'"),
        ("kill n1 n2", 9, "unexpected 'n2'"),
        ("recover n.1", 9, "letters, digits, '-' and '_'"),
        ("skew n1", 8, "expected a clock skew"),
        ("partition n1,n2 | n3,n1", 22, "node 'n1' is listed twice"),
        ("partition n1,n2", 16, "at least two groups"),
        ("partition n1,,n2 | n3", 14, "expected a node name before ','"),
        ("partition n1 n2 | n3", 14, "expected ',' or '|'"),
        ("partition", 10, "expected groups of node names"),
        ("cluster n=3 r=4", 13, "r=4 is larger than n=3"),
        ("cluster w=4 n=3", 9, "w=4 is larger than n=3"),
        ("put k v n=2 w=3", 13, "w=3 is larger than n=2"),
        ("cluster nodes=S1,S2 n=3", 21, "n=3 is more than the 2 nodes"),
        ("cluster nodes=S1,S1", 18, "listed twice"),
        ("cluster seeds=x nodes=a,b", 15, "seed 'x' is not one of the nodes"),
        ("cluster n=0", 11, "at least 1"),
        ("cluster n=3 n=3", 13, "given twice"),
        ("cluster strategy=fancy", 18, "one of: equal, random"),
        ("cluster loss=1.5", 14, "between 0 and 1"),
        ("put k", 6, "expected a value"),
        ("put", 4, "expected a key after 'put'"),
        ('put "" v', 5, "non-empty key"),
        ('put k "v', 7, "unterminated string"),
        ('put k "v"x', 10, "expected a space after the closing"),
        ('put k a"b', 8, "unexpected '\"' inside a word"),
        ('say "a\\n"', 7, "unknown escape"),
        ("putt k v", 1, "unknown command 'putt' (did you mean 'put'?)"),
        ("  klil n1", 3, "did you mean 'kill'?"),
        ("as", 3, "expected a client name after 'as'"),
        ("as bob", 7, "expected put, get or delete after 'as bob'"),
        ("as bob kill n1", 8, "'as bob' can only come before put, get or delete"),
        ("as b@b get k", 4, "client name"),
        ("step 0", 6, "at least 1"),
        ("step 100000001", 6, "at most 100,000,000"),
        ("run 1441m", 5, "at most 1440m"),
        ("settle 1441m", 8, "at most 1440m"),
        ('say "x" panel=version', 15, "did you mean 'versions'"),
        ('say "x" colour=red', 9, "unknown option"),
        ("step many", 6, "whole number"),
        ("loss high", 6, "probability"),
        ("inspect k at n1", 11, "expected 'on NODE'"),
        ("inspect k on", 13, "expected a node name after 'on'"),
        ("antientropy n1 n1", 16, "two different nodes"),
        ("antientropy n1", 15, "expected a second node name"),
        ("wait for it", 6, "expected 'until'"),
        ("wait until", 11, "expected a predicate"),
        ("wait until x timeout=5", 22, "needs a unit"),
        ("expect", 7, "expected a check"),
        ("say", 4, "expected text to say"),
        ("heal now", 6, "unexpected 'now'"),
        ("join n9 vnodes=x", 16, "whole number"),
        ("run 1.0000001s", 5, "finer than a microsecond"),
        ("step 99999999999999999999999", 6, "too large"),
        ('"put" k v', 1, "expected a command name"),
    ],
)
def test_errors_point_at_the_mistake(text: str, column: int, fragment: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_line(text, line=4)
    error = info.value
    assert (error.line, error.column) == (4, column), str(error)
    assert fragment in error.message
    assert str(error) == f"line 4, column {column}: {error.message}"


def test_command_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_line("nonsense")


SCRIPT = """\
# A lesson: sloppy quorum in action.
cluster nodes=5 n=3 r=2 w=2 seed=7

put cart:alice milk   # first write
   # an indented comment
kill n3

as bob get cart:alice
say "Bob still sees milk."
\r
run 2s
"""


def test_parse_script_keeps_line_numbers() -> None:
    commands = parse_script(SCRIPT)
    assert [(type(c), c.line) for c in commands] == [
        (Cluster, 2),
        (Put, 4),
        (Kill, 6),
        (Get, 8),
        (Say, 9),
        (Run, 11),
    ]
    assert commands[1].source == "put cart:alice milk   # first write"
    assert parse_script("") == []
    assert parse_script("# only comments\n\n") == []


def test_parse_script_reports_the_first_bad_line() -> None:
    with pytest.raises(CommandError) as info:
        parse_script("heal\n\n# ok\nrun 2s\nkill\nrun forever\n")
    assert (info.value.line, info.value.column) == (5, 5)


def test_parse_line_rejects_a_line_break() -> None:
    with pytest.raises(CommandError) as info:
        parse_line("heal\nkill n1")
    assert info.value.column == 5


def _check_total(text: str) -> None:
    try:
        command = parse_line(text)
    except CommandError as error:
        assert "\n" not in str(error)
        assert error.line == 1
        assert 1 <= error.column <= len(text) + 1
        return
    if command is not None:
        assert command.source == text.strip()
        assert command.name in COMMAND_NAMES
        assert parse_line(command.source) == command  # its source parses to itself


@settings(max_examples=600)
@given(st.text())
def test_fuzz_text_only_raises_command_error(text: str) -> None:
    _check_total(text)


@settings(max_examples=600)
@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_latin1_only_raises_command_error(text: str) -> None:
    _check_total(text)


_WORDS = st.sampled_from(
    [*COMMAND_NAMES, "as", "bob", "n1", "n2", "k", "|", ",", "n1,n2", "|n3", "2s", "1.5ms",
     "0", "+5s", "-1ms", "1ms..2ms", "5ms..1ms", "0.5", "2", "n=3", "r=4", "w=1", "pw=2",
     "via=n1", "via=", "nodes=S1,S2", "seeds=S3", "latency=1ms..2ms", "loss=2", "timeout=1s",
     "until", "on", '"q"', '"unterminated', "#", "x=\"a b\"", "\\", "\"\\\"\""]
)  # fmt: skip


@settings(max_examples=800)
@given(
    st.lists(st.one_of(_WORDS, st.text(max_size=4)), max_size=8),
    st.sampled_from([" ", "  ", "\t", ""]),
)
def test_fuzz_command_shaped_words_only_raise_command_error(words: list[str], sep: str) -> None:
    _check_total(sep.join(words))


@settings(max_examples=300)
@given(st.lists(st.one_of(st.text(max_size=30), _WORDS), max_size=12))
def test_fuzz_scripts_only_raise_command_error(lines: list[str]) -> None:
    try:
        commands = parse_script("\n".join(lines))
    except CommandError as error:
        assert "\n" not in str(error)
        assert 1 <= error.line <= "\n".join(lines).count("\n") + 1
        return
    assert all(1 <= c.line <= "\n".join(lines).count("\n") + 1 for c in commands)
