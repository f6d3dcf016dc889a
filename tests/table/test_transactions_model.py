"""Transactions against a model (Hypothesis): random transfers between accounts, each a
TransactWriteItems that moves an amount only if the source holds enough, interleaved
with plain writes and TransactGetItems. After every step the table equals the model: a
transaction happened entirely or not at all, and the total is conserved."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from table_helpers import keys_table

import dynviz.table as dt

ACCOUNTS = [f"acct{i}" for i in range(4)]


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": name}}


class Transfers(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 3))
    def start(self, seed: int) -> None:
        self.ddb = dt.client(dt.default_cluster(seed=seed))
        self.ddb.create_table(**keys_table("bank", ("pk", "S")))
        self.model = {a: 10 for a in ACCOUNTS}
        for a in ACCOUNTS:
            self.ddb.put_item(TableName="bank", Item={**_key(a), "bal": {"N": "10"}})

    @rule(src=st.sampled_from(ACCOUNTS), dst=st.sampled_from(ACCOUNTS), amount=st.integers(1, 8))
    def transfer(self, src: str, dst: str, amount: int) -> None:
        if src == dst:
            return
        v = {":a": {"N": str(amount)}}
        try:
            self.ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": "bank", "Key": _key(src), "UpdateExpression": "SET bal = bal - :a",
                            "ConditionExpression": "bal >= :a", "ExpressionAttributeValues": v}},
                {"Update": {"TableName": "bank", "Key": _key(dst), "UpdateExpression": "SET bal = bal + :a",
                            "ExpressionAttributeValues": v}},
            ])
        except self.ddb.exceptions.TransactionCanceledException as exc:
            assert self.model[src] < amount
            assert [r["Code"] for r in exc.response["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
            return
        assert self.model[src] >= amount
        self.model[src] -= amount
        self.model[dst] += amount

    @rule(who=st.sampled_from(ACCOUNTS), amount=st.integers(0, 5))
    def deposit(self, who: str, amount: int) -> None:
        self.ddb.update_item(TableName="bank", Key=_key(who), UpdateExpression="SET bal = bal + :a",
                             ExpressionAttributeValues={":a": {"N": str(amount)}})
        self.model[who] += amount

    @rule()
    def read_all(self) -> None:
        out = self.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "bank", "Key": _key(a)}}
                                                         for a in ACCOUNTS])
        assert [int(r["Item"]["bal"]["N"]) for r in out["Responses"]] == [self.model[a] for a in ACCOUNTS]

    @invariant()
    def matches_the_model(self) -> None:
        if not hasattr(self, "ddb"):
            return
        items = self.ddb.scan(TableName="bank", ConsistentRead=True)["Items"]
        assert {i["pk"]["S"]: int(i["bal"]["N"]) for i in items} == self.model
        t = self.ddb.engine.table("bank")
        for a in ACCOUNTS:  # no transaction left a marker behind
            entry = self.ddb.engine.store.read_for_write(t, {"S": a}, None)
            assert entry is not None and entry.marker is None


Transfers.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
TestTransfers = Transfers.TestCase
