"""A short boto3 program to watch in the app: run ``dynviz --dynamodb 8000``, then, in
another shell, ``python examples/dynamodb_orders.py`` (or with another endpoint as its
argument). Each request appears in the app's log as it is answered (``boto3 PutItem
orders customer=ada ts=1 → 200``), its item is selected on the ring and in the
preference list, and its quorum write or read is drawn like any other request. Press T
for the Tables screen; kill a node (k) and run it again to see what still answers.
"""

from __future__ import annotations

import sys
import time

import boto3
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
PAUSE = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0  # seconds between requests, to watch each one


def main() -> None:
    ddb = boto3.client("dynamodb", endpoint_url=ENDPOINT, region_name="us-east-1",
                       aws_access_key_id="dynviz", aws_secret_access_key="dynviz")
    try:
        ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"},
                                    {"AttributeName": "ts", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                                               {"AttributeName": "ts", "AttributeType": "N"}])
        print("created table orders")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        print("table orders is already there")
    for customer, ts, total in (("ada", 1, 30), ("ada", 2, 12), ("bob", 1, 7)):
        time.sleep(PAUSE)
        ddb.put_item(TableName="orders", Item={"customer": {"S": customer}, "ts": {"N": str(ts)},
                                               "total": {"N": str(total)}})
        print(f"put {customer} {ts}")
    time.sleep(PAUSE)
    item = ddb.get_item(TableName="orders", Key={"customer": {"S": "ada"}, "ts": {"N": "2"}})["Item"]
    print("get ada 2:", item)
    time.sleep(PAUSE)
    found = ddb.query(TableName="orders", KeyConditionExpression="customer = :c",
                      ExpressionAttributeValues={":c": {"S": "ada"}})
    print("query ada:", found["Count"], "orders")


if __name__ == "__main__":
    main()
