"""The program of lesson 21: an ordinary boto3 DynamoDB program. Nothing in it is
dynviz's but the endpoint it is given (the lesson passes it as the first argument; run
it yourself against ``dynviz --dynamodb 8000`` with no argument)."""

import sys

import boto3
from boto3.dynamodb.conditions import Key

endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
dynamodb = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="learner", aws_secret_access_key="learner")

table = dynamodb.create_table(
    TableName="shop",
    KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"},
               {"AttributeName": "order", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                          {"AttributeName": "order", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST")
table.wait_until_exists(WaiterConfig={"Delay": 1})

table.put_item(Item={"customer": "ada", "order": 1, "total": 30})
table.put_item(Item={"customer": "ada", "order": 2, "total": 12})
table.put_item(Item={"customer": "bob", "order": 1, "total": 7})

first = table.get_item(Key={"customer": "ada", "order": 1}, ConsistentRead=True)["Item"]
print(f"GetItem ada/1: total {first['total']}")
orders = table.query(KeyConditionExpression=Key("customer").eq("ada"))["Items"]
print(f"Query customer=ada: {len(orders)} orders, totals {[int(o['total']) for o in orders]}")
