"""The framing (dynviz/wire/protocol.py), with plain asserts: what a request must carry,
what each mistake is answered with, and the headers of every reply."""

from __future__ import annotations

import json
import zlib

import pytest

from dynviz.wire.protocol import (
    CONTENT_TYPE,
    Call,
    WireError,
    error_reply,
    frame,
    media_type,
    reply,
)

OPS = {"dynamodb": frozenset({"GetItem", "ListTables"}), "streams": frozenset({"ListStreams"})}
AUTH = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def framed(body: bytes = b"{}", target: str | None = "DynamoDB_20120810.ListTables",
           content_type: str | None = CONTENT_TYPE, auth: str | None = AUTH, method: str = "POST") -> Call:
    return frame(method, target, content_type, auth, body, OPS)


def error_of(**kw: object) -> WireError:
    with pytest.raises(WireError) as info:
        framed(**kw)  # type: ignore[arg-type]
    return info.value


def test_a_well_formed_request_names_its_service_operation_and_parameters():
    assert framed(b'{"Limit": 3}') == Call("dynamodb", "ListTables", {"Limit": 3})
    assert framed(target="DynamoDBStreams_20120810.ListStreams").service == "streams"


def test_plain_json_and_a_charset_are_taken():
    assert framed(content_type="application/json").operation == "ListTables"
    assert framed(content_type="application/x-amz-json-1.0; charset=utf-8").operation == "ListTables"
    assert media_type(" Application/X-Amz-Json-1.0 ;charset=utf-8") == CONTENT_TYPE


@pytest.mark.parametrize("target", [None, "", "ListTables", "DynamoDB_20120810.Nope", "DynamoDB_20111205.GetItem",
                                    "DynamoDB_20120810.ListStreams", "DynamoDBStreams_20120810.GetItem"])
def test_an_unknown_target_is_an_unknown_operation(target):
    err = error_of(target=target)
    assert (err.code, err.status, err.type) == ("UnknownOperationException", 400,
                                                "com.amazon.coral.service#UnknownOperationException")


def test_malformed_json_is_a_serialization_exception_even_before_the_target():
    for body in (b"{", b"\xff\xfe", b"[1, 2", b"{'a': 1}"):
        err = error_of(body=body, target="DynamoDB_20120810.Nope")
        assert (err.code, err.status) == ("SerializationException", 400)
        assert err.type == "com.amazon.coral.service#SerializationException"


def test_a_body_that_is_not_an_object_or_is_empty_is_a_serialization_exception():
    assert error_of(body=b"[]").code == "SerializationException"
    assert error_of(body=b"null").code == "SerializationException"
    assert error_of(body=b"").code == "SerializationException"


def test_a_wrong_content_type_or_method_is_answered_404_as_dynamodb_does():
    for kw in ({"content_type": "text/plain"}, {"content_type": None}, {"method": "PUT"}):
        err = error_of(**kw)
        assert (err.code, err.status) == ("UnknownOperationException", 404)
        assert err.message  # says what to send instead


def test_a_request_without_sigv4_authorization_is_refused_any_signature_is_taken():
    assert error_of(auth=None).code == "MissingAuthenticationTokenException"
    assert error_of(auth="Basic dXNlcjpwdw==").code == "MissingAuthenticationTokenException"
    assert framed(auth="AWS4-HMAC-SHA256 Credential=anything, Signature=wrong").operation == "ListTables"


def test_a_reply_carries_the_crc32_of_its_body_and_the_request_id():
    r = reply({"TableNames": ["é"]}, "RID")
    assert r.status == 200
    assert r.headers["Content-Type"] == CONTENT_TYPE
    assert r.headers["x-amz-crc32"] == str(zlib.crc32(r.body))
    assert r.headers["x-amzn-RequestId"] == "RID"
    assert r.json() == {"TableNames": ["é"]}


def test_errors_carry_dynamodbs_namespace_code_status_and_extra_members():
    cases = {
        "ValidationException": ("com.amazon.coral.validate", 400),
        "ResourceNotFoundException": ("com.amazonaws.dynamodb.v20120810", 400),
        "ConditionalCheckFailedException": ("com.amazonaws.dynamodb.v20120810", 400),
        "ProvisionedThroughputExceededException": ("com.amazonaws.dynamodb.v20120810", 400),
        "InternalServerError": ("com.amazonaws.dynamodb.v20120810", 500),
        "ServiceUnavailable": ("com.amazonaws.dynamodb.v20120810", 503),
    }
    for code, (namespace, status) in cases.items():
        r = error_reply(WireError(code, "why", extra={"Item": {"a": {"S": "b"}}}), "RID")
        assert r.status == status
        assert json.loads(r.body) == {"__type": f"{namespace}#{code}", "message": "why", "Item": {"a": {"S": "b"}}}
        assert r.headers["x-amz-crc32"] == str(zlib.crc32(r.body))


def test_an_error_without_a_message_has_no_message_member():
    assert WireError("UnknownOperationException", None).payload() == {
        "__type": "com.amazon.coral.service#UnknownOperationException"}
