"""``python -m dynviz.session.verify FILE...``: replay sessions headless and compare
digests; exit 0 only when every file verifies (what the tests run in a process with a
different ``PYTHONHASHSEED``)."""

from __future__ import annotations

import sys

from dynviz.session.recording import SessionError, load_session
from dynviz.session.replay import replay_session, verify_report


def main(argv: list[str] | None = None) -> int:
    from dynviz.sim.tuning import tune_for_simulation

    files = sys.argv[1:] if argv is None else argv
    if not files:
        print("usage: python -m dynviz.session.verify FILE...", file=sys.stderr)
        return 2
    tune_for_simulation()
    status = 0
    for path in files:
        try:
            session = load_session(path)
        except SessionError as exc:
            print(f"{path}: {exc}")
            status = max(status, 2)
            continue
        try:
            result = replay_session(session)
        except KeyboardInterrupt:
            from dynviz.interrupts import interrupted

            return interrupted(f"replay of {path} interrupted; not verified")
        print(f"{path}: {'verified' if result.verified else 'MISMATCH'}")
        for line in verify_report(result):
            print(f"  {line}")
        if not result.verified:
            status = max(status, 1)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
