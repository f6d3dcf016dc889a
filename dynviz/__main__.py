"""``python -m dynviz`` runs the same entry point as the ``dynviz`` script.

Ctrl+C while the modules are still importing would otherwise end in a traceback; the
entry point's own handler (``dynviz.interrupts.interrupted``) covers everything after."""

try:
    from dynviz.cli import main
except KeyboardInterrupt:
    import sys

    print("dynviz: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
