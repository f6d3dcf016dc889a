"""``python -m dynviz`` runs the same entry point as the ``dynviz`` script."""

from dynviz.cli import main

raise SystemExit(main())
