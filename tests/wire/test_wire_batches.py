"""BatchWriteItem's UnprocessedItems and BatchGetItem's UnprocessedKeys over the wire: a
provisioned table with one unit a second takes what its bucket pays for and hands the
rest back, shaped as they were sent, for the client to retry."""

from __future__ import annotations

from wire_helpers import create_keyed

ONE_UNIT = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}


def _create(ddb, name):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], **ONE_UNIT)


def test_a_throttled_batch_write_returns_the_rest_unprocessed(ddb, table_name):
    _create(ddb, table_name)
    puts = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "b": {"B": bytes([i])}}}} for i in range(5)]
    out = ddb.batch_write_item(RequestItems={table_name: puts})
    left = out["UnprocessedItems"].get(table_name, [])
    assert 1 <= len(left) < 5
    assert left == puts[5 - len(left):]  # as sent, binary values included
    stored = {i["pk"]["S"] for i in ddb.scan(TableName=table_name, ConsistentRead=True)["Items"]}
    assert stored == {f"k{i}" for i in range(5 - len(left))}


def test_a_throttled_batch_get_returns_the_rest_unprocessed(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    for i in range(5):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{i}"}})
    ddb.update_table(TableName=table_name, **ONE_UNIT)
    keys = [{"pk": {"S": f"k{i}"}} for i in range(5)]
    out = ddb.batch_get_item(RequestItems={table_name: {"Keys": keys, "ProjectionExpression": "pk"}})
    got = out["Responses"][table_name]
    left = out["UnprocessedKeys"][table_name]
    assert len(got) + len(left["Keys"]) == 5 and 1 <= len(left["Keys"]) < 5
    assert left["ProjectionExpression"] == "pk"  # the table's request, less the keys read
    assert left["Keys"] == keys[len(got):]
