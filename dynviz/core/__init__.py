"""Pure data structures of Dynamo: no I/O, no clock, no randomness of their own."""
