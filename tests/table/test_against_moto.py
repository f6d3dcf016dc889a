"""The acceptance script: the same boto3-shaped calls against dynviz and against moto.

Tables with and without sort keys, an LSI, a sparse GSI with non-unique keys,
pagination through 1,000 items with Limit and filters, a parallel scan, update
expressions and conditions. Results are compared where moto follows DynamoDB's
documented behaviour; where it does not, dynviz is tested against the documentation
(``/work/shared/reference/dynamodb-semantics.md``) and the difference is written down:

* **LastEvaluatedKey when Limit lands on the last item.** DynamoDB returns an LEK
  whenever a page stopped because ``Limit`` items were evaluated, even if nothing is
  left (aws-sdk-js#1981); moto 5 returns none. dynviz follows DynamoDB, so a dynviz
  pagination can end with one extra, empty page; comparisons here concatenate pages.
* **The 1 MB page limit** is 1,048,576 bytes of item size in DynamoDB (binary MB);
  moto cuts at 1,000,000 bytes of its own size estimate.
* **Scan order** is hash order in DynamoDB (and dynviz: by the partition's MD5 token);
  moto scans in insertion order. Scan results are compared as sets.
* **GSI propagation** is asynchronous in DynamoDB and dynviz (a GSI read right after
  a write can miss it) and synchronous in moto; the script waits for the indexes
  (``wait_for_indexes``) before comparing GSI reads.
* **Items with equal index keys** come back "in no particular order" (DynamoDB); dynviz
  breaks ties by the table key, so pagination is exact (moto#7834, dynalite#43).
* **Index key types**: DynamoDB rejects a write whose index key attribute has the
  wrong type; moto 5 accepts it.
* **Truncated expressions** (``attribute_exists(``, ``a = :b AND``): DynamoDB answers a
  ValidationException "Syntax error; token: <EOF>"; moto 5 raises a Python ValueError.
* **Placeholders**: an undefined ``:value`` is a KeyError inside moto 5 and an unused
  one is accepted; DynamoDB rejects both with a ValidationException, as dynviz does.
* **ConsumedCapacity**: moto reports fixed units; dynviz computes them from item sizes
  (4 KB / 1 KB, rounded up, eventual reads at half) as DynamoDB documents.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from table_helpers import code_of, keys_table

import dynviz.table as dt

N_ITEMS = 1000


def _settle(client: Any) -> None:
    if isinstance(client, dt.TableClient):
        client.wait_for_indexes()


def _populate(c: Any) -> None:
    c.create_table(**keys_table("simple", ("id", "S")))
    c.create_table(**keys_table(
        "orders", ("customer", "S"), ("order_id", "N"),
        more_attributes=(("amount", "N"), ("status", "S"), ("placed", "S")),
        LocalSecondaryIndexes=[
            {"IndexName": "by_total", "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"},
                                                    {"AttributeName": "amount", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by_placed", "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"},
                                                     {"AttributeName": "placed", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
        GlobalSecondaryIndexes=[
            {"IndexName": "by_status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                                                     {"AttributeName": "amount", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
        ],
    ))
    c.create_table(**keys_table("words", ("lang", "S"), ("word", "S")))
    # 1,000 orders over 4 customers; status only on every third (sparse GSI), with
    # repeated totals (non-unique GSI sort keys).
    batch: list[dict[str, Any]] = []
    for i in range(N_ITEMS):
        item: dict[str, Any] = {
            "customer": {"S": f"c{i % 4}"},
            "order_id": {"N": str(i)},
            "amount": {"N": str((i * 37) % 200)},
            "placed": {"S": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}"},
            "note": {"S": f"note {i}"},
            "qty": {"N": str(i % 7)},
        }
        if i % 3 == 0:
            item["status"] = {"S": ("open", "shipped")[i % 2]}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            res = c.batch_write_item(RequestItems={"orders": batch})
            assert not res["UnprocessedItems"]
            batch = []
    for i, w in enumerate(["apple", "apricot", "banana", "blueberry", "cherry", "avocado", "beet", "carrot"]):
        c.put_item(TableName="words", Item={"lang": {"S": "en"}, "word": {"S": w}, "n": {"N": str(i)}})
    for i in range(30):
        c.put_item(TableName="simple", Item={"id": {"S": f"k{i:02d}"}, "n": {"N": str(i)}, "tags": {"SS": ["a", f"t{i}"]}})
    _settle(c)


@pytest.fixture(scope="module")
def both(moto_client: Any) -> tuple[Any, Any]:
    ours = dt.client(dt.default_cluster(seed=3))
    _populate(ours)
    _populate(moto_client)
    return ours, moto_client


def _strip(resp: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resp.items() if k not in ("ResponseMetadata", "ConsumedCapacity")}


def _all_pages(c: Any, op: str, **params: Any) -> tuple[list[dict[str, Any]], int, int, int]:
    """(items, Count sum, ScannedCount sum, pages) over every page."""
    items: list[dict[str, Any]] = []
    count = scanned = pages = 0
    while True:
        page = getattr(c, op)(**params)
        pages += 1
        items.extend(page.get("Items", []))
        count += page["Count"]
        scanned += page["ScannedCount"]
        lek = page.get("LastEvaluatedKey")
        if not lek:
            return items, count, scanned, pages
        params = {**params, "ExclusiveStartKey": lek}


def _canon(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def _key(item: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(next(iter(item[n].values())) for n in names)


# -------------------------------------------------------------------------- items


def test_get_put_delete_and_conditions(both: tuple[Any, Any]) -> None:
    for c in both:
        assert _strip(c.get_item(TableName="simple", Key={"id": {"S": "k03"}}))["Item"]["n"] == {"N": "3"}
        assert "Item" not in c.get_item(TableName="simple", Key={"id": {"S": "nope"}})
        with pytest.raises(Exception) as e:
            c.put_item(TableName="simple", Item={"id": {"S": "k03"}}, ConditionExpression="attribute_not_exists(id)")
        assert code_of(e.value) == "ConditionalCheckFailedException"
        old = c.put_item(TableName="simple", Item={"id": {"S": "k03"}, "n": {"N": "33"}}, ReturnValues="ALL_OLD")
        assert old["Attributes"]["n"] == {"N": "3"}
        gone = c.delete_item(TableName="simple", Key={"id": {"S": "k04"}}, ReturnValues="ALL_OLD",
                             ConditionExpression="n = :four", ExpressionAttributeValues={":four": {"N": "4"}})
        assert gone["Attributes"]["id"] == {"S": "k04"}
    ours, moto = both
    key = {"id": {"S": "k03"}}
    assert _strip(ours.get_item(TableName="simple", Key=key)) == _strip(moto.get_item(TableName="simple", Key=key))


UPDATES = [
    ("SET n = n + :one, added = :s", {":one": {"N": "1"}, ":s": {"S": "x"}}, "ALL_NEW"),
    ("SET lst = list_append(if_not_exists(lst, :empty), :two)", {":empty": {"L": []}, ":two": {"L": [{"N": "2"}]}}, "UPDATED_NEW"),
    ("ADD tags :more, cnt :one", {":more": {"SS": ["b", "c"]}, ":one": {"N": "5"}}, "ALL_NEW"),
    ("DELETE tags :a REMOVE added", {":a": {"SS": ["a"]}}, "UPDATED_OLD"),
    ("SET m = :m", {":m": {"M": {"inn": {"L": [{"S": "p"}, {"S": "q"}]}}}}, "ALL_NEW"),
    ("SET m.inn[1] = :z, m.oth = :z", {":z": {"S": "z"}}, "ALL_NEW"),
    ("REMOVE m.inn[0]", None, "ALL_NEW"),
]


def test_update_expressions_match_moto(both: tuple[Any, Any]) -> None:
    results: list[list[Any]] = [[], []]
    for side, c in enumerate(both):
        for expr, values, rv in UPDATES:
            params: dict[str, Any] = {"TableName": "simple", "Key": {"id": {"S": "k10"}}, "UpdateExpression": expr,
                                      "ReturnValues": rv}
            if values:
                params["ExpressionAttributeValues"] = values
            res = _strip(c.update_item(**params))
            attrs = res.get("Attributes", {})
            for v in attrs.values():  # sets come back in no particular order
                for t in ("SS", "NS"):
                    if t in v:
                        v[t] = sorted(v[t])
            results[side].append(attrs)
        # a condition on the updated item
        with pytest.raises(Exception) as e:
            c.update_item(TableName="simple", Key={"id": {"S": "k10"}}, UpdateExpression="SET n = :z",
                          ConditionExpression="n > :big", ExpressionAttributeValues={":z": {"N": "0"}, ":big": {"N": "100"}})
        assert code_of(e.value) == "ConditionalCheckFailedException"
        # update of a missing item creates it
        res = c.update_item(TableName="simple", Key={"id": {"S": "fresh"}}, UpdateExpression="SET n = :one",
                            ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
        results[side].append(_strip(res))
    assert results[0] == results[1]


# -------------------------------------------------------------------------- query


@pytest.mark.parametrize("forward", [True, False])
def test_query_pagination_with_limit_and_filter(both: tuple[Any, Any], forward: bool) -> None:
    params = {"TableName": "orders", "KeyConditionExpression": "customer = :c AND order_id BETWEEN :lo AND :hi",
              "FilterExpression": "qty >= :q AND attribute_exists(#s)", "ExpressionAttributeNames": {"#s": "status"},
              "ExpressionAttributeValues": {":c": {"S": "c1"}, ":lo": {"N": "100"}, ":hi": {"N": "900"}, ":q": {"N": "3"}},
              "Limit": 17, "ScanIndexForward": forward}
    ours = _all_pages(both[0], "query", **params)
    theirs = _all_pages(both[1], "query", **params)
    assert ours[0] == theirs[0]  # same items in the same order
    assert ours[1] == theirs[1]  # Count
    assert ours[2] == theirs[2] == 200  # ScannedCount: everything in the key range was evaluated
    ids = [int(it["order_id"]["N"]) for it in ours[0]]
    assert ids == sorted(ids, reverse=not forward)


def test_query_sort_key_operators(both: tuple[Any, Any]) -> None:
    conds = [("word = :a", {":a": {"S": "beet"}}), ("word < :a", {":a": {"S": "b"}}), ("word <= :a", {":a": {"S": "beet"}}),
             ("word > :a", {":a": {"S": "blueberry"}}), ("word >= :a", {":a": {"S": "cherry"}}),
             ("begins_with(word, :a)", {":a": {"S": "b"}}), ("word BETWEEN :a AND :b", {":a": {"S": "apricot"}, ":b": {"S": "beet"}})]
    for cond, values in conds:
        params = {"TableName": "words", "KeyConditionExpression": f"lang = :l AND {cond}",
                  "ExpressionAttributeValues": {":l": {"S": "en"}, **values}}
        a, b = (_strip(c.query(**params)) for c in both)
        assert a == b, cond


def test_query_select_count_and_projection(both: tuple[Any, Any]) -> None:
    base = {"TableName": "orders", "KeyConditionExpression": "customer = :c",
            "ExpressionAttributeValues": {":c": {"S": "c2"}}}
    a, b = (_strip(c.query(**base, Select="COUNT")) for c in both)
    assert a == b and a["Count"] == 250 and "Items" not in a
    proj = {**base, "ProjectionExpression": "order_id, #n", "ExpressionAttributeNames": {"#n": "note"}, "Limit": 5}
    a, b = (_strip(c.query(**proj)) for c in both)
    assert a["Items"] == b["Items"]
    assert set(a["Items"][0]) == {"order_id", "note"}


def test_lsi_queries(both: tuple[Any, Any]) -> None:
    for index, extra in (("by_total", {}), ("by_placed", {"ScanIndexForward": False})):
        rk = "amount" if index == "by_total" else "placed"
        params = {"TableName": "orders", "IndexName": index, "KeyConditionExpression": f"customer = :c AND {rk} >= :v",
                  "ExpressionAttributeValues": {":c": {"S": "c3"}, ":v": {"N": "150"} if rk == "amount" else {"S": "2024-06"}},
                  "Limit": 23, "ConsistentRead": True, **extra}
        ours, theirs = (_all_pages(c, "query", **params) for c in both)
        assert ours[1] == theirs[1] and ours[2] == theirs[2]
        # equal LSI sort keys come back in no particular order: compare as sets, and
        # check dynviz's order (index key, then table key)
        key = ("customer", "order_id")
        assert sorted(_key(i, *key) for i in ours[0]) == sorted(_key(i, *key) for i in theirs[0])
        assert sorted(map(_canon, ours[0])) == sorted(map(_canon, theirs[0]))
        seq = [(_key(i, rk)[0], int(i["order_id"]["N"])) for i in ours[0]]
        if rk == "amount":
            seq = [(int(x), y) for x, y in seq]
        assert seq == sorted(seq, reverse=not extra.get("ScanIndexForward", True))
        if index == "by_total":  # KEYS_ONLY: table keys plus the index key
            assert {k for i in ours[0] for k in i} == {"customer", "order_id", "amount"}


def test_gsi_sparse_non_unique_paginated(both: tuple[Any, Any]) -> None:
    params = {"TableName": "orders", "IndexName": "by_status", "KeyConditionExpression": "#s = :s AND amount < :t",
              "ExpressionAttributeNames": {"#s": "status"},
              "ExpressionAttributeValues": {":s": {"S": "open"}, ":t": {"N": "120"}}, "Limit": 9}
    ours, theirs = (_all_pages(c, "query", **params) for c in both)
    assert ours[1] == theirs[1] > 0
    assert sorted(map(_canon, ours[0])) == sorted(map(_canon, theirs[0]))
    assert {k for i in ours[0] for k in i} == {"customer", "order_id", "amount", "status", "note"}
    # every open order with amount < 120 (status only on every third order: sparse)
    expected = {i for i in range(N_ITEMS) if i % 3 == 0 and i % 2 == 0 and (i * 37) % 200 < 120}
    assert {int(i["order_id"]["N"]) for i in ours[0]} == expected
    # non-unique index keys: the LEK holds index keys plus table keys
    page = both[0].query(**params)
    assert set(page["LastEvaluatedKey"]) == {"status", "amount", "customer", "order_id"}


def test_gsi_rejects_consistent_read(both: tuple[Any, Any]) -> None:
    for c in both:
        with pytest.raises(Exception) as e:
            c.query(TableName="orders", IndexName="by_status", KeyConditionExpression="#s = :s", ConsistentRead=True,
                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "open"}})
        assert code_of(e.value) == "ValidationException"
        assert "Consistent reads are not supported on global secondary indexes" in e.value.response["Error"]["Message"]


# --------------------------------------------------------------------------- scan


def test_scan_pagination_with_filter(both: tuple[Any, Any]) -> None:
    params = {"TableName": "orders", "FilterExpression": "qty = :q", "ExpressionAttributeValues": {":q": {"N": "2"}},
              "Limit": 101}
    ours, theirs = (_all_pages(c, "scan", **params) for c in both)
    assert ours[2] == theirs[2] == N_ITEMS
    assert ours[1] == theirs[1]
    k = ("customer", "order_id")
    assert sorted(_key(i, *k) for i in ours[0]) == sorted(_key(i, *k) for i in theirs[0])


def test_parallel_scan_covers_every_item_once(both: tuple[Any, Any]) -> None:
    seen: list[list[tuple[Any, ...]]] = [[], []]
    for side, c in enumerate(both):
        for seg in range(4):
            items, *_ = _all_pages(c, "scan", TableName="orders", Segment=seg, TotalSegments=4, Limit=90)
            seen[side].extend(_key(i, "customer", "order_id") for i in items)
    assert len(seen[0]) == len(set(seen[0])) == N_ITEMS
    assert sorted(seen[0]) == sorted(seen[1])


def test_scan_gsi_is_sparse(both: tuple[Any, Any]) -> None:
    ours, theirs = (_all_pages(c, "scan", TableName="orders", IndexName="by_status") for c in both)
    assert ours[1] == theirs[1] == len([i for i in range(N_ITEMS) if i % 3 == 0])


# -------------------------------------------------------------------------- batch


def test_batch_get(both: tuple[Any, Any]) -> None:
    keys = [{"customer": {"S": f"c{i % 4}"}, "order_id": {"N": str(i)}} for i in (1, 2, 3, 999, 5000)]
    res = [c.batch_get_item(RequestItems={"orders": {"Keys": keys, "ProjectionExpression": "order_id, amount"}}) for c in both]
    got = [sorted(r["Responses"]["orders"], key=lambda i: int(i["order_id"]["N"])) for r in res]
    assert got[0] == got[1] and len(got[0]) == 4


def test_bad_input_is_rejected_like_dynamodb(both: tuple[Any, Any]) -> None:
    bad_calls = [
        dict(TableName="orders", Item={"customer": {"S": "x"}}),  # missing sort key
        dict(TableName="orders", Item={"customer": {"N": "1"}, "order_id": {"N": "1"}}),  # wrong key type
        dict(TableName="orders", Item={"customer": {"S": "x"}, "order_id": {"N": "1"}, "big": {"S": "x" * 410_000}}),
        dict(TableName="orders", Item={"customer": {"S": "x"}, "order_id": {"N": "1"}, "qty": {"N": "1e200"}}),
    ]
    for call in bad_calls:
        call = {k: v for k, v in call.items() if v is not None}
        codes = []
        for c in both:
            with pytest.raises(Exception) as e:
                c.put_item(**call)
            codes.append(code_of(e.value))
        assert codes == ["ValidationException", "ValidationException"], call
    # moto 5 raises a bare Python ValueError for a truncated expression
    # ("attribute_exists(", "a AND"); DynamoDB reports a syntax error, as dynviz does:
    for text, near in (("attribute_exists(", "("), ("attribute_exists(customer) AND", "AND")):
        with pytest.raises(dt.ValidationException) as e:
            both[0].put_item(TableName="orders", Item={"customer": {"S": "x"}, "order_id": {"N": "1"}},
                             ConditionExpression=text)
        assert f'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "{near}"' in str(e.value)
    with pytest.raises(dt.ValidationException) as e:
        both[0].put_item(TableName="orders", Item={"customer": {"S": "x"}, "order_id": {"N": "1"}},
                         ConditionExpression="qty > :missing")
    assert "An expression attribute value used in expression is not defined; attribute value: :missing" in str(e.value)
    # moto 5 accepts an unused ExpressionAttributeValues entry; DynamoDB rejects it:
    with pytest.raises(dt.ValidationException) as e:
        both[0].put_item(TableName="orders", Item={"customer": {"S": "x"}, "order_id": {"N": "1"}},
                         ConditionExpression="attribute_not_exists(qty)", ExpressionAttributeValues={":unused": {"N": "2"}})
    assert "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}" in str(e.value)
    # nothing of those was written
    for c in both:
        assert "Item" not in c.get_item(TableName="orders", Key={"customer": {"S": "x"}, "order_id": {"N": "1"}})


def test_index_key_type_mismatch_is_rejected(both: tuple[Any, Any]) -> None:
    """DynamoDB rejects an item whose index key attribute has the wrong type ("Type
    mismatch for Index Key"); moto 5 stores it. dynviz follows DynamoDB."""
    ours = both[0]
    with pytest.raises(dt.ValidationException) as e:
        ours.put_item(TableName="orders", Item={"customer": {"S": "y"}, "order_id": {"N": "1"}, "amount": {"S": "nan"}})
    assert "Type mismatch for Index Key amount Expected: N Actual: S" in str(e.value)
    assert "Item" not in ours.get_item(TableName="orders", Key={"customer": {"S": "y"}, "order_id": {"N": "1"}})


def test_lek_when_limit_lands_on_the_last_item(both: tuple[Any, Any]) -> None:
    """DynamoDB returns a LastEvaluatedKey when Limit is reached, even on the last
    item (aws-sdk-js#1981); moto 5 does not. dynviz follows DynamoDB: the next page is
    empty and has no LEK."""
    ours = both[0]
    params = {"TableName": "words", "KeyConditionExpression": "lang = :l", "ExpressionAttributeValues": {":l": {"S": "en"}}}
    page = ours.query(**params, Limit=8)
    assert page["Count"] == 8 and "LastEvaluatedKey" in page
    last = ours.query(**params, Limit=8, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert last["Count"] == 0 and last["Items"] == [] and "LastEvaluatedKey" not in last
