"""PartiQL over the wire, as boto3 and the AWS CLI send it (ExecuteStatement with
Parameters, BatchExecuteStatement, ExecuteTransaction)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed


def test_statements_through_boto3(ddb: Any, table_name: str) -> None:
    create_keyed(ddb, table_name)
    for n in range(3):
        ddb.execute_statement(Statement=f'INSERT INTO "{table_name}" VALUE {{\'pk\': ?, \'sk\': ?, \'blob\': ?}}',
                              Parameters=[{"S": "p"}, {"N": str(n)}, {"B": bytes([n, 255])}])
    out = ddb.execute_statement(Statement=f'SELECT sk, blob FROM "{table_name}" WHERE pk = ? AND sk >= 1',
                                Parameters=[{"S": "p"}], ConsistentRead=True)
    assert [(i["sk"]["N"], i["blob"]["B"]) for i in out["Items"]] == [("1", b"\x01\xff"), ("2", b"\x02\xff")]
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f'UPDATE "{table_name}" SET seen = TRUE WHERE pk = \'p\' AND sk = 0'},
        {"Statement": f'DELETE FROM "{table_name}" WHERE pk = \'p\' AND sk = 2'}])
    batch = ddb.batch_execute_statement(Statements=[
        {"Statement": f'SELECT * FROM "{table_name}" WHERE pk = \'p\' AND sk = {n}', "ConsistentRead": True}
        for n in range(3)])
    assert [r.get("Item", {}).get("seen") for r in batch["Responses"]] == [{"BOOL": True}, None, None]
    assert "Item" not in batch["Responses"][2]
    with pytest.raises(ClientError) as duplicate:
        ddb.execute_statement(Statement=f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'p', 'sk': 1}}")
    assert duplicate.value.response["Error"]["Code"] == "DuplicateItemException"
