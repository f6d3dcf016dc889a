"""Which operations are served (dynviz/wire/operations.py): every one the table client
has, and every other one DynamoDB has (botocore's service model) known by name."""

from __future__ import annotations

import pytest

import dynviz.table as dt
from dynviz.table.client import TableClient
from dynviz.table.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ValidationException,
)
from dynviz.wire.operations import KNOWN, NOT_YET, OWN, SERVED, Endpoint, table_error

botocore_session = pytest.importorskip("botocore.session")

AUTH = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def model_operations(service: str) -> set[str]:
    return set(botocore_session.get_session().get_service_model(service).operation_names)


def test_every_served_operation_is_a_table_client_method():
    for ops in SERVED.values():
        for method in ops.values():
            assert callable(getattr(TableClient, method))


def test_every_dynamodb_operation_botocore_knows_is_served_or_known_as_not_yet():
    known = KNOWN["dynamodb"]
    missing = model_operations("dynamodb") - known
    assert not missing, f"operations DynamoDB has that the endpoint does not know: {sorted(missing)}"
    assert not set(SERVED["dynamodb"]) & NOT_YET and not OWN & NOT_YET and not OWN & set(SERVED["dynamodb"])


def test_every_streams_operation_is_served():
    assert model_operations("dynamodbstreams") == set(SERVED["streams"])


def test_an_operation_not_served_yet_says_so():
    endpoint = Endpoint(dt.client(dt.default_cluster()))
    r = endpoint.handle("POST", "DynamoDB_20120810.DescribeExport", "application/x-amz-json-1.0", AUTH,
                        b'{"ExportArn": "arn:aws:dynamodb:us-east-1:000000000000:table/orders/export/1"}')
    assert r.status == 400
    body = r.json()
    assert body["__type"].endswith("#UnknownOperationException")
    assert "dynviz does not serve DescribeExport yet" in body["message"]


def test_table_errors_keep_their_code_and_item_and_a_cluster_failure_is_service_unavailable():
    ccf = table_error(ConditionalCheckFailedException("The conditional request failed",
                                                      item={"b": {"B": b"\x01"}}))
    assert (ccf.code, ccf.status, ccf.extra) == ("ConditionalCheckFailedException", 400, {"Item": {"b": {"B": "AQ=="}}})
    assert (table_error(ValidationException("bad")).status, table_error(ValidationException("bad")).type) == (
        400, "com.amazon.coral.validate#ValidationException")
    down = table_error(InternalServerError("the cluster did not acknowledge the write"))
    assert (down.code, down.status) == ("ServiceUnavailable", 503)


def test_request_ids_are_52_characters_and_follow_a_counter():
    endpoint = Endpoint(dt.client(dt.default_cluster()))
    first, second = endpoint.request_id(), endpoint.request_id()
    assert len(first) == len(second) == 52 and first.isalnum() and first.isupper()
    assert first != second
