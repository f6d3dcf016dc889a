"""Which DynamoDB operations the endpoint serves, and the :class:`Endpoint` that serves
one framed request on a table client.

Every operation the table client has is served: its JSON parameters, their binary
values decoded, go to the same method boto3's in-process shape calls, so a request over
HTTP and one in-process take the same path through the table layer and the cluster.
DescribeEndpoints, which is about the server and not the tables, is answered here.
Which operations are served is said once, in served.py. The operations DynamoDB has that dynviz does not serve yet are known by name and
answered with ``UnknownOperationException`` saying so, not with a silence a client
would retry.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any

from dynviz.table.errors import TableError
from dynviz.wire.protocol import WireError, error_reply, frame, reply
from dynviz.wire.served import KNOWN, NO_OUTPUT, NOT_YET, OWN, SERVED
from dynviz.wire.shapes import json_value, request_in, response_out

if TYPE_CHECKING:
    from dynviz.table.client import TableClient
    from dynviz.wire.journal import TableJournal
    from dynviz.wire.protocol import Reply

log = logging.getLogger(__name__)

__all__ = ["KNOWN", "NO_OUTPUT", "NOT_YET", "OWN", "SERVED", "Endpoint", "table_error"]


def table_error(exc: TableError) -> WireError:
    """A table-layer error as DynamoDB sends it. The table layer's InternalServerError
    means the cluster could not complete the request (no quorum of replicas answered
    in time: store.py raises it for nothing else), which DynamoDB reports as 503
    ServiceUnavailable; 500 is kept for dynviz's own failures."""
    extra: dict[str, Any] = {}
    for member in ("Item", "CancellationReasons"):
        if member in exc.response:
            extra[member] = json_value(exc.response[member])
    if exc.code == "InternalServerError":
        return WireError("ServiceUnavailable", exc.message, 503, extra)
    return WireError(exc.code, exc.message, None, extra)


class Endpoint:
    """Serves framed requests on one table client, synchronously: each call runs the
    simulation until the table layer has its answer. Not thread-safe by design: the
    server calls it for one request at a time."""

    def __init__(self, client: TableClient, journal: TableJournal | None = None) -> None:
        """``journal``: where a durable server keeps the control-plane requests that
        succeeded, so a restart has its tables again (journal.py)."""
        self.client = client
        self.journal = journal
        self._ids = itertools.count(1)  # next() on a count is atomic: the loop thread may take ids too

    def request_id(self) -> str:
        """A request id shaped as DynamoDB's (52 characters, A-Z 0-9), from a counter
        so that a run's ids are the same each time."""
        return f"DYNVIZ{next(self._ids):046d}"

    def handle(self, method: str, target: str | None, content_type: str | None, authorization: str | None,
               body: bytes, host: str | None = None) -> Reply:
        """One request's reply; ``host`` is the ``Host`` header the client sent."""
        rid = self.request_id()
        try:
            call = frame(method, target, content_type, authorization, body, KNOWN)
            if call.operation == "DescribeEndpoints":
                return reply(self.describe_endpoints(host), rid)
            method_name = SERVED[call.service].get(call.operation)
            if method_name is None:
                raise WireError("UnknownOperationException",
                                f"dynviz does not serve {call.operation} yet (issue 19 lists what is to come)")
            out = getattr(self.client, method_name)(**request_in(call.params))
            if self.journal is not None:
                self.journal.record(call.operation, call.params, self.client)
            if call.operation in NO_OUTPUT:
                return reply(None, rid)
            return reply(response_out(out), rid)
        except WireError as err:
            return error_reply(err, rid)
        except TableError as exc:
            return error_reply(table_error(exc), rid)
        except Exception as exc:  # the edge: a bug of dynviz's is a 500, never a dropped connection
            log.exception("dynviz failed on request %s (%s)", rid, target)
            return error_reply(WireError("InternalServerError", f"dynviz failed on this request ({type(exc).__name__}: "
                                                                f"{exc}); this is a bug in dynviz"), rid)

    @staticmethod
    def describe_endpoints(host: str | None) -> dict[str, object]:
        """DescribeEndpoints: this server, at the address the client reached it by,
        cached for a day as DynamoDB's answer says (botocore's endpoint discovery reads it)."""
        return {"Endpoints": [{"Address": host or "127.0.0.1", "CachePeriodInMinutes": 1440}]}

    @staticmethod
    def health(host: str | None) -> str:
        """What ``GET /`` answers: DynamoDB's ``healthy: <endpoint>``, the endpoint
        being the address the client reached it by (load balancers match the text)."""
        return f"healthy: {host or '127.0.0.1'}\n"

    def nodes_up(self) -> str:
        """``up/all`` nodes of the served cluster, which the health check adds as a
        header for a person looking (the body stays DynamoDB's)."""
        cluster = self.client.cluster
        up = sum(1 for n in cluster.node_names() if cluster.is_up(n))
        return f"{up}/{len(cluster.node_names())}"

