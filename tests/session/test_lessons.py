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


def test_every_say_is_a_stop_with_the_expects_that_follow_it() -> None:
    lesson = parse_lesson('cluster nodes=5 seed=1\nsay "one"\npause\nkill n4\nput cart book\n'
                          'wait until hint stored for n4\nsay "two" key=cart\nexpect hints=1\n'
                          'heal\npause\nsay "three"\n')
    # say one + its pause; say two + its expect; the lone pause; say three
    assert lesson.stops == (3, 8, 10, 11)
    runner = LessonRunner(lesson)
    runner.run_to_stop()
    assert runner.is_stopped and runner.narration == "one" and runner.stop_number == 1
    runner.run_to_stop()  # kill, put, then the wait starts
    assert runner.is_waiting and runner.narration == "one"
    while runner.is_waiting:
        runner.advance(100_000)
    runner.run_to_stop()
    assert runner.is_stopped and runner.narration == "two" and runner.stop_number == 2
    assert runner.said is not None and runner.said.command.key == "cart"  # type: ignore[attr-defined]
    assert runner.subject == "cart"
    assert [r.text for r in runner.results_since_stop()] == [
        "kill n4", "put cart book", "wait until hint stored for n4", 'say "two" key=cart', "expect hints=1"]
    runner.run_to_stop()
    assert runner.is_stopped and runner.narration == "two" and runner.stop_number == 3
    runner.run_to_stop()
    assert runner.is_stopped and runner.narration == "three" and runner.stop_number == 4
    runner.run_to_stop()  # past the last narration: the lesson is over
    assert runner.done and not runner.failures


def test_a_checkpoint_puts_the_runner_and_the_cluster_back_exactly() -> None:
    lesson = parse_lesson('cluster nodes=5 seed=1\nput cart book\nsay "one"\nkill n4\n'
                          'put cart lamp\nrun 2s\nsay "two"\nexpect hints=1\n')
    runner = LessonRunner(lesson)
    runner.run_to_stop()
    point = runner.checkpoint()
    digests = (runner.cluster.digest(), runner.cluster.state_digest())
    runner.run_to_stop()
    assert runner.narration == "two" and runner.cluster.digest() != digests[0]
    assert runner.restore(point)
    assert (runner.cluster.digest(), runner.cluster.state_digest()) == digests
    assert runner.narration == "one" and runner.is_stopped and runner.stop_number == 1
    runner.run_to_stop()  # and forward again, the same way
    assert runner.narration == "two" and not runner.failures


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


@pytest.mark.parametrize("learner", ["deliver m21", "drop m21"])
def test_a_by_hand_lesson_goes_on_when_the_learner_made_the_choice_first(learner: str) -> None:
    """Lesson 16 asks the learner to deliver m21: if they did (in the Network panel), the
    lesson's own 'deliver m21' has nothing to do and is not a failure; if they chose
    differently, the lesson goes on and its expects say what changed."""
    from dynviz.commands import parse_line
    from dynviz.session.lesson import load_lesson

    runner = LessonRunner(load_lesson("16-by-hand-lost-update"))
    while runner.narration is None or "Deliver m21 first" not in runner.narration:
        runner.run_to_stop()
    assert not runner.executor.execute(parse_line(learner)).invalid  # type: ignore[arg-type]
    runner.run_to_stop()
    step = next(r for r in runner.results if r.text == "deliver m21")
    assert step.ok and "you chose it already" in step.message
    lamp = next(r for r in runner.results if r.text == "expect inspect cart on n1 has lamp")
    assert lamp.ok == (learner == "deliver m21")


def test_a_by_hand_lesson_goes_on_when_the_learner_released_first() -> None:
    """Lesson 16 asks the learner to release the hold (H): if they did, the lesson's own
    'release' has nothing to do and is not a failure."""
    from dynviz.commands import parse_line
    from dynviz.session.lesson import load_lesson

    runner = LessonRunner(load_lesson("16-by-hand-lost-update"))
    while runner.narration is None or "Release the hold" not in runner.narration:
        runner.run_to_stop()
    assert not runner.executor.execute(parse_line("release")).invalid  # type: ignore[arg-type]
    runner.run_to_stop()
    step = next(r for r in runner.results if r.text == "release")
    assert step.ok and "you chose it already" in step.message
