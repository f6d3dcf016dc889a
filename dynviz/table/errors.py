"""Errors shaped like botocore's ``ClientError``, with DynamoDB's error codes.

boto3 users catch ``botocore.exceptions.ClientError`` and read
``exc.response["Error"]["Code"]`` / ``["Message"]``, or catch
``client.exceptions.ConditionalCheckFailedException``. Both work here: every error is a
``TableError`` carrying the same ``response`` dict and ``operation_name``, and each code
is its own subclass, reachable as ``client.exceptions.<Code>``.
"""

from __future__ import annotations

from typing import Any


class TableError(Exception):
    """A DynamoDB error response (botocore ``ClientError`` shape)."""

    code = "InternalServerError"
    status = 400

    def __init__(self, message: str, operation_name: str = "", item: dict[str, Any] | None = None) -> None:
        self.message = message
        self.operation_name = operation_name
        self.response: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
            "message": message,
        }
        if item is not None:
            self.response["Item"] = item
        super().__init__(self._text())

    def _text(self) -> str:
        op = self.operation_name or "unknown"
        return f"An error occurred ({self.code}) when calling the {op} operation: {self.message}"

    def with_operation(self, operation_name: str) -> TableError:
        """Name the operation once the client knows it (the engine raises without it)."""
        if not self.operation_name:
            self.operation_name = operation_name
            self.args = (self._text(),)
        return self

    def __str__(self) -> str:
        return self._text()


class ValidationException(TableError):
    code = "ValidationException"


_VALID_TYPES = {dict: "<class 'dict'>", list: "<class 'list'>, <class 'tuple'>", str: "<class 'str'>",
                int: "<class 'int'>", bool: "<class 'bool'>"}


def invalid_type(param: str, value: Any, valid: type) -> ValidationException:
    """botocore's error for a request parameter of the wrong type (``param`` named by
    its path in the request, ``RequestItems.orders[0].PutRequest``)."""
    return ValidationException(f"Invalid type for parameter {param}, value: {value!r}, type: {type(value)}, "
                               f"valid types: {_VALID_TYPES[valid]}")


class ResourceNotFoundException(TableError):
    code = "ResourceNotFoundException"


class ResourceInUseException(TableError):
    code = "ResourceInUseException"


class ConditionalCheckFailedException(TableError):
    code = "ConditionalCheckFailedException"


class ProvisionedThroughputExceededException(TableError):
    code = "ProvisionedThroughputExceededException"


class ItemCollectionSizeLimitExceededException(TableError):
    code = "ItemCollectionSizeLimitExceededException"


class ExpiredIteratorException(TableError):
    code = "ExpiredIteratorException"


class TrimmedDataAccessException(TableError):
    code = "TrimmedDataAccessException"


class LimitExceededException(TableError):
    code = "LimitExceededException"


class TransactionConflictException(TableError):
    """A write to an item an ongoing transaction holds (transactions.py)."""

    code = "TransactionConflictException"


class TransactionCanceledException(TableError):
    """A transaction that did not happen, with one reason per action, in order."""

    code = "TransactionCanceledException"

    def __init__(self, reasons: list[dict[str, Any]], operation_name: str = "") -> None:
        codes = ", ".join(r["Code"] for r in reasons)
        super().__init__(f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                         operation_name)
        self.reasons = reasons
        self.response["CancellationReasons"] = reasons


class IdempotentParameterMismatchException(TableError):
    code = "IdempotentParameterMismatchException"


class InternalServerError(TableError):
    """The cluster underneath could not complete the request (quorum not reached,
    timeout): DynamoDB's 500. As in Dynamo, a failed write may still have reached some
    replicas; the table layer wrote no stream record or index entry for it."""

    code = "InternalServerError"
    status = 500


ERRORS: dict[str, type[TableError]] = {
    cls.code: cls
    for cls in (
        ValidationException, ResourceNotFoundException, ResourceInUseException,
        ConditionalCheckFailedException, ProvisionedThroughputExceededException,
        ItemCollectionSizeLimitExceededException, ExpiredIteratorException,
        TrimmedDataAccessException, LimitExceededException, InternalServerError,
        TransactionConflictException, TransactionCanceledException, IdempotentParameterMismatchException,
    )
}


class Exceptions:
    """``client.exceptions``: every error class by code, plus ``ClientError``."""

    ClientError = TableError
    ValidationException = ValidationException
    ResourceNotFoundException = ResourceNotFoundException
    ResourceInUseException = ResourceInUseException
    ConditionalCheckFailedException = ConditionalCheckFailedException
    ProvisionedThroughputExceededException = ProvisionedThroughputExceededException
    ItemCollectionSizeLimitExceededException = ItemCollectionSizeLimitExceededException
    ExpiredIteratorException = ExpiredIteratorException
    TrimmedDataAccessException = TrimmedDataAccessException
    LimitExceededException = LimitExceededException
    InternalServerError = InternalServerError
    TransactionConflictException = TransactionConflictException
    TransactionCanceledException = TransactionCanceledException
    IdempotentParameterMismatchException = IdempotentParameterMismatchException
