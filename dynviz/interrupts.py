"""Ctrl+C at the command line: how a headless run stops cleanly.

Its own module so that every command-line entry (``dynviz.cli``, ``dynviz.session.cli``,
``dynviz.session.verify``) can end an interrupted run the same way without importing
the main CLI, which imports them: the dependency goes one way only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def holding_interrupts() -> Iterator[None]:
    """Hold SIGINT back for the length of the block (POSIX): a Ctrl+C meanwhile raises as
    the block ends, so what the block prints and counts stays consistent."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def interrupted(message: str = "") -> int:
    """End a run that Ctrl+C stopped: keep what was printed, say so in one line, exit 130
    (128 + SIGINT, what a shell reports). A second Ctrl+C while this runs is ignored, so
    it cannot turn the clean stop into a traceback. Subcommands re-raise
    ``KeyboardInterrupt(message)`` to say where they were."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()
    print(f"dynviz: {message or 'interrupted'}", file=sys.stderr, flush=True)
    return 130


def discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
