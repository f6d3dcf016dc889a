"""Query and Scan against DynamoDB's documented paging and parameter rules (the API
reference's Query and Scan pages, and the developer guide's "Paginating table query
results" and "Parallel scan"): order, Limit, LastEvaluatedKey, the 1 MB page, Select,
filters applied after the read, and segments."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import code_of, keys_table


def n(v: int) -> dict[str, str]:
    return {"N": str(v)}


def s(v: str) -> dict[str, str]:
    return {"S": v}


@pytest.fixture
def orders(ddb: Any) -> Any:
    """Partition ``c1`` holds order numbers 0..29 (written out of order), each with a
    ``kind`` of ``"odd"`` or ``"even"``; partition ``c2`` holds three more."""
    ddb.create_table(**keys_table("orders", ("customer", "S"), ("order", "N")))
    for i in (17, 3, 29, 0, 11, 8, 22, 5, 14, 26, 1, 19, 9, 24, 6, 13, 28, 2, 20, 10, 16, 27, 4, 23, 7, 15,
              25, 12, 21, 18):
        ddb.put_item(TableName="orders", Item={"customer": s("c1"), "order": n(i),
                                               "kind": s("odd" if i % 2 else "even")})
    for i in range(3):
        ddb.put_item(TableName="orders", Item={"customer": s("c2"), "order": n(i), "kind": s("even")})
    return ddb


def query_c1(ddb: Any, **extra: Any) -> dict[str, Any]:
    return dict(ddb.query(TableName="orders", KeyConditionExpression="customer = :c",
                          ExpressionAttributeValues={":c": s("c1"), **extra.pop("values", {})}, **extra))


def orders_of(page: dict[str, Any]) -> list[int]:
    return [int(it["order"]["N"]) for it in page["Items"]]


def test_a_query_reads_its_partition_in_sort_key_order_either_way(orders: Any):
    assert orders_of(query_c1(orders)) == list(range(30))
    assert orders_of(query_c1(orders, ScanIndexForward=False)) == list(range(29, -1, -1))


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [1, 7, 30, 31])
def test_limit_pages_resume_after_the_last_evaluated_key(orders: Any, limit: int, forward: bool):
    # Each page holds at most Limit items; a page that stopped because of Limit has a
    # LastEvaluatedKey even when nothing follows it; only the last page has none.
    seen: list[int] = []
    start: dict[str, Any] | None = None
    pages = 0
    while True:
        extra: dict[str, Any] = {"Limit": limit, "ScanIndexForward": forward}
        if start is not None:
            extra["ExclusiveStartKey"] = start
        page = query_c1(orders, **extra)
        pages += 1
        assert len(page["Items"]) <= limit
        seen += orders_of(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            break
        assert set(start) == {"customer", "order"}
    assert seen == (list(range(30)) if forward else list(range(29, -1, -1)))
    assert pages == 30 // limit + 1 if limit <= 30 else pages == 1


def test_the_filter_runs_after_the_limit_and_count_says_what_matched(orders: Any):
    # "A filter expression is applied after a Query finishes, but before the results
    # are returned": ScannedCount is what was read (up to Limit), Count what matched.
    page = query_c1(orders, Limit=10, FilterExpression="kind = :k", values={":k": s("odd")})
    assert page["ScannedCount"] == 10 and page["Count"] == 5
    assert orders_of(page) == [1, 3, 5, 7, 9]
    assert page["LastEvaluatedKey"]["order"] == n(9)


def test_select_count_returns_counts_and_no_items(orders: Any):
    page = query_c1(orders, Select="COUNT")
    assert "Items" not in page and page["Count"] == 30 and page["ScannedCount"] == 30
    with pytest.raises(Exception) as exc:
        query_c1(orders, Select="COUNT", ProjectionExpression="kind")
    assert code_of(exc.value) == "ValidationException"
    with pytest.raises(Exception) as exc:
        query_c1(orders, Select="SPECIFIC_ATTRIBUTES")
    assert code_of(exc.value) == "ValidationException"
    with pytest.raises(Exception) as exc:
        query_c1(orders, Select="ALL_PROJECTED_ATTRIBUTES")  # only for an index
    assert code_of(exc.value) == "ValidationException"


@pytest.mark.parametrize("start", [
    {"customer": s("c1")},  # the sort key is missing
    {"customer": s("c1"), "order": s("3")},  # of the wrong type
    {"customer": s("c1"), "order": n(3), "kind": s("odd")},  # not a key attribute
    {"customer": s("c2"), "order": n(1)},  # outside the partition queried
])
def test_an_exclusive_start_key_must_be_a_key_of_the_queried_run(orders: Any, start: dict[str, Any]):
    with pytest.raises(Exception) as exc:
        query_c1(orders, ExclusiveStartKey=start)
    assert code_of(exc.value) == "ValidationException"


def test_a_scan_page_stops_after_one_megabyte(ddb: Any):
    # "A single Scan operation reads up to the maximum number of items set (if using
    # the Limit parameter) or a maximum of 1 MB of data".
    ddb.create_table(**keys_table("blobs", ("id", "N")))
    filler = "x" * 50_000
    for i in range(40):  # about 2 MB
        ddb.put_item(TableName="blobs", Item={"id": n(i), "data": s(filler)})
    first = ddb.scan(TableName="blobs")
    assert 0 < first["Count"] < 40 and "LastEvaluatedKey" in first
    ids = {int(it["id"]["N"]) for it in first["Items"]}
    page = first
    while "LastEvaluatedKey" in page:
        page = ddb.scan(TableName="blobs", ExclusiveStartKey=page["LastEvaluatedKey"])
        ids |= {int(it["id"]["N"]) for it in page["Items"]}
    assert ids == set(range(40))


@pytest.mark.parametrize("total", [1, 2, 5, 17])
def test_parallel_scan_segments_split_the_table_without_overlap(orders: Any, total: int):
    seen: list[tuple[str, int]] = []
    for segment in range(total):
        page: dict[str, Any] = {"LastEvaluatedKey": None}
        while "LastEvaluatedKey" in page:
            extra: dict[str, Any] = {"Segment": segment, "TotalSegments": total, "Limit": 4}
            if page["LastEvaluatedKey"] is not None:
                extra["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            page = orders.scan(TableName="orders", **extra)
            seen += [(it["customer"]["S"], int(it["order"]["N"])) for it in page["Items"]]
    assert sorted(seen) == sorted([("c1", i) for i in range(30)] + [("c2", i) for i in range(3)])


@pytest.mark.parametrize("params", [
    {"Segment": 0},
    {"TotalSegments": 2},
    {"Segment": 2, "TotalSegments": 2},
    {"Segment": 0, "TotalSegments": 1_000_001},
])
def test_segment_and_total_segments_go_together_and_in_range(orders: Any, params: dict[str, int]):
    with pytest.raises(Exception) as exc:
        orders.scan(TableName="orders", **params)
    assert code_of(exc.value) == "ValidationException"


def test_consistent_reads_are_not_served_by_a_global_index(ddb: Any):
    ddb.create_table(**keys_table("byk", ("id", "S"), more_attributes=[("kind", "S")], GlobalSecondaryIndexes=[{
        "IndexName": "by_kind", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}]))
    for op in (lambda: ddb.scan(TableName="byk", IndexName="by_kind", ConsistentRead=True),
               lambda: ddb.query(TableName="byk", IndexName="by_kind", ConsistentRead=True,
                                 KeyConditionExpression="kind = :k", ExpressionAttributeValues={":k": s("a")})):
        with pytest.raises(Exception) as exc:
            op()
        assert code_of(exc.value) == "ValidationException"


@pytest.mark.parametrize("accelerator", [False, True])
def test_a_batch_get_answers_at_most_16_mb_and_returns_the_rest_unprocessed(accelerator: bool):
    # BatchGetItem: "A single operation can retrieve up to 16 MB of data"; the keys it
    # did not get to come back in UnprocessedKeys with the request's other parameters.
    import dynviz.table as dt

    ddb = dt.client(dt.default_cluster(seed=5), accelerator=accelerator)
    ddb.create_table(**keys_table("big", ("id", "N")))
    filler = "q" * 380_000
    for i in range(50):  # about 19 MB
        ddb.put_item(TableName="big", Item={"id": n(i), "data": s(filler)})
    wanted: dict[str, Any] = {"big": {"Keys": [{"id": n(i)} for i in range(50)], "ProjectionExpression": "id, #d",
                                      "ExpressionAttributeNames": {"#d": "data"}}}
    got: list[int] = []
    calls = 0
    while wanted:
        out = ddb.batch_get_item(RequestItems=wanted)
        calls += 1
        page = out["Responses"]["big"]
        assert sum(len(it["data"]["S"]) for it in page) <= 16 * 1024 * 1024
        got += [int(it["id"]["N"]) for it in page]
        wanted = out["UnprocessedKeys"]
        if wanted:
            assert wanted["big"]["ProjectionExpression"] == "id, #d"
    assert calls >= 2 and sorted(got) == list(range(50))
