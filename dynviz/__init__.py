"""dynviz: a Dynamo-style key-value store you can watch.

The package is layered (see DESIGN.md): ``core`` holds pure data structures,
``storage`` the per-node engines, ``sim`` the deterministic runtime, ``node`` the
sans-I/O protocol, ``cluster`` wires them, and the front ends sit on top.
"""

__version__ = "0.1.0"
