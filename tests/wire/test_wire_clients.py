"""Real clients, unchanged (issue 19, item 3): the AWS CLI as a subprocess with
``--endpoint-url``, and a PynamoDB model whose ``Meta.host`` is the endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from wire_helpers import CREDENTIALS, Running

AWS = Path(sys.executable).parent / "aws"


def aws(served: Running, tmp_path: Path, *args: str) -> Any:
    """``aws dynamodb ARGS --endpoint-url URL --output json``, its JSON answer."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "dynviz", "AWS_SECRET_ACCESS_KEY": "dynviz",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), "AWS_PAGER": "",
           "AWS_MAX_ATTEMPTS": "1"}
    done = subprocess.run([str(AWS), "dynamodb", *args, "--endpoint-url", served.url, "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    if done.returncode != 0:
        raise AssertionError(f"aws dynamodb {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI (awscli, in the dev extra) is not installed")
def test_the_aws_cli_creates_puts_queries_and_scans(served: Running, tmp_path: Path):
    aws(served, tmp_path, "create-table", "--table-name", "Music",
        "--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=SongTitle,AttributeType=S",
        "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=SongTitle,KeyType=RANGE",
        "--billing-mode", "PAY_PER_REQUEST")
    for song in ("Call Me Today", "Happy Day", "PartiQL Rocks"):
        aws(served, tmp_path, "put-item", "--table-name", "Music", "--item",
            json.dumps({"Artist": {"S": "No One You Know"}, "SongTitle": {"S": song}, "Year": {"N": "2024"}}))
    got = aws(served, tmp_path, "query", "--table-name", "Music", "--consistent-read",
              "--key-condition-expression", "Artist = :a AND begins_with(SongTitle, :t)",
              "--expression-attribute-values", json.dumps({":a": {"S": "No One You Know"}, ":t": {"S": "Ha"}}))
    assert [it["SongTitle"]["S"] for it in got["Items"]] == ["Happy Day"]
    scanned = aws(served, tmp_path, "scan", "--table-name", "Music", "--consistent-read")
    assert scanned["Count"] == 3
    assert aws(served, tmp_path, "describe-table", "--table-name", "Music")["Table"]["TableStatus"] == "ACTIVE"
    assert "Music" in aws(served, tmp_path, "list-tables")["TableNames"]
    aws(served, tmp_path, "delete-table", "--table-name", "Music")


def test_a_pynamodb_model(served: Running):
    pytest.importorskip("pynamodb")
    from pynamodb.attributes import (
        BinaryAttribute,
        NumberAttribute,
        UnicodeAttribute,
        UnicodeSetAttribute,
    )
    from pynamodb.exceptions import DoesNotExist, PutError
    from pynamodb.models import Model

    class Thread(Model):
        class Meta:
            table_name = "Thread"
            host = served.url
            region = CREDENTIALS["region_name"]
            aws_access_key_id = CREDENTIALS["aws_access_key_id"]
            aws_secret_access_key = CREDENTIALS["aws_secret_access_key"]
            billing_mode = "PAY_PER_REQUEST"
            max_retry_attempts = 0

        forum = UnicodeAttribute(hash_key=True)
        subject = UnicodeAttribute(range_key=True)
        views = NumberAttribute(default=0)
        tags = UnicodeSetAttribute(null=True)
        blob = BinaryAttribute(null=True, legacy_encoding=False)

    Thread.create_table(wait=True)
    assert Thread.exists()
    Thread("dynamo", "quorums", views=3, tags={"r", "w"}, blob=b"\x00\x01").save()
    Thread("dynamo", "vector clocks").save()
    Thread("other", "x").save()
    got = Thread.get("dynamo", "quorums", consistent_read=True)
    assert (got.views, got.tags, got.blob) == (3, {"r", "w"}, b"\x00\x01")
    got.update(actions=[Thread.views.add(1)])
    assert Thread.get("dynamo", "quorums", consistent_read=True).views == 4
    assert [t.subject for t in Thread.query("dynamo", consistent_read=True)] == ["quorums", "vector clocks"]
    assert [t.subject for t in Thread.query("dynamo", Thread.subject.startswith("v"))] == ["vector clocks"]
    assert sorted(t.forum for t in Thread.scan(consistent_read=True)) == ["dynamo", "dynamo", "other"]
    with pytest.raises(PutError):
        Thread("dynamo", "quorums").save(condition=Thread.forum.does_not_exist())
    got.delete()
    with pytest.raises(DoesNotExist):
        Thread.get("dynamo", "quorums", consistent_read=True)
    Thread.delete_table()
