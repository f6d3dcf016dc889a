"""The deterministic runtime: virtual clock, event queue, seeded RNG streams and a
simulated network with latency, loss, partitions, crashes and clock skew."""
