"""DynamoDB-style tables: dynviz against moto, same boto3-shaped calls, same process.

Acceptance (issue 7): put_item + query throughput >= 5x moto's. Both sides run the
same workload: create a table (partition + sort key), put_item ITEMS items over 20
partition keys, then as many queries (a sort-key range with Limit 10 in one partition).
dynviz runs on the embedded default cluster (8 nodes, N3 R2 W2): every put_item is a
quorum read and a quorum write of the item's own object through the simulated network,
every query a range read of the partition's run of keys on R replicas. moto runs in-process behind boto3 (``mock_aws``).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from dynviz.sim.tuning import tune_for_simulation

TABLE = {
    "TableName": "bench",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def workload(client: Any, items: int) -> tuple[float, float, float]:
    """(puts/s, queries/s, put+query pairs/s) for one client."""
    client.create_table(**TABLE)
    start = time.perf_counter()
    for i in range(items):
        client.put_item(TableName="bench", Item={"pk": {"S": f"user{i % 20}"}, "sk": {"N": str(i)},
                                                 "name": {"S": f"item {i}"}, "qty": {"N": str(i % 13)}})
    put_s = time.perf_counter() - start
    start = time.perf_counter()
    found = 0
    for i in range(items):
        res = client.query(TableName="bench", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                           ExpressionAttributeValues={":p": {"S": f"user{i % 20}"}, ":a": {"N": str(i % 500)},
                                                      ":b": {"N": str(i % 500 + 200)}}, Limit=10)
        found += res["Count"]
    query_s = time.perf_counter() - start
    assert found > 0
    return items / put_s, items / query_s, items / (put_s + query_s)


def dynviz_rates(items: int) -> tuple[float, float, float]:
    import dynviz.table as dt

    return workload(dt.client(dt.default_cluster(seed=1)), items)


def moto_rates(items: int) -> tuple[float, float, float] | None:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return None
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        return workload(boto3.client("dynamodb", region_name="us-east-1"), items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="table_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="items to put, and queries to run (default 2000)")
    args = parser.parse_args(argv)
    tune_for_simulation()
    ours = dynviz_rates(args.items)
    theirs = moto_rates(args.items)
    print(f"{args.items} put_item then {args.items} query (sort-key range, Limit 10), 20 partition keys")
    print(f"  {'':16} {'dynviz':>10} {'moto':>10} {'ratio':>8}")
    labels = ("put_item/s", "query/s", "put+query/s")
    if theirs is None:
        for label, a in zip(labels, ours, strict=True):
            print(f"  {label:16} {a:>10,.0f} {'n/a':>10}")
        print("  moto is not installed (pip install -e '.[dev]'): no comparison")
        return 0
    for label, a, b in zip(labels, ours, theirs, strict=True):
        print(f"  {label:16} {a:>10,.0f} {b:>10,.0f} {a / b:>8.1f}x")
    ratio = ours[2] / theirs[2]
    print(f"put_item + query throughput: {ratio:.1f}x moto (target >= 5x: {'ok' if ratio >= 5 else 'BELOW TARGET'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
