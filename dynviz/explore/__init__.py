"""The model checker (issue 17): every interleaving of a small scenario's messages and
faults, breadth-first, on the real node code (see search.py for the search, world.py
for a state, canon.py for its canonical hash, spec.py for the scenario file)."""
