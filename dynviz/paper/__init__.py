"""``dynviz paper``: the Dynamo paper's figures (and PBS's) reproduced on the running cluster.

One module per experiment, each running real :class:`~dynviz.cluster.Cluster` instances on
virtual time and reading what they did through :class:`~dynviz.metrics.Metrics` (DESIGN §8):

* :mod:`~dynviz.paper.figure8`: load balance against membership metadata for the three
  partitioning strategies (Dynamo §6.2, Figures 7 and 8);
* :mod:`~dynviz.paper.divergence`: how many versions reads see under concurrent writers (§6.3);
* :mod:`~dynviz.paper.table2`: server-driven against client-driven coordination (§6.4, Table 2);
* :mod:`~dynviz.paper.pbs`: t-visibility under PBS's production latency models
  (Bailis et al., VLDB 2012), with :mod:`~dynviz.paper.models` holding those models.

Each experiment returns a :class:`~dynviz.paper.result.Experiment`: our figures, the paper's,
the model it ran, a sentence on where and why they differ, and its plot.
"""
