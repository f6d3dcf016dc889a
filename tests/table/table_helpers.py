"""Helpers shared by the table tests."""

from __future__ import annotations

from typing import Any


def keys_table(name: str, pk: tuple[str, str], sk: tuple[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """CreateTable parameters for an on-demand table."""
    ks = [{"AttributeName": pk[0], "KeyType": "HASH"}]
    ads = [{"AttributeName": pk[0], "AttributeType": pk[1]}]
    if sk:
        ks.append({"AttributeName": sk[0], "KeyType": "RANGE"})
        ads.append({"AttributeName": sk[0], "AttributeType": sk[1]})
    for name_, t in extra.pop("more_attributes", ()):
        ads.append({"AttributeName": name_, "AttributeType": t})
    return {"TableName": name, "KeySchema": ks, "AttributeDefinitions": ads, "BillingMode": "PAY_PER_REQUEST", **extra}


def code_of(exc: BaseException) -> str:
    return exc.response["Error"]["Code"]  # type: ignore[attr-defined,no-any-return]
