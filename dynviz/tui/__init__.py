"""The Textual app: renders the running cluster's snapshots and events, and issues
commands; it never reaches into a node to change it (DESIGN §1, §5)."""
