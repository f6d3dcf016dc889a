"""Promises of dynviz.net.endpoint that need no running node: a request comes in, a
reply goes out (the endpoint never writes to a socket), an unknown op or a bad argument
is answered with an error that says what is expected, and the node is never touched for
that. The ops that read a live node are exercised on real processes in
test_net_cluster.py and tests/tui/test_attach.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynviz.net.codec import AdminReply, AdminRequest
from dynviz.net.endpoint import AdminEndpoint
from dynviz.net.process import NodeOptions, NodeProcess


@pytest.fixture
def endpoint(tmp_path: Path) -> AdminEndpoint:
    options = NodeOptions(id="n1", data=str(tmp_path), secret=b"s", members=("n1", "n2", "n3"))
    return AdminEndpoint(NodeProcess(options))  # never started


def test_a_request_gets_a_reply_with_its_number(endpoint: AdminEndpoint) -> None:
    reply = endpoint.handle(AdminRequest(41, "ping"))
    assert reply == AdminReply(41, True, json.dumps({"id": "n1"}))


def test_an_unknown_op_names_the_known_ones(endpoint: AdminEndpoint) -> None:
    reply = endpoint.handle(AdminRequest(2, "frobnicate"))
    assert not reply.ok and reply.req == 2
    assert "unknown admin op 'frobnicate'" in reply.error and "snapshot" in reply.error


@pytest.mark.parametrize(("op", "arg", "says"), [
    ("events", "x", "events takes the last sequence number seen"),
    ("feed", "1,many", "feed takes SINCE[,LIMIT]"),
    ("inspect", "not base64!", "inspect takes a base64 key"),
])
def test_a_bad_argument_is_an_error_reply(endpoint: AdminEndpoint, op: str, arg: str, says: str) -> None:
    reply = endpoint.handle(AdminRequest(3, op, arg))
    assert not reply.ok and reply.req == 3 and reply.error.startswith(says)


def test_an_op_that_needs_the_node_says_it_has_not_started(endpoint: AdminEndpoint) -> None:
    with pytest.raises(RuntimeError, match="n1 has not started"):
        endpoint.handle(AdminRequest(4, "snapshot"))
