"""The ``replay``, ``lessons`` and ``lesson`` subcommands (wired into ``dynviz.cli``).

Each handler takes the parsed ``argparse.Namespace`` and returns an exit status; a
mistake the user can fix (a missing or invalid file, an unknown lesson) is a
``ValueError`` with a one-line message, which the main CLI prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dynviz.wording import plural

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)
"""The main parser's class, which its subparsers share (the main CLI's strict one)."""


def cmd_replay(args: argparse.Namespace) -> int:
    from dynviz.session.recording import SessionError, load_session
    from dynviz.session.replay import replay_session, verify_report

    try:
        session = load_session(args.file)
    except SessionError as exc:  # one line; say which file when the message does not
        raise SessionError(str(exc) if repr(args.file) in str(exc) else f"{args.file}: {exc}") from None
    if not args.verify:
        try:
            from dynviz.tui.launch import run_replay
        except ImportError:
            print("dynviz: replaying in the terminal app is not available in this version; "
                  "use 'dynviz replay FILE --verify' to replay headless", file=sys.stderr)
            return 2
        return int(run_replay(session) or 0)
    if session.footer is None:
        raise ValueError(f"{args.file}: the session has no footer (the recording was cut short); "
                         f"there is nothing to verify against")
    try:
        result = replay_session(session)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"replay of {args.file} interrupted; not verified") from None
    lines = verify_report(result)
    if result.verified:
        print(f"{args.file}: verified: {plural(result.commands, 'command')}, virtual time "
              f"{result.time / 1e6:.3f}s, {plural(result.events, 'event')}")
        for line in lines:
            print(f"  {line}")
        return 0
    print(f"{args.file}: replay does NOT match the recording")
    for line in lines:
        print(f"  {line}")
    return 1


def cmd_lessons(args: argparse.Namespace) -> int:
    from dynviz.session.lesson import list_lessons

    directory = Path(args.dir) if args.dir else None
    lessons = list_lessons(directory)
    if not lessons:
        print("no lessons found")
        return 0
    width = max(len(name) for name, _ in lessons)
    for name, title in lessons:
        print(f"{name:<{width}}  {title}")
    return 0


def cmd_lesson(args: argparse.Namespace) -> int:
    from dynviz.session.lesson import check_lesson, load_lesson

    lesson = load_lesson(args.name, Path(args.dir) if args.dir else None)  # LessonError: ValueError
    if not args.check:
        try:
            from dynviz.tui.launch import run_lesson
        except ImportError:
            print("dynviz: lessons in the terminal app are not available in this version; "
                  f"use 'dynviz lesson {args.name} --check' to run it headless", file=sys.stderr)
            return 2
        return int(run_lesson(lesson) or 0)
    try:
        result = check_lesson(lesson)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"lesson {lesson.name} interrupted; not checked") from None
    if args.verbose:
        for step in result.results:
            mark = "ok  " if step.ok else "FAIL"
            print(f"{mark} {lesson.path}:{step.line}: {step.text}  -> {step.message.splitlines()[0] if step.message else ''}")
    for step in result.failures:
        print(f"{lesson.path}:{step.line}: {step.text}: {step.message}")
    expects = sum(1 for s in lesson.steps if s.check is not None)
    waits = sum(1 for s in lesson.steps if s.predicate is not None)
    if result.ok:
        print(f"lesson {lesson.name}: ok ({plural(expects, 'expect')} met, {plural(waits, 'wait')} held)")
        return 0
    print(f"lesson {lesson.name}: {plural(len(result.failures), 'step')} failed")
    return 1


def add_session_commands(subparsers: argparse._SubParsersAction[Parser]) -> None:
    """Register ``replay``, ``lessons`` and ``lesson`` on the main parser's subparsers."""
    replay = subparsers.add_parser("replay", help="replay a recorded session (--verify: headless, compare digests)")
    replay.add_argument("file", help="a session file (.jsonl) recorded by dynviz")
    replay.add_argument("--verify", action="store_true",
                        help="replay headless; exit 0 only if the trace and state digests match the recording")
    replay.set_defaults(func=cmd_replay)

    lessons = subparsers.add_parser("lessons", help="list the lessons in sessions/lessons/")
    lessons.add_argument("--dir", default=None, help="a directory of .dyn lessons (default sessions/lessons)")
    lessons.set_defaults(func=cmd_lessons)

    lesson = subparsers.add_parser("lesson", help="run a lesson (--check: headless, fail on an unmet expect)")
    lesson.add_argument("name", help="the lesson's name (its file name without .dyn), or a path to a .dyn file")
    lesson.add_argument("--check", action="store_true",
                        help="run headless: skip pauses, run waits in virtual time, exit 1 on any unmet expect")
    lesson.add_argument("-v", "--verbose", action="store_true", help="with --check, print every step")
    lesson.add_argument("--dir", default=None, help="a directory of .dyn lessons (default sessions/lessons)")
    lesson.set_defaults(func=cmd_lesson)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m dynviz.session.cli replay FILE --verify``) until the
    main CLI wires these in."""
    from dynviz.sim.tuning import tune_for_simulation

    parser = argparse.ArgumentParser(prog="dynviz")
    add_session_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    tune_for_simulation()
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ValueError as exc:
        print(f"dynviz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        from dynviz.interrupts import interrupted

        return interrupted(str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
