"""TransactWriteItems and TransactGetItems in-process (dynviz/table/transactions.py):
all or nothing, reasons in order, one action per item, idempotency tokens, and the
markers a failed coordinator leaves, settled forward or back after their lease."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import code_of, keys_table

import dynviz.table as dt
from dynviz.table.errors import InternalServerError
from dynviz.table.transactions import Action


def _table(ddb: Any, name: str = "txn", **extra: Any) -> None:
    ddb.create_table(**keys_table(name, ("pk", "S"), **extra))


def _put(pk: str, **attrs: Any) -> dict[str, Any]:
    return {"Put": {"TableName": "txn", "Item": {"pk": {"S": pk}, **attrs}}}


def _get(ddb: Any, pk: str) -> dict[str, Any] | None:
    return ddb.get_item(TableName="txn", Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")


def test_a_transaction_applies_every_action(ddb):
    _table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.put_item(TableName="txn", Item={"pk": {"S": "b"}, "n": {"N": "1"}})
    ddb.put_item(TableName="txn", Item={"pk": {"S": "c"}})
    ddb.put_item(TableName="txn", Item={"pk": {"S": "d"}, "ok": {"BOOL": True}})
    out = ddb.transact_write_items(TransactItems=[
        _put("a", v={"S": "new"}),
        {"Update": {"TableName": "txn", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": "txn", "Key": {"pk": {"S": "c"}}}},
        {"ConditionCheck": {"TableName": "txn", "Key": {"pk": {"S": "d"}}, "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": "txn", "CapacityUnits": 8.0}]  # four writes, each twice
    assert _get(ddb, "a") == {"pk": {"S": "a"}, "v": {"S": "new"}}
    assert _get(ddb, "b")["n"] == {"N": "2"}
    assert _get(ddb, "c") is None
    assert _get(ddb, "d") == {"pk": {"S": "d"}, "ok": {"BOOL": True}}
    arn = ddb.describe_table(TableName="txn")["Table"]["LatestStreamArn"]
    shard = ddb.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = ddb.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    events = [r["eventName"] for r in ddb.get_records(ShardIterator=it)["Records"]]
    assert events == ["INSERT", "INSERT", "INSERT", "INSERT", "MODIFY", "REMOVE"]  # a check writes nothing


def test_a_failed_condition_cancels_everything_with_reasons_in_order(ddb):
    _table(ddb)
    ddb.put_item(TableName="txn", Item={"pk": {"S": "b"}, "n": {"N": "5"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as err:
        ddb.transact_write_items(TransactItems=[
            _put("a"),
            {"Update": {"TableName": "txn", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET n = :z",
                        "ConditionExpression": "n < :z", "ExpressionAttributeValues": {":z": {"N": "0"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"ConditionCheck": {"TableName": "txn", "Key": {"pk": {"S": "zz"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    reasons = err.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert reasons[1]["Item"] == {"pk": {"S": "b"}, "n": {"N": "5"}} and "Item" not in reasons[2]
    assert "[None, ConditionalCheckFailed, ConditionalCheckFailed]" in err.value.response["Error"]["Message"]
    assert _get(ddb, "a") is None and _get(ddb, "b")["n"] == {"N": "5"}
    ddb.put_item(TableName="txn", Item={"pk": {"S": "b"}})  # no marker was left behind


@pytest.mark.parametrize(("items", "message"), [
    ([_put("a"), {"Delete": {"TableName": "txn", "Key": {"pk": {"S": "a"}}}}],
     "Transaction request cannot include multiple operations on one item"),
    ([_put(f"k{i}") for i in range(101)], "Member must have length less than or equal to 100"),
    ([], "Member must have length greater than or equal to 1"),
    ([{"Put": _put("a")["Put"], "Delete": {"TableName": "txn", "Key": {"pk": {"S": "b"}}}}],
     "TransactItems can only contain one of"),
    ([{"ConditionCheck": {"TableName": "txn", "Key": {"pk": {"S": "a"}}}}], "ConditionExpression parameter is required"),
])
def test_invalid_transactions_are_refused_before_anything_is_written(ddb, items, message):
    _table(ddb)
    with pytest.raises(ddb.exceptions.ValidationException, match=message):
        ddb.transact_write_items(TransactItems=items)
    assert ddb.scan(TableName="txn")["Count"] == 0


def test_a_missing_table_is_resource_not_found(ddb):
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.transact_write_items(TransactItems=[_put("a")])


def test_client_request_token_makes_a_transaction_idempotent_for_ten_minutes(ddb):
    _table(ddb)
    add = [{"Update": {"TableName": "txn", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=add, ClientRequestToken="tok")
    ddb.transact_write_items(TransactItems=add, ClientRequestToken="tok")
    assert _get(ddb, "a")["n"] == {"N": "1"}
    with pytest.raises(ddb.exceptions.IdempotentParameterMismatchException):
        ddb.transact_write_items(TransactItems=[_put("b")], ClientRequestToken="tok")
    ddb.cluster.run_until(ddb.cluster.now + 601 * 1_000_000)
    ddb.transact_write_items(TransactItems=add, ClientRequestToken="tok")
    assert _get(ddb, "a")["n"] == {"N": "2"}


def test_transact_get_items_reads_each_item_in_order(ddb):
    _table(ddb)
    ddb.put_item(TableName="txn", Item={"pk": {"S": "a"}, "x": {"N": "1"}, "y": {"N": "2"}})
    out = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "txn", "Key": {"pk": {"S": "missing"}}}},
        {"Get": {"TableName": "txn", "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "#y",
                 "ExpressionAttributeNames": {"#y": "y"}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert out["Responses"] == [{}, {"Item": {"y": {"N": "2"}}}]
    assert out["ConsumedCapacity"] == [{"TableName": "txn", "CapacityUnits": 4.0}]


def _half_done(ddb: Any, state: str) -> str:
    """A coordinator that failed after marking item ``a`` for a put (and, with state
    COMMITTED, after its commit point): what a lost quorum mid-transaction leaves."""
    txns = ddb.engine.transactions
    t = ddb.engine.table("txn")
    txid = "deadbeefdeadbeef"
    ddb.engine.store.write_txn(txid, "PENDING")
    action = Action("Put", t, {"pk": {"S": "a"}}, {}, new={"pk": {"S": "a"}, "v": {"S": "txn"}})
    assert txns._prepare(txid, action) == {"Code": "None"}
    if state == "COMMITTED":
        ddb.engine.store.write_txn(txid, "COMMITTED")
    return txid


def test_an_item_a_transaction_holds_conflicts_until_its_lease_ends_then_is_rolled_back(ddb):
    _table(ddb)
    ddb.put_item(TableName="txn", Item={"pk": {"S": "a"}, "v": {"S": "old"}})
    txid = _half_done(ddb, "PENDING")
    with pytest.raises(ddb.exceptions.TransactionConflictException):
        ddb.put_item(TableName="txn", Item={"pk": {"S": "a"}, "v": {"S": "mine"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as err:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "txn", "Key": {"pk": {"S": "a"}}}}])
    assert err.value.response["CancellationReasons"][0]["Code"] == "TransactionConflict"
    assert _get(ddb, "a")["v"] == {"S": "old"}  # reads see committed data only
    ddb.cluster.run_until(ddb.cluster.now + ddb.engine.options.txn_lease)
    ddb.update_item(TableName="txn", Key={"pk": {"S": "a"}}, UpdateExpression="SET w = :w",
                    ExpressionAttributeValues={":w": {"N": "1"}})
    assert _get(ddb, "a") == {"pk": {"S": "a"}, "v": {"S": "old"}, "w": {"N": "1"}}
    assert ddb.engine.store.txn_state(txid) == "ABORTED"


def test_a_committed_transaction_a_coordinator_left_is_rolled_forward(ddb):
    _table(ddb)
    ddb.put_item(TableName="txn", Item={"pk": {"S": "a"}, "v": {"S": "old"}})
    _half_done(ddb, "COMMITTED")
    assert _get(ddb, "a")["v"] == {"S": "txn"}  # past the commit point, reads see what it wrote
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as err:
        ddb.transact_write_items(TransactItems=[_put("a")])
    assert code_of(err.value) == "TransactionCanceledException"
    assert err.value.response["CancellationReasons"] == [
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
    ddb.cluster.run_until(ddb.cluster.now + ddb.engine.options.txn_lease)
    ddb.update_item(TableName="txn", Key={"pk": {"S": "a"}}, UpdateExpression="SET w = :w",
                    ExpressionAttributeValues={":w": {"N": "1"}})
    assert _get(ddb, "a") == {"pk": {"S": "a"}, "v": {"S": "txn"}, "w": {"N": "1"}}


def test_a_transaction_is_the_same_in_every_run():
    def run() -> tuple[int, Any]:
        ddb = dt.client(dt.default_cluster(seed=5))
        _table(ddb)
        ddb.transact_write_items(TransactItems=[_put("a"), _put("b")])
        return ddb.cluster.now, ddb.scan(TableName="txn")["Items"]
    assert run() == run()


def _fail_write(monkeypatch: Any, ddb: Any, nth: int) -> None:
    """The ``nth`` item write from now finds no quorum (as with nodes down or cut off)."""
    store = ddb.engine.store
    real = store.write_entry
    calls = {"n": 0}

    def write_entry(t: Any, pk_av: Any, entry: Any) -> None:
        calls["n"] += 1
        if calls["n"] == nth:
            raise InternalServerError("Internal server error (the cluster did not acknowledge the write: no quorum)")
        real(t, pk_av, entry)
    monkeypatch.setattr(store, "write_entry", write_entry)


def test_a_cluster_failure_while_preparing_aborts_and_takes_the_markers_off(ddb, monkeypatch):
    _table(ddb)
    ddb.put_item(TableName="txn", Item={"pk": {"S": "a"}, "v": {"S": "old"}})
    _fail_write(monkeypatch, ddb, 2)  # the second marker
    with pytest.raises(ddb.exceptions.InternalServerError):
        ddb.transact_write_items(TransactItems=[_put("a", v={"S": "new"}), _put("b")])
    assert _get(ddb, "a") == {"pk": {"S": "a"}, "v": {"S": "old"}} and _get(ddb, "b") is None
    ddb.put_item(TableName="txn", Item={"pk": {"S": "a"}})  # the marker on a was taken off


def test_a_cluster_failure_after_the_commit_point_is_finished_by_the_next_request(ddb, monkeypatch):
    _table(ddb)
    _fail_write(monkeypatch, ddb, 4)  # two markers, then the first commit write, then the second fails
    with pytest.raises(ddb.exceptions.InternalServerError):
        ddb.transact_write_items(TransactItems=[_put("a", v={"S": "1"}), _put("b", v={"S": "2"})])
    assert _get(ddb, "a")["v"] == {"S": "1"} and _get(ddb, "b")["v"] == {"S": "2"}  # committed: reads see both
    with pytest.raises(ddb.exceptions.TransactionConflictException):
        ddb.delete_item(TableName="txn", Key={"pk": {"S": "b"}})
    ddb.cluster.run_until(ddb.cluster.now + ddb.engine.options.txn_lease)
    ddb.update_item(TableName="txn", Key={"pk": {"S": "b"}}, UpdateExpression="SET w = :w",
                    ExpressionAttributeValues={":w": {"N": "1"}})
    assert _get(ddb, "b") == {"pk": {"S": "b"}, "v": {"S": "2"}, "w": {"N": "1"}}


def test_a_remove_only_update_of_a_missing_item_creates_nothing_in_a_transaction() -> None:
    """As UpdateItem: REMOVE of attributes from an item that is not there writes no item."""
    import dynviz.table as tables

    ddb = tables.client(tables.default_cluster(seed=8))
    ddb.create_table(TableName="carts", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "carts", "Key": {"id": {"S": "ghost"}}, "UpdateExpression": "REMOVE coupon"}},
        {"Put": {"TableName": "carts", "Item": {"id": {"S": "real"}}}}])
    assert "Item" not in ddb.get_item(TableName="carts", Key={"id": {"S": "ghost"}}, ConsistentRead=True)
    assert ddb.scan(TableName="carts", ConsistentRead=True)["Count"] == 1
    assert ddb.describe_table(TableName="carts")["Table"]["ItemCount"] == 1
