"""The learner's progress through the lessons, and the app's few remembered settings,
kept across runs in one JSON file.

Where: ``progress.json`` in ``platformdirs.user_data_dir("dynviz")`` (for example
``~/.local/share/dynviz`` on Linux). The environment variable ``DYNVIZ_DATA_DIR``, when
set and not empty, names another directory instead; tests point it at a temporary
directory so they never touch the user's real progress.

Progress is a convenience, not data the user asked us to keep safe, so nothing here may
stop the app: a missing, unreadable, corrupt or wrong-version file, or a directory that
cannot be created or written, never raises. ``Progress.load`` then gives empty progress
and ``Progress.problem`` says what went wrong, in words the app can show; ``save`` sets
``problem`` the same way. A first run (no file yet) is not a problem: ``problem`` stays
empty.

The file is written whole to a temporary file in the same directory and moved over the
old one with ``os.replace``, so a crash mid-write leaves the previous file intact. Two
dynviz processes may share the file: ``save`` merges what is on disk (the furthest point
of each lesson wins) so one run does not erase another's progress. A file written by a
newer dynviz (a higher ``version``) is read as empty and never overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import platformdirs

FILE_NAME = "progress.json"
VERSION = 1
"""The file format's version; a file with another version is not read."""

ENV_DIR = "DYNVIZ_DATA_DIR"


@dataclass(frozen=True)
class LessonProgress:
    """How far the learner got in one lesson: ``furthest`` narrations reached of
    ``total``; ``done`` once the last one was reached (and for good after that)."""

    name: str
    furthest: int
    total: int
    done: bool

    @property
    def started(self) -> bool:
        return self.done or self.furthest > 0


class _FileProblem(Exception):
    """Why the progress file could not be used (the message is for the user)."""


def data_directory() -> Path:
    """The directory progress lives in: ``$DYNVIZ_DATA_DIR`` or the user's data dir."""
    override = os.environ.get(ENV_DIR, "")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("dynviz"))


def _parse(text: str) -> tuple[bool, dict[str, LessonProgress]]:
    """(show_welcome, lessons) from the file's text; raises ``_FileProblem``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _FileProblem(f"it is not valid JSON (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise _FileProblem("it does not hold a JSON object")
    version = data.get("version")
    if version != VERSION:
        raise _FileProblem(f"it has format version {version!r}, this dynviz reads {VERSION}")
    show_welcome = data.get("show_welcome", True)
    lessons_data = data.get("lessons", {})
    if not isinstance(show_welcome, bool) or not isinstance(lessons_data, dict):
        raise _FileProblem("its fields have the wrong types")
    lessons: dict[str, LessonProgress] = {}
    for name, entry in lessons_data.items():
        if not isinstance(entry, dict):
            raise _FileProblem(f"lesson {name!r} is not an object")
        furthest, total, done = entry.get("furthest"), entry.get("total"), entry.get("done")
        if not (_is_count(furthest) and _is_count(total) and isinstance(done, bool)):
            raise _FileProblem(f"lesson {name!r} has fields of the wrong types")
        lessons[name] = LessonProgress(name, furthest, total, done)
    return show_welcome, lessons


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _newer_version(text: str) -> int | None:
    """The file's version if it is a readable file from a newer dynviz, else None."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        return version
    return None


def _merge(a: LessonProgress, b: LessonProgress) -> LessonProgress:
    """The further of two records of one lesson (used for both record and save)."""
    return LessonProgress(
        name=a.name,
        furthest=max(a.furthest, b.furthest),
        total=b.total,
        done=a.done or b.done,
    )


class Progress:
    """The learner's progress and settings; ``load`` it, change it, ``save`` it.

    ``problem`` is empty while all is well, otherwise a sentence saying why the file
    could not be read or written (the app may show it; it never has to handle an
    exception from here).
    """

    def __init__(self, directory: Path, show_welcome: bool = True,
                 lessons: dict[str, LessonProgress] | None = None, problem: str = "") -> None:
        self.directory = directory
        self.problem = problem
        self._show_welcome = show_welcome
        self._welcome_changed = False
        self._lessons: dict[str, LessonProgress] = dict(lessons or {})

    @property
    def path(self) -> Path:
        return self.directory / FILE_NAME

    @classmethod
    def load(cls, directory: Path | None = None) -> Progress:
        """The progress saved in ``directory`` (default: ``data_directory()``); empty,
        with ``problem`` set, when it cannot be read."""
        directory = directory if directory is not None else data_directory()
        path = directory / FILE_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(directory)
        except (OSError, UnicodeDecodeError) as exc:
            return cls(directory, problem=f"Could not read {path}: {_reason(exc)}. "
                                          "Starting with no saved progress.")
        try:
            show_welcome, lessons = _parse(text)
        except _FileProblem as exc:
            return cls(directory, problem=f"Ignored {path}: {exc}. "
                                          "Starting with no saved progress.")
        return cls(directory, show_welcome=show_welcome, lessons=lessons)

    # -- reading

    def lesson(self, name: str) -> LessonProgress | None:
        """How far the learner got in lesson ``name``; None if never started."""
        return self._lessons.get(name)

    @property
    def lessons(self) -> dict[str, LessonProgress]:
        """Every lesson with recorded progress, by name (a copy)."""
        return dict(self._lessons)

    @property
    def show_welcome(self) -> bool:
        """Whether the app opens with the welcome screen."""
        return self._show_welcome

    # -- changing (in memory; ``save`` writes)

    def record(self, name: str, reached: int, total: int) -> None:
        """Note that the learner reached narration ``reached`` of ``total`` in lesson
        ``name``. The furthest point is kept: going back in a lesson, or starting it
        again, does not lose it. The lesson is done when ``reached == total``, and stays
        done. Out-of-range numbers are clamped, not refused: a slip in the caller should
        not stop the lesson."""
        total = max(total, 0)
        reached = min(max(reached, 0), total)
        new = LessonProgress(name, reached, total, done=reached == total)
        old = self._lessons.get(name)
        self._lessons[name] = new if old is None else _merge(old, new)

    def set_show_welcome(self, show: bool) -> None:
        self._show_welcome = show
        self._welcome_changed = True

    def save(self) -> bool:
        """Write the progress file (atomically); True if it was written. On failure
        ``problem`` says why and the progress stays in memory."""
        path = self.path
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.problem = (f"Could not create {self.directory}: {_reason(exc)}. "
                            "Progress is not saved.")
            return False
        refusal = self._merge_from_disk(path)
        if refusal:
            self.problem = refusal
            return False
        data = {
            "version": VERSION,
            "show_welcome": self._show_welcome,
            "lessons": {
                name: {"furthest": p.furthest, "total": p.total, "done": p.done}
                for name, p in sorted(self._lessons.items())
            },
        }
        try:
            _write_atomically(path, json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            self.problem = f"Could not write {path}: {_reason(exc)}. Progress is not saved."
            return False
        self.problem = ""
        return True

    def _merge_from_disk(self, path: Path) -> str:
        """Fold in what another dynviz may have saved since we loaded: per lesson the
        further record wins; the welcome setting from disk unless we changed it.
        Returns why not to save at all (a file from a newer dynviz), else ""."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""  # missing or unreadable: ours replaces it
        newer = _newer_version(text)
        if newer is not None:
            return (f"Not saving progress: {path} was written by a newer dynviz "
                    f"(format version {newer}); leaving it as it is.")
        try:
            show_welcome, lessons = _parse(text)
        except _FileProblem:
            return ""  # corrupt: ours replaces it
        if not self._welcome_changed:
            self._show_welcome = show_welcome
        for name, theirs in lessons.items():
            ours = self._lessons.get(name)
            self._lessons[name] = theirs if ours is None else _merge(theirs, ours)
        return ""


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then move it over ``path``."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise


def _reason(exc: BaseException) -> str:
    """The human part of an OS error ("Permission denied"), without the errno noise."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
