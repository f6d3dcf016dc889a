"""Recorded sessions, verified replay with rewind and branches, and narrated lessons.

* ``recording``: the session file format (JSON Lines, data only), ``Recorder`` and the
  strict loader ``load_session``.
* ``replay``: headless replay of a session and digest verification.
* ``timeline``: seek (checkpoints + re-simulation) and branches over a session.
* ``predicates``: the small language of ``wait until`` predicates and ``expect`` checks.
* ``lesson``: ``.dyn`` lessons, the step-by-step ``LessonRunner`` and its headless check.
* ``cli``: the ``replay``, ``lessons`` and ``lesson`` subcommands.
"""
