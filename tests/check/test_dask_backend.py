"""The Dask backend (dynviz.scale) runs a campaign to exactly the local report, keeps
the order of its inputs, and turns an address nobody answers at into one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dynviz import scale
from dynviz.check.campaign import run_campaign
from dynviz.check.run import CheckConfig
from dynviz.cli import main
from dynviz.scale import BackendError, DaskBackend, LocalBackend, open_backend, parse_dask_address

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One two-worker cluster for the module (starting one costs about a second)."""
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                  ) as cluster:
        yield cluster.scheduler_address


def _negate(value: int) -> int:
    return -value


def test_a_campaign_on_dask_reports_exactly_what_the_local_pool_does(scheduler: str) -> None:
    base = CheckConfig(seed=1, ops=40)  # every fault
    seen: list[int] = []
    with DaskBackend(scheduler) as backend:
        assert backend.workers == 2 and backend.describe() == f"Dask at {scheduler} (2 workers)"
        remote = run_campaign(range(1, 7), base, lambda seed, report: seen.append(seed), backend=backend)
    local = run_campaign(range(1, 7), base, jobs=2)
    assert remote.reports == local.reports
    assert remote.as_json() == local.as_json()
    assert seen == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("chunksize", [None, 1, 3, 100])
def test_map_yields_results_in_the_order_of_the_items(scheduler: str, chunksize: int | None) -> None:
    items = list(range(37))
    with DaskBackend(scheduler) as backend:
        assert list(backend.map(_negate, items, chunksize=chunksize)) == [-i for i in items]
        assert list(backend.map(_negate, [])) == []
        left = backend.map(_negate, items, chunksize=1)
        assert next(left) == 0
        left.close()  # left early: its batches are cancelled, none stays on the cluster
        assert backend._maps == []
    with LocalBackend(2) as local:
        assert list(local.map(_negate, items, chunksize=chunksize)) == [-i for i in items]
        assert local.describe() == "2 local processes"
    assert LocalBackend(1).describe() == "this process"


def test_a_local_dask_cluster_is_started_and_shut_down() -> None:
    with open_backend(3, "local:1") as backend:  # :1 wins over jobs
        assert isinstance(backend, DaskBackend) and backend.workers == 1
        assert backend.describe() == "a local Dask cluster (1 worker)"
        assert list(backend.map(_negate, range(5))) == [0, -1, -2, -3, -4]
        cluster = backend._cluster
    assert cluster.status.name == "closed"
    assert isinstance(open_backend(2, None), LocalBackend)


@pytest.mark.parametrize("text", ["foo", "tcp://", "tcp://host", "tcp://host:0", "local:", "local:0", "local:x"])
def test_bad_addresses_are_refused_before_anything_starts(text: str) -> None:
    with pytest.raises(BackendError, match="bad Dask address"):
        parse_dask_address(text)
    assert parse_dask_address("local:4") == ("local", 4)
    assert parse_dask_address("tcp://10.0.0.1:8786") == ("tcp://10.0.0.1:8786", None)


def test_no_scheduler_at_the_address_is_one_line_and_status_2(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(scale, "CONNECT_TIMEOUT", 1.0)  # nothing listens on port 1: no need to wait 10 s
    for json_mode in ([], ["--json"]):
        assert main(["check", "--seeds", "2", "--ops", "10", "--dask", "tcp://127.0.0.1:1", *json_mode]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err == "dynviz: error: no Dask scheduler answered at tcp://127.0.0.1:1 within 1 s; " \
                      "start one with 'dask scheduler'\n"
    assert main(["check", "--dask", "udp://x:1"]) == 2
    assert capsys.readouterr().err.startswith("dynviz: error: bad Dask address 'udp://x:1'")


def test_without_dask_installed_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # an import of it now fails
    with pytest.raises(BackendError, match=r"pip install 'dynviz\[dask\]'"):
        DaskBackend("local:1")


def test_a_scheduler_without_workers_is_one_line_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scale, "CONNECT_TIMEOUT", 1.0)
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as empty:
        address = empty.scheduler_address
        with pytest.raises(BackendError, match=f"the Dask scheduler at {address} has no workers after 1 s; "
                                               f"start some with 'dask worker {address}'"):
            DaskBackend(address)
