"""SigV4 checking (``dynviz dynamodb --credentials FILE``): the signature botocore computes
verifies; a wrong secret, an unknown key, a changed body or a stale date is refused with
DynamoDB's error; without credentials any signature is still accepted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wire_helpers import ONE_TRY

import dynviz.table as tables
from dynviz.wire import sigv4
from dynviz.wire.operations import Endpoint
from dynviz.wire.protocol import WireError
from dynviz.wire.server import ServerThread, WireServer

boto3 = pytest.importorskip("boto3")
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials as BotoCredentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

KEYS = sigv4.Credentials({"AKIDLEARNER": "learner-secret", "AKIDTEACHER": "teacher-secret"})
BODY = b'{"TableName": "orders"}'


def signed(key: str, secret: str, body: bytes = BODY, region: str = "eu-west-1",
           service: str = "dynamodb") -> dict[str, list[str]]:
    """The headers botocore sends for ``body``, signed now with ``key``/``secret``."""
    request = AWSRequest(method="POST", url="http://127.0.0.1:8000/", data=body, headers={
        "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
        "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(BotoCredentials(key, secret), service, region).add_auth(request)
    headers: dict[str, list[str]] = {"host": ["127.0.0.1:8000"]}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    return headers


def refusal(headers: dict[str, list[str]], body: bytes = BODY, now: dt.datetime | None = None) -> WireError:
    with pytest.raises(WireError) as caught:
        sigv4.check(KEYS, "POST", "/", "", headers, body, now or dt.datetime.now(dt.UTC))
    return caught.value


def test_botocore_signature_verifies_for_any_region_and_the_streams_service() -> None:
    for region, service in (("us-east-1", "dynamodb"), ("ap-south-2", "dynamodb")):
        sigv4.check(KEYS, "POST", "/", "", signed("AKIDTEACHER", "teacher-secret", region=region,
                                                  service=service), BODY, dt.datetime.now(dt.UTC))


def test_wrong_secret_and_changed_body_are_invalid_signatures() -> None:
    assert refusal(signed("AKIDLEARNER", "not-the-secret")).code == "InvalidSignatureException"
    tampered = refusal(signed("AKIDLEARNER", "learner-secret"), body=b'{"TableName": "other"}')
    assert tampered.code == "InvalidSignatureException"
    assert "does not match the signature you provided" in (tampered.message or "")


def test_unknown_access_key_is_an_unrecognized_client() -> None:
    err = refusal(signed("AKIDSTRANGER", "learner-secret"))
    assert (err.code, err.message) == ("UnrecognizedClientException",
                                       "The security token included in the request is invalid.")
    assert err.type == "com.amazon.coral.service#UnrecognizedClientException"


def test_a_request_older_than_fifteen_minutes_has_expired() -> None:
    headers = signed("AKIDLEARNER", "learner-secret")
    err = refusal(headers, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16))
    assert err.code == "InvalidSignatureException"
    assert (err.message or "").startswith("Signature expired: ")
    sigv4.check(KEYS, "POST", "/", "", headers, BODY, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=14))


def test_malformed_and_missing_authorization() -> None:
    headers = signed("AKIDLEARNER", "learner-secret")
    assert refusal({**headers, "authorization": []}).code == "MissingAuthenticationTokenException"
    bare = refusal({**headers, "authorization": ["AWS4-HMAC-SHA256 Signature=abc"]})
    assert bare.code == "IncompleteSignatureException"
    assert "requires 'Credential' parameter" in (bare.message or "")
    assert refusal({**headers, "authorization": ["AWS3 x=y"]}).code == "IncompleteSignatureException"
    undated = {k: v for k, v in headers.items() if k != "x-amz-date"}
    assert refusal(undated).code == "IncompleteSignatureException"


def test_credentials_file_takes_every_profile_and_reports_a_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "credentials"
    good.write_text("[default]\naws_access_key_id = AKIDA\naws_secret_access_key = one\n"
                    "[class]\naws_access_key_id=AKIDB\naws_secret_access_key=two\n[other]\nregion=x\n")
    assert sigv4.Credentials.from_file(good).keys == {"AKIDA": "one", "AKIDB": "two"}
    half = tmp_path / "half"
    half.write_text("[default]\naws_access_key_id = AKIDA\n")
    with pytest.raises(ValueError, match=r"profile \[default\] needs both"):
        sigv4.Credentials.from_file(half)
    with pytest.raises(ValueError, match="cannot read credentials file"):
        sigv4.Credentials.from_file(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.write_text("just text\n")
    with pytest.raises(ValueError, match="not an AWS credentials file"):
        sigv4.Credentials.from_file(empty)


@pytest.fixture(scope="module")
def checked() -> Iterator[str]:
    cluster = tables.default_cluster(seed=5)
    thread = ServerThread(WireServer(Endpoint(tables.client(cluster)), clock="requests", credentials=KEYS))
    thread.start(timeout=10.0)
    yield thread.url
    thread.stop()
    cluster.close()


def boto(url: str, key: str, secret: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", config=ONE_TRY,
                        aws_access_key_id=key, aws_secret_access_key=secret)


def test_a_server_with_credentials_serves_signed_clients_and_refuses_others(checked: str) -> None:
    boto(checked, "AKIDLEARNER", "learner-secret").create_table(
        TableName="signed", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert boto(checked, "AKIDTEACHER", "teacher-secret").list_tables()["TableNames"] == ["signed"]
    for key, secret, code in (("AKIDLEARNER", "wrong", "InvalidSignatureException"),
                              ("AKIDNOBODY", "learner-secret", "UnrecognizedClientException")):
        with pytest.raises(ClientError) as caught:
            boto(checked, key, secret).list_tables()
        assert caught.value.response["Error"]["Code"] == code
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
