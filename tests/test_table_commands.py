"""The ``table`` commands (issue 7, item 8): every subcommand's parse and its errors,
their execution on the real table engine, and recording/replaying them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynviz.commands import (
    COMMAND_NAMES,
    CommandError,
    KeyTerm,
    TableCreate,
    TableDelete,
    TableDescribe,
    TableDrop,
    TableGet,
    TableIndex,
    TableList,
    TablePut,
    TableQuery,
    TableScan,
    TableStream,
    TableValue,
    command_help,
    parse_line,
    table_help,
)
from dynviz.executor import Executor
from dynviz.session.recording import Recorder, load_session
from dynviz.session.replay import replay_session
from dynviz.session.timeline import Snapshot
from dynviz.table import engine_for
from dynviz.table.console import desk_for

W = TableValue


def V(text: str, kind: str = "word") -> TableValue:  # noqa: N802
    return TableValue(text, kind)


CASES = [
    ("table create users pk=id", TableCreate("users", ("id", "S"))),
    ("table create orders pk=customer sk=ts:N rcu=5 wcu=2 stream=new_and_old_images accelerator=on",
     TableCreate("orders", ("customer", "S"), ("ts", "N"), rcu=5, wcu=2, stream="NEW_AND_OLD_IMAGES",
                 accelerator=True)),
    ("table create o.r-d_s pk=c:b sk=t:n lsi=bytotal:total:N:keys gsi=bystatus:status:S:ts:N ondemand",
     TableCreate("o.r-d_s", ("c", "B"), ("t", "N"),
                 (TableIndex("bytotal", ("c", "B"), ("total", "N"), "KEYS_ONLY"),),
                 (TableIndex("bystatus", ("status", "S"), ("ts", "N")),))),
    ("table create ttt pk=a gsi=byb:b:N:all", TableCreate("ttt", ("a", "S"), gsis=(TableIndex("byb", ("b", "N")),))),
    ("table create cart pk=user resolver=merge", TableCreate("cart", ("user", "S"), resolver="MERGE")),
    ("table create cart pk=user resolver=LWW", TableCreate("cart", ("user", "S"))),
    ('table put users id=42 name="Ada" ok=true gone=null n=1.5e3 s=abc',
     TablePut("users", (("id", V("42")), ("name", V("Ada", "string")), ("ok", V("true")), ("gone", V("null")),
                        ("n", V("1.5e3")), ("s", V("abc"))))),
    ('table put users {"id": {"N": "42"}, "b": {"B": "AAE="}}',
     TablePut("users", (("id", V('{"N":"42"}', "json")), ("b", V('{"B":"AAE="}', "json"))))),
    ('table put users {"id": 42, "tags": ["a", 1], "m": {"x": null}}  # plain JSON',
     TablePut("users", (("id", V('{"N":"42"}', "json")), ("tags", V('{"L":[{"S":"a"},{"N":"1"}]}', "json")),
                        ("m", V('{"M":{"x":{"NULL":true}}}', "json"))))),
    ("table get users id=42", TableGet("users", (("id", V("42")),))),
    ("table get users consistent id=42 ts=1", TableGet("users", (("id", V("42")), ("ts", V("1"))), True)),
    ('table get users {"id": {"S": "a b"}}', TableGet("users", (("id", V('{"S":"a b"}', "json")),))),
    ("table delete users id=42", TableDelete("users", (("id", V("42")),))),
    ("table query orders customer=ada", TableQuery("orders", KeyTerm("customer", "=", (V("ada"),)))),
    ("table query orders customer=ada ts>=3 limit=5 desc consistent",
     TableQuery("orders", KeyTerm("customer", "=", (V("ada"),)), KeyTerm("ts", ">=", (V("3"),)), limit=5,
                descending=True, consistent=True)),
    ('table query orders customer=ada and ts < "x y"',
     TableQuery("orders", KeyTerm("customer", "=", (V("ada"),)), KeyTerm("ts", "<", (V("x y", "string"),)))),
    ("table query orders customer=ada ts between 1 and 5 where total>20 and note begins_with A index=byts",
     TableQuery("orders", KeyTerm("customer", "=", (V("ada"),)), KeyTerm("ts", "between", (V("1"), V("5"))),
                (KeyTerm("total", ">", (V("20"),)), KeyTerm("note", "begins_with", (V("A"),))), "byts")),
    ("table query orders customer=ada begins_with(ts,20) after customer=ada ts=7",
     TableQuery("orders", KeyTerm("customer", "=", (V("ada"),)), KeyTerm("ts", "begins_with", (V("20"),)),
                after=(("customer", V("ada")), ("ts", V("7"))))),
    ("table query cart user=ada where items contains eggs and contains(tags,x)",
     TableQuery("cart", KeyTerm("user", "=", (V("ada"),)),
                where=(KeyTerm("items", "contains", (V("eggs"),)), KeyTerm("tags", "contains", (V("x"),))))),
    ("table query orders status=open where total <> 3 active=true",
     TableQuery("orders", KeyTerm("status", "=", (V("open"),)),
                where=(KeyTerm("total", "<>", (V("3"),)), KeyTerm("active", "=", (V("true"),))))),
    ("table scan orders", TableScan("orders")),
    ("table scan orders limit=10 segment=1/4 consistent where total>=3",
     TableScan("orders", (KeyTerm("total", ">=", (V("3"),)),), limit=10, segment=(1, 4), consistent=True)),
    ('table scan orders after {"customer": "ada", "ts": 3}',
     TableScan("orders", after=(("customer", V('{"S":"ada"}', "json")), ("ts", V('{"N":"3"}', "json"))))),
    ("table stream orders", TableStream("orders")),
    ("table stream orders from=LATEST limit=10", TableStream("orders", "latest", 10)),
    ("table list", TableList()),
    ("table describe orders", TableDescribe("orders")),
    ("table drop orders", TableDrop("orders")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_table_command_parses(text: str, expected: object) -> None:
    command = parse_line("  " + text + "  ", line=4)
    assert command == expected
    assert type(command) is type(expected)
    assert command.name == "table" and command.name in COMMAND_NAMES
    assert command.verb == text.split()[1]  # type: ignore[attr-defined]
    assert command.line == 4 and command.source == text
    assert parse_line(command.source) == command


def test_every_subcommand_is_covered_and_documented() -> None:
    assert {t.split()[1] for t, _ in CASES} == {s.split()[1] for s, _ in table_help()}
    assert any(s.startswith("table ") for s, _ in command_help())


def test_values_type_by_inference_and_by_the_key_schema() -> None:
    assert V("42").attribute() == {"N": "42"}
    assert V("42", "string").attribute() == {"S": "42"}
    assert V("true").attribute() == {"BOOL": True}
    assert V("null").attribute() == {"NULL": True}
    assert V("ada").attribute() == {"S": "ada"}
    assert V("42").as_type("S") == {"S": "42"}
    assert V("42", "string").as_type("N") == {"N": "42"}
    assert V("x").as_type("B") == {"B": "eA=="}
    with pytest.raises(ValueError, match="expected a number"):
        V("ada").as_type("N")


ERRORS = [
    ("table", 6, "expected a table subcommand"),
    ("table qurey users", 7, "did you mean 'query'"),
    ("table create", 13, "expected a table name"),
    ("table put ab id=1", 11, "3 to 255"),
    ("table put users", 16, "expected an item"),
    ("table put users id=1 id=2", 22, "given twice"),
    ("table put users id= x=1", 20, "expected a value after 'id='"),
    ("table put users nope", 17, "expected ATTR=VALUE"),
    ('table put users {"id": 1', 25, "bad JSON"),
    ('table put users {"id": 1} x=2', 27, "after the JSON"),
    ('table put users {"id": {"N": "ten"}}', 17, "is not a number"),
    ('table put users {"a": NaN}', 17, "not a number DynamoDB accepts"),
    ('table put users {"a": {"B": "???"}}', 17, "not base64"),
    ("table put users {}", 17, "at least one attribute"),
    ("table create users", 19, "expected pk="),
    ("table create users pk=id rcu=5", 31, "expected wcu="),
    ("table create users pk=id rcu=5 wcu=5 ondemand", 38, "not both"),
    ("table create users pk=id:X", 26, "S, N or B"),
    ("table create users pk=id lsi=byx:x:S", 26, "needs a table with a sort key"),
    ("table create users pk=id sk=id", 29, "must differ"),
    ("table create users pk=id gsi=g:x:S", 30, "index name"),
    ("table create users pk=id gsi=gsi1:x", 30, "expected gsi=NAME"),
    ("table create users pk=id stream=all", 33, "KEYS_ONLY"),
    ("table create users pk=id rcu=0 wcu=1", 30, "at least 1"),
    ("table create users pk=id colour=red", 26, "unknown option 'colour'"),
    ("table create users pk=id x", 26, "unexpected 'x'"),
    ("table get users", 16, "expected the item's key"),
    ("table create cart pk=user resolver=union", 36, "expected resolver to be lww or merge"),
    ("table query users id=1 where tags contains", 43, "expected a value after 'tags contains'"),
    ("table query users", 18, "expected the partition key"),
    ("table query users ts>5", 19, "partition key condition first"),
    ("table query users id=1 a=1 b=2", 28, "at most one sort key"),
    ("table query users id=1 ts between 1 5", 38, "between LOW and HIGH"),
    ("table query users id=1 ts between 1 or 5", 37, "expected 'and'"),
    ("table query users id=1 ts ~ 5", 27, "expected an operator"),
    ("table query users id=1 ts", 26, "expected an operator"),
    ("table query users id=1 ts >=", 29, "expected a value"),
    ("table query users id=1 limit=0", 30, "at least 1"),
    ("table query users id=1 limit=5 limit=6", 32, "given twice"),
    ("table query users id=1 after", 29, "expected the start key"),
    ("table query users id=1 after x", 30, "ATTR=VALUE after 'after'"),
    ("table query users id=1 where", 29, "expected a condition after 'where'"),
    ("table query users id=1 desc desc", 29, "given twice"),
    ("table scan users id=1", 18, "a scan has no key condition"),
    ("table scan users desc", 18, "desc is for query"),
    ("table scan users segment=4/4", 26, "0 <= I < N"),
    ("table scan users segment=x", 26, "segment=I/N"),
    ("table stream users from=now", 25, "trim_horizon, latest"),
    ("table stream users limit=5000", 26, "at most 1000"),
    ("table stream users x", 20, "unexpected 'x'"),
    ("table list users", 12, "unexpected 'users'"),
    ("table describe users x", 22, "unexpected 'x'"),
    ("as bob table list", 8, "can only come before put, get or delete"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), ERRORS, ids=[e[0] for e in ERRORS])
def test_table_errors_point_at_the_mistake(text: str, column: int, fragment: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_line(text)
    assert info.value.column == column, str(info.value)
    assert fragment in info.value.message
    assert "\n" not in str(info.value)


def test_deep_json_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="nested"):
        parse_line('table put users {"a": ' + "[" * 50_000 + "]" * 50_000 + "}")
    with pytest.raises(CommandError, match="nested more than 32"):
        parse_line('table put users {"a": ' + "[" * 40 + "]" * 40 + "}")


# -- execution --------------------------------------------------------------------------


def run(ex: Executor, *lines: str):
    outcomes = [ex.execute(parse_line(line)) for line in lines]  # type: ignore[arg-type]
    for o in outcomes:
        json.dumps(o.as_json())  # every outcome is JSON-able
    return outcomes[-1]


def test_create_put_get_and_errors_carry_dynamodb_codes() -> None:
    ex = Executor()
    out = run(ex, "table create users pk=id:N", 'table put users id=1 name="Ada" langs=3')
    assert out.ok and out.data["item"] == {"id": {"N": "1"}, "name": {"S": "Ada"}, "langs": {"N": "3"}}
    out = run(ex, "table get users id=1")
    assert out.ok and out.data["found"] and 'name: "Ada"' in out.text
    out = run(ex, "table get users id=abc")
    assert not out.ok and out.invalid and out.data["code"] == "ValidationException"
    assert "id is a key attribute of type N" in out.error
    out = run(ex, "table get nothere id=1")
    assert not out.ok and out.invalid and out.data["code"] == "ResourceNotFoundException"
    out = run(ex, "table create users pk=id")
    assert out.data["code"] == "ResourceInUseException"
    out = run(ex, 'table put users {"id": {"S": "1"}}')  # explicit JSON types are not coerced
    assert out.data["code"] == "ValidationException"
    out = run(ex, "table delete users id=1", "table get users id=1")
    assert out.ok and not out.data["found"]
    assert engine_for(ex.cluster) is ex.tables.engine  # one engine per cluster


def test_query_pages_with_last_evaluated_key_and_filters() -> None:
    ex = Executor()
    run(ex, "table create orders pk=customer sk=ts:N",
        *[f"table put orders customer=ada ts={i} total={i * 10}" for i in range(7)])
    seen = []
    out = run(ex, "table query orders customer=ada limit=3")
    while True:
        seen += [int(it["ts"]["N"]) for it in out.data["items"]]
        if not out.data["next"]:
            break
        assert out.data["next"].startswith("table query orders customer=ada limit=3 after customer=\"ada\" ts=")
        out = run(ex, out.data["next"])
    assert seen == list(range(7))
    out = run(ex, "table query orders customer=ada ts between 2 and 5 where total>=40 desc")
    assert [int(it["ts"]["N"]) for it in out.data["items"]] == [5, 4]
    assert out.data["count"] == 2 and out.data["scanned_count"] == 4
    page = ex.tables.pages[("orders", "query")]
    assert page.count == 2 and page.scanned == 4 and page.consumed == 0.5


def test_parallel_scan_segments_cover_every_item_once() -> None:
    ex = Executor()
    run(ex, "table create items pk=id:N", *[f"table put items id={i}" for i in range(20)])
    found = []
    for seg in range(3):
        out = run(ex, f"table scan items segment={seg}/3")
        found += [int(it["id"]["N"]) for it in out.data["items"]]
    assert sorted(found) == list(range(20))


def test_stream_reads_go_on_from_where_they_stopped() -> None:
    ex = Executor()
    run(ex, "table create t01 pk=id stream=NEW_AND_OLD_IMAGES", "table put t01 id=a v=1", "table put t01 id=a v=2")
    out = run(ex, "table stream t01")
    assert [r["eventName"] for r in out.data["records"]] == ["INSERT", "MODIFY"]
    out = run(ex, "table put t01 id=a v=2", "table stream t01")  # a write that changes nothing: no record
    assert out.data["records"] == []
    out = run(ex, "table delete t01 id=a", "table stream t01")
    assert [r["eventName"] for r in out.data["records"]] == ["REMOVE"]
    out = run(ex, "table stream t01 from=trim_horizon")
    assert len(out.data["records"]) == 3
    out = run(ex, "table stream t01 from=latest", "table put t01 id=b", "table stream t01")
    assert [r["eventName"] for r in out.data["records"]] == ["INSERT"]
    out = run(ex, "table create t02 pk=id", "table stream t02")
    assert not out.ok and "has no stream" in out.error


def test_throttling_is_a_failed_outcome_not_an_invalid_one() -> None:
    ex = Executor()
    out = run(ex, "table create hot pk=id wcu=1 rcu=1", *[f"table put hot id={i}" for i in range(4)])
    assert not out.ok and not out.invalid
    assert out.data["code"] == "ProvisionedThroughputExceededException"
    assert ex.tables.throttle_count >= 1 and ex.tables.throttles[-1].op == "PutItem"
    snap = ex.tables.snapshot("hot")
    assert snap.capacity.throttled_writes == ex.tables.throttle_count


def test_accelerator_serves_repeated_reads_from_cache() -> None:
    ex = Executor()
    run(ex, "table create fast pk=id accelerator=on", "table put fast id=a v=1")
    out = run(ex, "table query fast id=a")
    assert not out.data["cached"]
    out = run(ex, "table query fast id=a")
    assert out.data["cached"] and "cache hit" in out.text
    out = run(ex, "table get fast id=a consistent")
    assert not out.data["cached"]
    stats = ex.tables.snapshot("fast").cache
    assert stats.queries.hits == 1 and stats.queries.misses == 1


def test_snapshot_leaves_the_token_buckets_alone() -> None:
    ex = Executor()
    run(ex, "table create prov pk=id rcu=3 wcu=3")
    t = ex.tables.engine.tables["prov"]
    before = (t.read_bucket.tokens, t.read_bucket.updated)
    ex.cluster.run(2_000_000)
    ex.tables.snapshot("prov")
    assert (t.read_bucket.tokens, t.read_bucket.updated) == before


def test_describe_list_drop() -> None:
    ex = Executor()
    out = run(ex, "table create one pk=id sk=n:N lsi=byx:x:S gsi=byy:y:S rcu=2 wcu=2 stream=KEYS_ONLY",
              "table describe one")
    assert "local index byx" in out.text and "global index byy" in out.text and "stream KEYS_ONLY" in out.text
    out = run(ex, "table list")
    assert [r["table"] for r in out.data["tables"]] == ["one"]
    out = run(ex, "table drop one", "table list")
    assert out.data["tables"] == []


def test_placement_follows_the_partition_keys() -> None:
    ex = Executor()
    run(ex, "table create where pk=id", *[f"table put where id=k{i} n={j}" for i in range(5) for j in range(2)])
    places = ex.tables.placement("where")
    assert len(places) == 5
    for p in places:
        assert p.preference_list == tuple(ex.cluster.ring.preference_list(p.group, ex.cluster.config.n))


# -- sessions ---------------------------------------------------------------------------

SCRIPT = [
    "table create orders pk=customer sk=ts:N gsi=bytotal:total:N rcu=2 wcu=2 stream=NEW_AND_OLD_IMAGES",
    "table create cache pk=id accelerator=on",
    *[f"table put orders customer=c{i % 3} ts={i} total={i}" for i in range(6)],
    "table put cache id=x v=1",
    "table query orders customer=c1 limit=1",
    "table scan orders limit=2",
    "table get cache id=x",
    "table stream orders",
    "table delete orders customer=c0 ts=0",
]


def test_table_commands_record_and_replay_to_the_same_digests(tmp_path: Path) -> None:
    path = tmp_path / "tables.jsonl"
    ex = Executor()
    outcomes = []
    with Recorder.for_executor(path, ex) as rec:
        for line in SCRIPT:
            rec.record(ex.cluster, line, "typed")
            ex.submit(parse_line(line), outcomes.append)  # type: ignore[arg-type]
            ex.cluster.run(150_000)
        rec.close(ex.cluster)
    assert any(not o.ok for o in outcomes) and any(o.ok for o in outcomes)  # some writes throttled
    result = replay_session(load_session(path), keep_outcomes=True)
    assert result.verified, result
    assert [o.text for o in result.outcomes] == [o.text for o in outcomes]


def test_a_cluster_snapshot_carries_its_tables() -> None:
    ex = Executor()
    run(ex, "table create snap pk=id accelerator=on gsi=byv:v:N", "table put snap id=a v=1")
    snap = Snapshot.take(ex.cluster)
    run(ex, "table put snap id=b v=2")
    restored = snap.restore()
    desk = desk_for(restored)
    assert desk.engine is not ex.tables.engine and engine_for(restored) is desk.engine
    assert desk.snapshot("snap").item_count == 1
    assert desk.fast.item_cache.clock() == restored.now
    out = desk.plain.scan(TableName="snap")
    assert [it["id"]["S"] for it in out["Items"]] == ["a"]
    desk.engine.wait_for_indexes()  # the GSI update pending in the snapshot applies to the restored engine
    assert desk.snapshot("snap").indexes[0].item_count == 1


def test_lesson_table_checks() -> None:
    from dynviz.session.predicates import Context, parse_check

    ex = Executor()
    run(ex, "table create chk pk=id sk=n:N", "table put chk id=a n=1", "table put chk id=a n=2")
    ctx = Context(ex.cluster, [], ex)
    assert parse_check("table query chk id=a n>=2 => count=1 scanned=1 ok")(ctx).ok
    result = parse_check("table query chk id=a => count=5")(ctx)
    assert not result.ok and "count=2 (expected 5)" in result.message
    assert parse_check("table get chk id=b n=1 => missing")(ctx).ok
    assert parse_check("table get nope id=b n=1 => fails")(ctx).ok
    for text, column, fragment in [("table query chk", 16, "partition key"), ("table list", 11, "expected '=>"),
                                   ("table list =>", 14, "expected what to check"),
                                   ("table list => count=x", 15, "expected count=N")]:
        with pytest.raises(CommandError) as info:
            parse_check(text, 3, 1)
        assert info.value.column == column and fragment in info.value.message and info.value.line == 3


def test_table_texts_count_one_in_the_singular() -> None:
    ex = Executor()
    out = run(ex, "table create t01 pk=id stream=NEW_AND_OLD_IMAGES", "table put t01 id=a v=1", "table describe t01")
    assert "1 item" in out.text and "1 items" not in out.text and "1 records" not in out.text
    assert "1 record, latest" in out.text
    assert run(ex, "table list").text.startswith("1 table:")
    assert run(ex, "table stream t01 from=trim_horizon").text.splitlines()[0].endswith(": 1 new record")


def test_the_log_names_table_items_by_their_sort_key_values() -> None:
    """Issue 13: event descriptions showed a number sort key as escaped bytes
    (``orders/bob[\\x03\\...``); they read ``scores/ann[42]``, and index entries show
    their values too."""
    from dynviz.events import EventBus

    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda event: seen.append(event.describe()))
    ex = Executor(bus=bus)
    run(ex, "table create scores pk=player sk=points:N gsi=bypoints:points:N",
        "table put scores player=ann points=42", "table put scores player=bob points=-1.5")
    ex.cluster.run(5_000_000)  # the index entries follow
    text = "\n".join(seen)
    assert "scores/ann[42]" in text and "scores/bob[-1.5]" in text
    assert "/42[ann, 42]" in text  # the index entry: (its partition's) table keys, read back
    assert "\\x" not in text
