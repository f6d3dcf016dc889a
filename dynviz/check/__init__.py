"""``dynviz check``: a Jepsen-style checker over seeded random workloads (DESIGN §6, §7).

Each seed builds a cluster, runs several clients against it while faults are injected
at random virtual times, then heals everything, lets the cluster settle, reads every
key and judges what the clients saw. One idea per module:

- :mod:`~dynviz.check.judge`: the pure judge, what clients saw -> lost and phantom
  writes (its rules in its docstring; the TCP tests use it too);
- :mod:`~dynviz.check.history`: what the clients saw, kept as the judge needs it;
- :mod:`~dynviz.check.scenario`: one run's cluster driven by commands, and the ending
  every run shares (heal, recover, settle, final reads), written once, as commands;
- :mod:`~dynviz.check.workload`: the clients and faults of a seed, recorded as commands;
- :mod:`~dynviz.check.run`: one seed start to end (:class:`~dynviz.check.run.CheckConfig`,
  :func:`~dynviz.check.run.check_seed`);
- :mod:`~dynviz.check.campaign`: many seeds in worker processes, one report;
- :mod:`~dynviz.check.shrink`: a failing seed's recorded workload cut down by delta
  debugging to a session file ``dynviz replay --verify`` accepts;
- :mod:`~dynviz.check.cli`: the ``dynviz check`` options and output.
"""
