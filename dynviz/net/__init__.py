"""Real TCP transport for multi-process clusters, running the same node code (DESIGN §1).

codec.py      typed JSON codec for every node message (wire format, versioned)
frames.py     length-prefixed, HMAC-authenticated, size-capped frames
transport.py  lazy reused connections, handshakes, client relays, a lossy network's manners
runtime.py    the node runtime interface on an asyncio loop (real clock, real timers)
durable.py    epoch, membership view and issued counters kept beside the data in SQLite
process.py    one durable node process (``dynviz node``)
endpoint.py   the admin endpoint inside each node process (requests in, replies out)
snapshot.py   a node's state as its endpoint reports it (shared by both sides)
eventcodec.py a node's events as wire data (plain, and faithful for the attached TUI)
remote.py     ``RemoteCluster``, a read API over a live cluster's admin endpoints
client.py     ``NetClient`` and the client state file (``dynviz client``)
launcher.py   ``dynviz up`` / ``dynviz down``: a local cluster of processes
cli.py        ``add_net_commands``: the subcommands
"""
