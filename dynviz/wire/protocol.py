"""DynamoDB's JSON 1.0 protocol as a pure object: a request's method, headers and body
in, a :class:`Call` (which operation, with which parameters) or a :class:`Reply` out.
It never touches a socket or the cluster (STYLE: sans-I/O), so every framing rule is
tested with plain asserts and the server only moves bytes.

The rules, as DynamoDB answers them (its API reference, "Making HTTP requests"; the
status codes and ``__type`` namespaces as botocore's JSON parser reads them, which is
the code after ``#``):

- ``POST /`` (the path is ignored, as DynamoDB ignores it) with
  ``Content-Type: application/x-amz-json-1.0`` (``application/json`` is taken too) and
  ``X-Amz-Target: DynamoDB_20120810.<Operation>`` or, for Streams,
  ``DynamoDBStreams_20120810.<Operation>``.
- A SigV4 ``Authorization`` header must be present (else
  ``MissingAuthenticationTokenException``); its signature is checked by
  :mod:`dynviz.wire.sigv4` when the server was given credentials, and not otherwise.
- Success: 200, the JSON body, ``x-amz-crc32`` (CRC32 of the body bytes, which botocore
  verifies) and ``x-amzn-RequestId``.
- Errors: ``{"__type": "<namespace>#<Code>", "message": ...}``, 400 for what the caller
  got wrong (validation, missing table, failed condition, throttling), 500 for
  ``InternalServerError``, 503 for ``ServiceUnavailable``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

DYNAMODB_TARGET = "DynamoDB_20120810"
STREAMS_TARGET = "DynamoDBStreams_20120810"
CONTENT_TYPE = "application/x-amz-json-1.0"
CONTENT_TYPES = (CONTENT_TYPE, "application/json")
MAX_BODY = 16 * 1024 * 1024
"""The largest request body served: 16 MB, DynamoDB's own limit for a BatchWriteItem."""

SERVICE = "com.amazon.coral.service"
VALIDATE = "com.amazon.coral.validate"
DYNAMODB = "com.amazonaws.dynamodb.v20120810"

_NAMESPACE = {
    "ValidationException": VALIDATE,
    "SerializationException": SERVICE,
    "UnknownOperationException": SERVICE,
    "MissingAuthenticationTokenException": SERVICE,
    "UnrecognizedClientException": SERVICE,
    "InvalidSignatureException": SERVICE,
    "IncompleteSignatureException": SERVICE,
}
_STATUS = {"InternalServerError": 500, "ServiceUnavailable": 503}


@dataclass(frozen=True, slots=True)
class Call:
    """One request, framed: ``service`` is ``"dynamodb"`` or ``"streams"``."""

    service: str
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """One response: its status, body and headers (``x-amz-crc32`` among them)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class WireError(Exception):
    """A DynamoDB error response: its code, message, HTTP status and any extra members
    (``Item`` of a ConditionalCheckFailedException)."""

    def __init__(self, code: str, message: str | None, status: int | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else _STATUS.get(code, 400)
        self.extra = extra or {}

    @property
    def type(self) -> str:
        return f"{_NAMESPACE.get(self.code, DYNAMODB)}#{self.code}"

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"__type": self.type}
        if self.message is not None:
            out["message"] = self.message
        out.update(self.extra)
        return out


def media_type(content_type: str | None) -> str:
    """``application/x-amz-json-1.0; charset=utf-8`` -> ``application/x-amz-json-1.0``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def frame(method: str, target: str | None, content_type: str | None, authorization: str | None,
          body: bytes, operations: dict[str, frozenset[str]]) -> Call:
    """The call a request makes, or the :class:`WireError` DynamoDB answers it with.
    ``operations`` maps a service (``dynamodb``, ``streams``) to the operations
    DynamoDB has (served or not: the caller says which it serves)."""
    if method != "POST":
        raise WireError("UnknownOperationException", f"{method} is not served: DynamoDB takes POST /", 404)
    if body and media_type(content_type) not in CONTENT_TYPES:
        raise WireError("UnknownOperationException",
                        f"Content-Type {content_type or '(none)'!r} is not served: send {CONTENT_TYPE}", 404)
    params: Any = None
    if body:  # a body that does not parse is answered before the target is looked at
        try:
            params = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise WireError("SerializationException", f"The request body is not valid JSON: {exc}") from None
        except RecursionError:  # a document nested deeper than any DynamoDB value may be
            raise WireError("SerializationException", "The request body is nested too deeply to be read") from None
    service, operation = _target(target, operations)
    if not authorization or not authorization.strip().startswith("AWS4-"):
        raise WireError("MissingAuthenticationTokenException", "Request is missing Authentication Token")
    if not body:
        raise WireError("SerializationException", "The request body is empty: send a JSON object")
    if not isinstance(params, dict):
        raise WireError("SerializationException", "The request body must be a JSON object, "
                                                  f"not {type(params).__name__}")
    return Call(service, operation, params)


def _target(target: str | None, operations: dict[str, frozenset[str]]) -> tuple[str, str]:
    prefix, _, operation = (target or "").partition(".")
    service = {DYNAMODB_TARGET: "dynamodb", STREAMS_TARGET: "streams"}.get(prefix)
    if service is None or operation not in operations[service]:
        raise WireError("UnknownOperationException", None)
    return service, operation


def reply(payload: dict[str, Any] | None, request_id: str, status: int = 200) -> Reply:
    """A JSON reply with DynamoDB's headers: CRC32 of the body, the request id.
    ``None``: an empty body (an operation whose answer has no members)."""
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Reply(status, body, {
        "Content-Type": CONTENT_TYPE,
        "x-amz-crc32": str(zlib.crc32(body) & 0xFFFFFFFF),
        "x-amzn-RequestId": request_id,
    })


def error_reply(err: WireError, request_id: str) -> Reply:
    return reply(err.payload(), request_id, err.status)
