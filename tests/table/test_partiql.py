"""PartiQL for DynamoDB (dynviz/table/partiql.py), with statements as DynamoDB's PartiQL
reference writes them: each becomes the item operation it means, so it has that
operation's rules."""

from __future__ import annotations

from typing import Any

import pytest

import dynviz.table as dt


@pytest.fixture
def ddb() -> Any:
    client = dt.client(dt.default_cluster(seed=5))
    client.create_table(
        TableName="Music", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "SongTitle", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "Artist", "AttributeType": "S"},
                              {"AttributeName": "SongTitle", "AttributeType": "S"}])
    return client


def run(ddb: Any, statement: str, *parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return dict(ddb.execute_statement(Statement=statement, Parameters=list(parameters), **extra))


def code(ddb: Any, statement: str, *parameters: dict[str, Any]) -> str:
    with pytest.raises(ddb.exceptions.ClientError) as caught:
        run(ddb, statement, *parameters)
    return str(caught.value.response["Error"]["Code"])


def test_insert_select_update_delete(ddb: Any) -> None:
    run(ddb, "INSERT INTO \"Music\" VALUE {'Artist': 'Acme Band', 'SongTitle': 'PartiQL Rocks', 'Year': 2021, "
             "'Tags': <<'rock', 'sql'>>, 'Info': {'plays': 0, 'albums': ['One']}}")
    run(ddb, 'INSERT INTO "Music" VALUE {\'Artist\': ?, \'SongTitle\': ?}', {"S": "Acme Band"}, {"S": "Second"})
    assert code(ddb, "INSERT INTO Music VALUE {'Artist': 'Acme Band', 'SongTitle': 'Second'}") == "DuplicateItemException"

    items = run(ddb, "SELECT * FROM \"Music\" WHERE \"Artist\" = 'Acme Band'", ConsistentRead=True)["Items"]
    assert [i["SongTitle"]["S"] for i in items] == ["PartiQL Rocks", "Second"]
    song = run(ddb, "SELECT SongTitle, Info.albums[0] FROM Music WHERE Artist = ? AND Year >= 2000",
               {"S": "Acme Band"}, ConsistentRead=True)["Items"]
    assert song == [{"SongTitle": {"S": "PartiQL Rocks"}, "Info": {"M": {"albums": {"L": [{"S": "One"}]}}}}]

    out = run(ddb, "UPDATE Music SET Year = Year + 1 SET Info.plays = 7 REMOVE Tags "
                   "WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks' RETURNING ALL NEW *")
    assert out["Items"][0]["Year"] == {"N": "2022"} and "Tags" not in out["Items"][0]
    run(ddb, "UPDATE Music SET Tags = set_add(Tags, <<'live'>>) WHERE Artist = 'Acme Band' AND SongTitle = 'Second'")
    assert run(ddb, "SELECT Tags FROM Music WHERE Artist = 'Acme Band' AND SongTitle = 'Second'",
               ConsistentRead=True)["Items"] == [{"Tags": {"SS": ["live"]}}]
    # an UPDATE needs its item; a DELETE of none deletes nothing; a false condition fails
    assert code(ddb, "UPDATE Music SET Year = 1 WHERE Artist = 'Nobody' AND SongTitle = 'x'") == \
        "ConditionalCheckFailedException"
    assert "Items" not in run(ddb, "DELETE FROM Music WHERE Artist = 'Nobody' AND SongTitle = 'x'")
    assert code(ddb, "DELETE FROM Music WHERE Artist = 'Acme Band' AND SongTitle = 'Second' AND Year = 1999") == \
        "ConditionalCheckFailedException"
    gone = run(ddb, "DELETE FROM Music WHERE Artist = 'Acme Band' AND SongTitle = 'Second' RETURNING ALL OLD *")
    assert gone["Items"][0]["SongTitle"] == {"S": "Second"}


def test_select_without_the_partition_key_scans_and_pages(ddb: Any) -> None:
    for i in range(5):
        run(ddb, "INSERT INTO Music VALUE {'Artist': ?, 'SongTitle': 'a', 'n': ?}", {"S": f"band{i}"}, {"N": str(i)})
    assert len(run(ddb, "SELECT * FROM Music WHERE n > 1 OR n = 0", ConsistentRead=True)["Items"]) == 4
    seen, token = [], None
    while True:
        page = run(ddb, "SELECT Artist FROM Music", Limit=2, **({"NextToken": token} if token else {}))
        seen += [i["Artist"]["S"] for i in page["Items"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert sorted(seen) == [f"band{i}" for i in range(5)]
    assert len(run(ddb, "SELECT * FROM Music WHERE n BETWEEN 1 AND 3 AND begins_with(Artist, 'band')",
                   ConsistentRead=True)["Items"]) == 3
    # the sort key's condition goes to the Query's key condition, others to its filter
    assert len(run(ddb, "SELECT * FROM Music WHERE Artist = 'band2' AND begins_with(SongTitle, 'a') AND n = 2",
                   ConsistentRead=True)["Items"]) == 1
    assert run(ddb, "SELECT * FROM Music WHERE SongTitle = 'a' AND n = 3", ConsistentRead=True)["Items"][0][
        "Artist"] == {"S": "band3"}
    assert len(run(ddb, "SELECT * FROM Music WHERE n IN [1, 4] AND genre IS MISSING",
                   ConsistentRead=True)["Items"]) == 2


def test_batches_and_transactions(ddb: Any) -> None:
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'a', 'SongTitle': 's1'}"},
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'a', 'SongTitle': 's2'}"},
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'a', 'SongTitle': 's1'}"}])
    assert [r.get("Error", {}).get("Code") for r in out["Responses"]] == [None, None, "DuplicateItem"]
    reads = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM Music WHERE Artist = 'a' AND SongTitle = 's2'", "ConsistentRead": True},
        {"Statement": "SELECT * FROM Music WHERE Artist = 'a' AND SongTitle = 'none'", "ConsistentRead": True}])
    assert [("Item" in r) for r in reads["Responses"]] == [True, False]

    ddb.execute_transaction(TransactStatements=[
        {"Statement": "UPDATE Music SET plays = 1 WHERE Artist = 'a' AND SongTitle = 's1'"},
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'b', 'SongTitle': 's3'}"},
        {"Statement": "EXISTS(SELECT * FROM Music WHERE Artist = 'a' AND SongTitle = 's2')"}])
    with pytest.raises(ddb.exceptions.ClientError) as cancelled:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "UPDATE Music SET plays = 2 WHERE Artist = 'a' AND SongTitle = 's1'"},
            {"Statement": "EXISTS(SELECT * FROM Music WHERE Artist = 'a' AND SongTitle = 'missing')"}])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    got = ddb.execute_transaction(TransactStatements=[
        {"Statement": "SELECT plays FROM Music WHERE Artist = 'a' AND SongTitle = 's1'"}])
    assert got["Responses"] == [{"Item": {"plays": {"N": "1"}}}]  # the cancelled one changed nothing


def test_bad_statements_are_validation_errors(ddb: Any) -> None:
    for bad in ("SELEKT * FROM Music", "SELECT * FROM Music WHERE", "INSERT INTO Music VALUE 'x'",
                "UPDATE Music SET a = 1 WHERE Artist = 'a'", "SELECT * FROM Music WHERE Artist = ?"):
        assert code(ddb, bad) == "ValidationException", bad
    assert code(ddb, "SELECT * FROM Nowhere") == "ResourceNotFoundException"
    with pytest.raises(ddb.exceptions.ClientError) as mixed:
        ddb.batch_execute_statement(Statements=[
            {"Statement": "SELECT * FROM Music WHERE Artist = 'a' AND SongTitle = 's'"},
            {"Statement": "DELETE FROM Music WHERE Artist = 'a' AND SongTitle = 's'"}])
    assert "all read statements or all write statements" in mixed.value.response["Error"]["Message"]
