"""Every shipped lesson passes its check; predicates and checks parse with clear errors."""

from __future__ import annotations

import pytest

from dynviz.commands import CommandError
from dynviz.session.lesson import (
    LESSONS_DIR,
    LessonRunner,
    check_lesson,
    list_lessons,
    load_lesson,
    parse_lesson,
)
from dynviz.session.predicates import parse_check, parse_predicate

LESSONS = sorted(p.stem for p in LESSONS_DIR.glob("*.dyn"))


def test_at_least_nine_lessons_with_titles() -> None:
    listed = list_lessons()
    assert len(listed) >= 9
    assert all(title for _, title in listed)


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_passes_its_check(name: str) -> None:
    lesson = load_lesson(name)
    assert any(step.check is not None for step in lesson.steps), "a lesson must verify its point"
    result = check_lesson(lesson)
    assert result.ok, [f"{f.line}: {f.text}: {f.message}" for f in result.failures]


def test_unmet_expect_and_timed_out_wait_fail_with_their_line() -> None:
    lesson = parse_lesson("cluster nodes=3 seed=1\nput k v\nexpect get k values=w\n"
                          "wait until hint stored timeout=2s\nexpect hints=0\n")
    result = check_lesson(lesson)
    assert [f.line for f in result.failures] == [3, 4]
    assert "timed out" in result.failures[1].message


def test_runner_steps_pauses_waits_and_back() -> None:
    lesson = parse_lesson('cluster nodes=5 seed=1\nsay "one"\npause\nkill n4\nput cart book\n'
                          'wait until hint stored for n4\nsay "two"\nexpect hints=1\n')
    runner = LessonRunner(lesson)
    runner.run_to_pause()
    assert runner.is_paused and runner.narration == "one"
    runner.next()  # kill
    runner.next()  # put
    runner.next()  # wait starts
    assert runner.is_waiting or runner.results[-1].ok
    while runner.is_waiting:
        runner.advance(100_000)
    runner.next()
    assert runner.narration == "two"
    previous = runner.back()
    assert previous.position == runner.position - 1 and previous.narration == "one"
    runner.run_all()
    assert runner.done and not runner.failures


@pytest.mark.parametrize("text, column, message", [
    ("hint stord", 6, "expected 'stored' or 'delivered'"),
    ("siblings cart 2", 15, "expected a comparison"),
    ("n3 suspected", 13, "expected 'by'"),
    ("time >= 5", 9, "expected a duration"),
    ("n1 knows n2 is sleepy", 16, "expected a status"),
    ("quiet or hints = 0", 7, "expected 'and'"),
    ('hint stored of "cart', 16, "unterminated string"),
])
def test_predicate_errors_are_clear(text: str, column: int, message: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_predicate(text, line=7, column=1)
    assert info.value.line == 7 and info.value.column == column, str(info.value)
    assert message in info.value.message


def test_check_errors_and_columns_in_a_lesson() -> None:
    with pytest.raises(CommandError) as info:
        parse_lesson("cluster nodes=3\n  expect get cart bogus=1\n")
    assert (info.value.line, info.value.column) == (2, 19)
    with pytest.raises(CommandError):
        parse_check("inspect k on n1 holds v")
    with pytest.raises(CommandError):
        parse_check("node n1 is sideways")


def test_unknown_node_in_a_predicate_fails_the_step() -> None:
    lesson = parse_lesson("cluster nodes=3 seed=1\nexpect n9 is up\n")
    result = check_lesson(lesson)
    assert "unknown node 'n9'" in result.failures[0].message
