"""Side-by-side benchmarks: each compares dynviz with a peer or a naive baseline in
the same run and prints the ratio (timed unit tests would be noise on shared machines)."""
