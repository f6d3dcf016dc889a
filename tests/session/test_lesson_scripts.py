"""A lesson's ``script FILE``: a real Python process whose DynamoDB requests reach the
lesson's cluster through the wire endpoint (dynviz/session/scripts.py); its output is the
step's result, a failure or a hang is a failed step with its reason, never a stuck lesson."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynviz import commands as c
from dynviz.executor import Executor
from dynviz.session.lesson import check_lesson, parse_lesson

pytest.importorskip("boto3")

PUT = '''
import sys, boto3
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1])
ddb.create_table(TableName="notes", BillingMode="PAY_PER_REQUEST",
                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
for i in range(3):
    ddb.put_item(TableName="notes", Item={"id": {"S": f"n{i}"}, "text": {"S": "hello"}})
print("wrote", ddb.scan(TableName="notes", ConsistentRead=True)["Count"], "notes")
'''


def lesson_with(tmp_path: Path, script: str, body: str) -> object:
    (tmp_path / "prog.py").write_text(script)
    lesson_file = tmp_path / "l.dyn"
    text = f"cluster nodes=4 seed=3\n{body}"
    lesson_file.write_text(text)
    return parse_lesson(text, "l", str(lesson_file))


def test_a_script_writes_through_the_wire_and_the_lesson_sees_its_items(tmp_path: Path) -> None:
    lesson = lesson_with(tmp_path, PUT, "script prog.py\nexpect table scan notes consistent => count=3\n"
                                        "expect table get notes id=n1 => found\n")
    result = check_lesson(lesson)  # type: ignore[arg-type]
    assert result.ok, [(f.line, f.message) for f in result.failures]
    assert result.results[1].message == "wrote 3 notes"


def test_the_same_script_gives_the_same_cluster(tmp_path: Path) -> None:
    from dynviz.session.lesson import LessonRunner

    digests = []
    for _ in range(2):
        runner = LessonRunner(lesson_with(tmp_path, PUT, "script prog.py\n"))  # type: ignore[arg-type]
        runner.run_all()
        digests.append((runner.cluster.digest(), runner.cluster.state_digest()))
        runner.close()
    assert digests[0] == digests[1]


def test_a_failing_script_fails_its_step_with_its_error(tmp_path: Path) -> None:
    lesson = lesson_with(tmp_path, "raise SystemExit('the table is not there')\n", "script prog.py\n")
    failure = check_lesson(lesson).failures[0]  # type: ignore[arg-type]
    assert failure.line == 2
    assert "failed (exit 1): the table is not there" in failure.message


def test_a_hanging_script_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    lesson = lesson_with(tmp_path, "import time\nprint('started', flush=True)\ntime.sleep(60)\n",
                         "script prog.py timeout=1s\n")
    failure = check_lesson(lesson).failures[0]  # type: ignore[arg-type]
    assert "was stopped after 1s of wall time" in failure.message


def test_a_missing_script_is_named(tmp_path: Path) -> None:
    lesson = lesson_with(tmp_path, "", "script absent.py\n")
    assert "absent.py: no such file" in check_lesson(lesson).failures[0].message  # type: ignore[arg-type]


def test_script_parses_and_is_for_lessons_only() -> None:
    command = c.parse_line("script orders.py timeout=30s")
    assert command == c.Script("orders.py", 30_000_000)
    with pytest.raises(c.CommandError, match="expected the Python file to run"):
        c.parse_line("script")
    outcome = Executor().execute(c.Script("orders.py"))
    assert outcome.invalid and "works in lessons only" in outcome.error
