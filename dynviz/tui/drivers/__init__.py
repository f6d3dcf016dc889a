"""The app's modes: one driver per way of running it (see ``dynviz.tui.driver``)."""
