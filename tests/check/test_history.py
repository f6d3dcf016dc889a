"""The history mirrors each client's context: a write observed what its client's last
answer for the key showed, nothing after a forget."""

from __future__ import annotations

from dynviz.check.history import History
from dynviz.check.judge import Write
from dynviz.cluster import Cluster, ClusterConfig


def test_writes_record_what_their_context_observed_and_deletes_their_tombstone() -> None:
    cluster = Cluster(ClusterConfig(nodes=("n1", "n2", "n3"), seed=1, n=3, r=2, w=2))
    history = History(cluster)

    def write(client: str, value: str | None) -> None:
        pending = (cluster.submit_put(b"k", value, client=client) if value is not None
                   else cluster.submit_delete(b"k", client=client))
        history.track_write(client, pending)
        cluster.wait(pending)

    def read(client: str) -> None:
        pending = cluster.submit_get(b"k", client=client)
        history.track_get(client, pending)
        cluster.wait(pending)

    write("a", "v1")  # blind
    read("b")
    write("b", "v2")  # over b's read of v1
    assert history.observed("a", b"k") == (b"v1",)  # what a's put answered
    history.forget("a", b"k")
    cluster.client("a").forget(b"k")
    assert history.observed("a", b"k") == ()
    read("a")
    write("a", None)  # a delete over v2
    assert history.writes[:3] == [Write(b"k", b"v1", (), True), Write(b"k", b"v2", (b"v1",), True),
                                  Write(b"k", None, (b"v2",), True, history.writes[2].dot)]
    tomb = history.writes[2].dot
    assert tomb is not None
    read("c")
    assert history.observed("c", b"k") == (tomb,)
    assert history.reads == {b"k": {b"v1", b"v2"}}
    assert history.acked() == 2
