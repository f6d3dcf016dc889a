"""Tags on tables (TagResource, UntagResource, ListTagsOfResource, and CreateTable's
``Tags``) and DescribeLimits.

A tag is a key and a value on a table, addressed by the table's ARN. DynamoDB's rules:
at most 50 tags a table; keys of 1 to 128 and values of 0 to 256 characters of
letters, digits, white space and ``+ - = . _ : / @``; keys beginning ``aws:`` are
reserved for AWS; a key appears once (tagging it again replaces its value); untagging
a key that is not there is not an error. Tags are control-plane state, kept with the
table (state.py), not on the ring, and go with it when it is deleted.

DescribeLimits answers DynamoDB's default quotas for an account in a region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dynviz.table.errors import ResourceNotFoundException, ValidationException
from dynviz.table.params import a_list, a_map, a_str, required
from dynviz.table.state import Catalog, Table
from dynviz.table.streams import ACCOUNT, REGION

MAX_TAGS = 50
TAGS_PER_PAGE = MAX_TAGS
"""ListTagsOfResource's page: a table's every tag, as DynamoDB answers (its NextToken
is still honoured)."""
_TAG_TEXT = re.compile(r"^[\w\s+\-=.:/@]*$", re.UNICODE)

ACCOUNT_MAX_READ = 80_000
ACCOUNT_MAX_WRITE = 80_000
TABLE_MAX_READ = 40_000
TABLE_MAX_WRITE = 40_000
"""DynamoDB's default provisioned-capacity quotas (per account in a region, per table)."""


def check_tags(tags: Any, where: str = "Tags") -> dict[str, str]:
    """A request's ``[{"Key": k, "Value": v}]`` as a map, each tag checked."""
    out: dict[str, str] = {}
    tags = a_list(tags, where)
    if len(tags) > MAX_TAGS:
        raise ValidationException(f"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member "
                                  f"must have length less than or equal to {MAX_TAGS}")
    for i, tag in enumerate(tags):
        tag = a_map(tag, f"{where}[{i}]")
        key = a_str(required(tag, "Key", f"{where}[{i}]"), f"{where}[{i}].Key")
        value = a_str(required(tag, "Value", f"{where}[{i}]"), f"{where}[{i}].Value")
        if not 1 <= len(key) <= 128 or not _TAG_TEXT.match(key):
            raise ValidationException(f"1 validation error detected: Value '{key}' at 'tags.{i + 1}.member.key' failed "
                                      "to satisfy constraint: Member must have length between 1 and 128 and match "
                                      r"pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
        if len(value) > 256 or not _TAG_TEXT.match(value):
            raise ValidationException(f"1 validation error detected: Value '{value}' at 'tags.{i + 1}.member.value' "
                                      "failed to satisfy constraint: Member must have length less than or equal to "
                                      r"256 and match pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
        if key.lower().startswith("aws:"):
            raise ValidationException("Tag keys starting with 'aws:' are reserved for system use")
        out[key] = value
    return out


def add_tags(t: Table, tags: dict[str, str]) -> None:
    """Tag ``t`` (a key already there gets the new value), within the 50-tag limit (a
    request that would pass it is invalid, as DynamoDB answers it, not a throttle)."""
    if len(t.tags.keys() | tags.keys()) > MAX_TAGS:
        raise ValidationException(f"One or more parameter values were invalid: The number of tags on the resource "
                                  f"would exceed the maximum of {MAX_TAGS}")
    t.tags.update(tags)


@dataclass(slots=True, eq=False)
class Tagging:
    """The tags of one cluster's tables, and the account's limits."""

    catalog: Catalog

    def _table(self, p: dict[str, Any]) -> Table:
        arn = a_str(required(p, "ResourceArn"), "ResourceArn")
        if not arn.startswith("arn:"):
            raise ValidationException(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}: ARNs must "
                                      "start with 'arn:'")
        prefix = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
        name = arn[len(prefix):] if arn.startswith(prefix) else None
        if name is None or "/" in name:
            raise ValidationException(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        t = self.catalog.tables.get(name)
        if t is None:
            raise ResourceNotFoundException(f"Requested resource not found: ResourcArn: {arn} not found")
        return t

    def tag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p)
        tags = check_tags(required(p, "Tags"))
        if not tags:
            raise ValidationException("1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: "
                                      "Member must have length greater than or equal to 1")
        add_tags(t, tags)
        return {}

    def untag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p)
        for i, key in enumerate(a_list(required(p, "TagKeys"), "TagKeys")):
            t.tags.pop(a_str(key, f"TagKeys[{i}]"), None)
        return {}

    def list_tags_of_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        """The table's tags, in the order they were first set."""
        t = self._table(p)
        tags = list(t.tags.items())
        start = 0
        token = p.get("NextToken")
        if token is not None:
            token = a_str(token, "NextToken")
            if not token.isdigit() or int(token) > len(tags):
                raise ValidationException(f"Invalid NextToken: {token}")
            start = int(token)
        page = tags[start:start + TAGS_PER_PAGE]
        out: dict[str, Any] = {"Tags": [{"Key": k, "Value": v} for k, v in page]}
        if start + TAGS_PER_PAGE < len(tags):
            out["NextToken"] = str(start + TAGS_PER_PAGE)
        return out

    @staticmethod
    def describe_limits(p: dict[str, Any]) -> dict[str, Any]:
        return {"AccountMaxReadCapacityUnits": ACCOUNT_MAX_READ, "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_WRITE,
                "TableMaxReadCapacityUnits": TABLE_MAX_READ, "TableMaxWriteCapacityUnits": TABLE_MAX_WRITE}
