"""The promises of ``dynviz.tui.progress``: progress survives a save and a load, the
furthest point of a lesson never goes back, and no broken file or directory ever
raises (``problem`` says what happened instead)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dynviz.tui.progress import FILE_NAME, VERSION, LessonProgress, Progress, data_directory


def test_round_trip(tmp_path: Path) -> None:
    progress = Progress.load(tmp_path)
    assert progress.problem == ""
    assert progress.show_welcome is True
    progress.record("03-vector-clocks", 4, 9)
    progress.record("01-consistent-hashing", 6, 6)
    progress.set_show_welcome(False)
    assert progress.save() is True
    assert progress.problem == ""

    again = Progress.load(tmp_path)
    assert again.problem == ""
    assert again.show_welcome is False
    assert again.lesson("03-vector-clocks") == LessonProgress("03-vector-clocks", 4, 9, False)
    assert again.lesson("01-consistent-hashing") == LessonProgress(
        "01-consistent-hashing", 6, 6, True)
    assert again.lesson("02-quorums") is None
    data = json.loads((tmp_path / FILE_NAME).read_text())
    assert data["version"] == VERSION
    assert not [p for p in tmp_path.iterdir() if p.name != FILE_NAME], "temp file left behind"


def test_default_directory_is_overridden_by_environment(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNVIZ_DATA_DIR", str(tmp_path / "data"))
    assert data_directory() == tmp_path / "data"
    progress = Progress.load()
    progress.record("02-quorums", 1, 5)
    assert progress.save()
    assert (tmp_path / "data" / FILE_NAME).exists()


def test_missing_file_is_a_first_run_not_a_problem(tmp_path: Path) -> None:
    progress = Progress.load(tmp_path / "not-yet")
    assert progress.problem == ""
    assert progress.lessons == {}
    assert progress.save()
    assert (tmp_path / "not-yet" / FILE_NAME).exists()


@pytest.mark.parametrize("content", [
    "{not json",
    "[1, 2, 3]",
    '{"version": 1, "lessons": {"a": {"furthest": "x", "total": 3, "done": false}}}',
    '{"version": 1, "lessons": [], "show_welcome": true}',
    b"\xff\xfe\x00garbage",
])
def test_corrupt_file_gives_empty_progress_and_a_problem(tmp_path: Path,
                                                         content: str | bytes) -> None:
    path = tmp_path / FILE_NAME
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    progress = Progress.load(tmp_path)
    assert progress.lessons == {}
    assert progress.show_welcome is True
    assert str(path) in progress.problem
    # Saving replaces the broken file and clears the problem.
    progress.record("02-quorums", 2, 5)
    assert progress.save()
    assert progress.problem == ""
    assert Progress.load(tmp_path).lesson("02-quorums") == LessonProgress("02-quorums", 2, 5, False)


def test_wrong_version_is_read_as_empty_and_a_newer_file_is_not_overwritten(
        tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    newer = json.dumps({"version": VERSION + 1, "lessons": {}, "whatever": 1})
    path.write_text(newer)
    progress = Progress.load(tmp_path)
    assert progress.lessons == {}
    assert "version" in progress.problem
    progress.record("02-quorums", 1, 5)
    assert progress.save() is False
    assert "newer dynviz" in progress.problem
    assert path.read_text() == newer

    path.write_text(json.dumps({"version": 0, "lessons": {}}))
    old = Progress.load(tmp_path)
    assert "version 0" in old.problem
    assert old.save() is True


def test_unwritable_directory_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    directory = blocker / "dynviz"
    progress = Progress.load(directory)
    assert progress.lessons == {}
    progress.record("02-quorums", 1, 5)
    assert progress.save() is False
    assert str(directory) in progress.problem
    assert progress.lesson("02-quorums") == LessonProgress("02-quorums", 1, 5, False)


def test_unreadable_file_never_raises(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).mkdir()  # a directory where the file should be
    progress = Progress.load(tmp_path)
    assert progress.lessons == {}
    assert "Could not read" in progress.problem
    assert progress.save() is False
    assert "Could not write" in progress.problem


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root")
def test_read_only_directory_never_raises(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        progress = Progress.load(tmp_path)
        progress.record("02-quorums", 1, 5)
        assert progress.save() is False
        assert "Permission denied" in progress.problem
    finally:
        tmp_path.chmod(0o700)


def test_done_when_the_last_narration_is_reached(tmp_path: Path) -> None:
    progress = Progress.load(tmp_path)
    progress.record("03-vector-clocks", 8, 9)
    assert progress.lesson("03-vector-clocks") == LessonProgress("03-vector-clocks", 8, 9, False)
    progress.record("03-vector-clocks", 9, 9)
    assert progress.lesson("03-vector-clocks") == LessonProgress("03-vector-clocks", 9, 9, True)
    # Starting it over does not undo it.
    progress.record("03-vector-clocks", 1, 9)
    assert progress.lesson("03-vector-clocks") == LessonProgress("03-vector-clocks", 9, 9, True)


def test_furthest_never_goes_back(tmp_path: Path) -> None:
    progress = Progress.load(tmp_path)
    for reached in (1, 2, 5, 3, 0, 4):
        progress.record("05-partitions", reached, 7)
    assert progress.lesson("05-partitions") == LessonProgress("05-partitions", 5, 7, False)
    progress.save()
    again = Progress.load(tmp_path)
    again.record("05-partitions", 2, 7)
    assert again.lesson("05-partitions") == LessonProgress("05-partitions", 5, 7, False)


def test_out_of_range_numbers_are_clamped(tmp_path: Path) -> None:
    progress = Progress.load(tmp_path)
    progress.record("02-quorums", -3, 5)
    assert progress.lesson("02-quorums") == LessonProgress("02-quorums", 0, 5, False)
    progress.record("02-quorums", 12, 5)
    assert progress.lesson("02-quorums") == LessonProgress("02-quorums", 5, 5, True)


def test_two_runs_saving_keep_each_others_progress(tmp_path: Path) -> None:
    first = Progress.load(tmp_path)
    second = Progress.load(tmp_path)
    first.record("02-quorums", 4, 5)
    first.save()
    second.record("02-quorums", 2, 5)
    second.record("04-hinted-handoff", 1, 6)
    second.save()
    merged = Progress.load(tmp_path)
    assert merged.lesson("02-quorums") == LessonProgress("02-quorums", 4, 5, False)
    assert merged.lesson("04-hinted-handoff") == LessonProgress("04-hinted-handoff", 1, 6, False)


def test_welcome_setting_from_another_run_survives_unless_changed_here(tmp_path: Path) -> None:
    first = Progress.load(tmp_path)
    second = Progress.load(tmp_path)
    first.set_show_welcome(False)
    first.save()
    second.record("02-quorums", 1, 5)
    second.save()
    assert Progress.load(tmp_path).show_welcome is False
