"""Cross-origin resource sharing: what lets a browser script call the endpoint.

A browser sends an ``Origin`` header with a request a script on another site makes,
and before any request that is not "simple" (a DynamoDB call always is not: it is a
POST of JSON with ``X-Amz-Target`` and ``Authorization``) it first asks with an
``OPTIONS`` "preflight" whether the real request may follow. AWS's SDK for JavaScript
calls service endpoints such as DynamoDB's straight from the browser (its developer
guide, "Cross-origin resource sharing (CORS)"): only S3 buckets need a CORS
configuration of their own. So the endpoint allows every origin, and a preflight every
method and header it asks for; requests without ``Origin`` (every SDK outside a
browser) get none of these headers.

Pure functions of the request's headers, so the rules are tested without a server.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_AGE = 86400
"""How long (seconds) a browser may keep a preflight's answer: dynviz's choice, a day,
as the answer never changes."""
EXPOSED = "x-amzn-RequestId, x-amzn-ErrorType, x-amz-crc32, Date"
"""Response headers a script may read besides the always-readable ones: the request id
and error type a failed call reports, the body's CRC32 and the date."""


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """An ``OPTIONS`` request with an ``Origin``: a browser asking before a call."""
    return method == "OPTIONS" and "Origin" in headers


def preflight_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The answer to a preflight: any origin, and the method and headers it asked for."""
    out = {**response_headers(headers), "Access-Control-Max-Age": str(MAX_AGE)}
    method = headers.get("Access-Control-Request-Method")
    if method is not None:
        out["Access-Control-Allow-Methods"] = method
    asked = headers.get("Access-Control-Request-Headers")
    if asked is not None:
        out["Access-Control-Allow-Headers"] = asked
    return out


def response_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The CORS headers of any response to a request with these headers: none without
    an ``Origin``, else any origin allowed and the readable response headers named."""
    if "Origin" not in headers:
        return {}
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED}
