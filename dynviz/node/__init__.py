"""One Dynamo node, sans-I/O: message handlers and timers, nothing else.

A node talks to the world only through the runtime interface (``runtime.py``), which
the simulator and the TCP transport both implement; that is why the same code runs on
virtual time in one process and on real sockets across processes.
"""
