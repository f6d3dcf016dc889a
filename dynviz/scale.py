"""Running many independent tasks somewhere: in this process, a local process pool, or a
Dask distributed cluster.

A check campaign (many seeds) and an exploration (many states to expand) are both a
list of picklable inputs and one picklable, module-level function to apply to each. A
:class:`Backend` runs them and yields the results *in the order of the inputs*, so a
report is the same whatever ran it. The local process pool is the default; Dask is an
optional extra (``pip install 'dynviz[dask]'``), imported only when chosen, so that
scaling beyond one machine goes through an existing engine (DESIGN.md section 8).

Errors a user can cause (a bad address, a scheduler that does not answer, Dask not
installed) are :class:`BackendError`, a ``ValueError``: the command line shows its one
line and exits with status 2.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from dynviz.interrupts import holding_interrupts
from dynviz.wording import plural

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer, and for it to have a worker."""

DASK_HINT = "pip install 'dynviz[dask]'"


class BackendError(ValueError):
    """A backend could not be opened; the message says what to change."""


class Backend(Protocol):
    """Somewhere to run many independent tasks, as a context manager that closes it.

    ``fn`` must be picklable (a module-level function) and so must each item and result:
    they may cross to other processes or machines."""

    @property
    def workers(self) -> int:
        """How many tasks run at once (for sizing batches); 1 when nothing runs in parallel."""
        ...

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, chunksize: int | None = None) -> Iterator[R]:
        """``fn(item)`` for every item, yielded in the order of ``items`` as each is ready.

        ``chunksize`` items go to a worker at a time (default: about eight batches per
        worker, at most 16 items each), so per-task overhead is shared. An exception in
        ``fn`` is raised here, at that item's turn. Items whose results are never read
        may still be run, at the latest until :meth:`close`."""
        ...

    def describe(self) -> str:
        """Where the tasks run, for progress lines: ``4 local processes``, ``Dask at ...``."""
        ...

    def close(self) -> None:
        """Stop every worker this backend started; tasks still running are abandoned."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None: ...


def default_chunksize(count: int, workers: int) -> int:
    """About eight batches per worker, at most 16 items each: few enough round trips,
    small enough batches that the last ones do not leave workers idle."""
    return max(1, min(16, count // (max(1, workers) * 8)))


class _Closing:
    """The context manager half of a backend: ``with`` closes it, however the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class LocalBackend(_Closing):
    """``jobs`` worker processes on this machine (a ``multiprocessing`` pool), or, with
    ``jobs`` = 1, this process alone and no pool at all.

    The pool starts at the first :meth:`map` with more than one item and serves every
    later one, so an explorer mapping layer after layer pays for it once."""

    def __init__(self, jobs: int = 1) -> None:
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise BackendError(f"jobs must be a whole number of worker processes, at least 1; got {jobs!r}")
        self.jobs = jobs
        self._pool: Pool | None = None

    @property
    def workers(self) -> int:
        return self.jobs

    def describe(self) -> str:
        return "this process" if self.jobs == 1 else plural(self.jobs, "local process", "local processes")

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, chunksize: int | None = None) -> Iterator[R]:
        work = list(items)
        if self.jobs == 1 or len(work) <= 1:
            return (fn(item) for item in work)
        pool = self._start()
        return pool.imap(fn, work, chunksize=chunksize or default_chunksize(len(work), self.jobs))

    def _start(self) -> Pool:
        if self._pool is not None:
            return self._pool
        import multiprocessing
        import signal

        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        # A Pool, not a ProcessPoolExecutor: closing it for any reason (Ctrl+C included)
        # terminates the workers instead of waiting for their chunks. Workers ignore
        # SIGINT (Ctrl+C reaches the whole process group): only this process reacts, so
        # the stop is one line, not a traceback per worker, and no worker dies holding
        # the task queue's lock (which would hang the pool's terminate). While the pool
        # starts, a Ctrl+C is only noted (a forked worker inherits that handler until it
        # ignores SIGINT), then acted on once the pool can be terminated.
        caught: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
        try:
            self._pool = context.Pool(self.jobs, initializer=_ignore_interrupts)
        finally:
            signal.signal(signal.SIGINT, previous)
        if caught:
            self.close()
            raise KeyboardInterrupt
        return self._pool

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()  # what leaving a Pool's with-block does: the workers stop now


def _ignore_interrupts() -> None:
    """A pool worker's first act: leave Ctrl+C to the parent (see ``LocalBackend._start``)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_batch(fn: Callable[[T], R], batch: Sequence[T]) -> list[R]:
    """One Dask task: a batch of items, so the scheduler's per-task cost is shared."""
    return [fn(item) for item in batch]


def parse_dask_address(text: str) -> tuple[str, int | None]:
    """``--dask``'s value as ``("local", N or None)`` or ``("tcp://HOST:PORT", None)``."""
    text = text.strip()
    forms = "expected tcp://HOST:PORT of a running scheduler, or local[:N] to start one here"
    if text == "local":
        return "local", None
    if text.startswith("local:"):
        count = text[len("local:"):]
        if not count.isdigit() or int(count) < 1:
            raise BackendError(f"bad Dask address {text!r}: N in local:N must be a whole number of workers, "
                               f"at least 1")
        return "local", int(count)
    if text.startswith("tcp://"):
        host, colon, port = text[len("tcp://"):].rpartition(":")
        if colon and host and port.isdigit() and 0 < int(port) < 65536:
            return text, None
        raise BackendError(f"bad Dask address {text!r}: {forms}")
    raise BackendError(f"bad Dask address {text!r}: {forms}")


class DaskBackend(_Closing):
    """The tasks on a Dask distributed cluster: ``tcp://HOST:PORT`` connects to a running
    scheduler (whose workers must be able to import dynviz); ``local`` or ``local:N``
    starts a cluster of N worker processes here (default ``workers``, else one per core)
    and shuts it down on :meth:`close`.

    Items go in batches (one Dask task each) and results come back in the order of the
    items: the same report as the local pool, whichever worker ran what."""

    def __init__(self, address: str, *, workers: int | None = None) -> None:
        where, count = parse_dask_address(address)
        try:
            import distributed
        except ImportError:
            raise BackendError(f"--dask needs Dask distributed, which is not installed: {DASK_HINT}") from None
        self.address = where
        self._cluster: Any = None
        self._client: Any = None
        self._maps: list[list[Any]] = []  # each map's futures still on the cluster
        try:
            if where == "local":
                count = count or workers or os.cpu_count() or 1
                # As with the local pool, the workers ignore SIGINT (a Ctrl+C at the
                # terminal reaches the whole process group): only this process reacts, so
                # the stop is one line, not a traceback per worker. Dask runs the function
                # on each worker's main thread, where a signal handler can be set. While
                # the cluster starts, a Ctrl+C is held, then acted on once it can be shut
                # down.
                # (distributed's constructors are not annotated: the type: ignores.)
                with holding_interrupts():
                    self._cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
                        n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                        # Errors only: a Ctrl+C cancels running tasks, and each worker
                        # would log a warning for each.
                        silence_logs=logging.ERROR,
                        # No dashboard, and its HTTP server (health checks) on any free
                        # port of loopback: not 8787, which another cluster may hold.
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                    self._client = distributed.Client(  # type: ignore[no-untyped-call]
                        self._cluster, timeout=CONNECT_TIMEOUT)
                    self._client.run(_ignore_interrupts)
            else:
                try:
                    self._client = distributed.Client(  # type: ignore[no-untyped-call] # not annotated
                        where, timeout=CONNECT_TIMEOUT)
                except (OSError, TimeoutError):
                    raise BackendError(f"no Dask scheduler answered at {where} within {CONNECT_TIMEOUT:g} s; "
                                       f"start one with 'dask scheduler'") from None
                try:
                    self._client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
                except (OSError, TimeoutError):
                    raise BackendError(f"the Dask scheduler at {where} has no workers after {CONNECT_TIMEOUT:g} s; "
                                       f"start some with 'dask worker {where}'") from None
        except BaseException:
            self.close()
            raise

    @property
    def workers(self) -> int:
        return max(1, sum(self._client.nthreads().values())) if self._client is not None else 1

    def describe(self) -> str:
        where = "a local Dask cluster" if self.address == "local" else f"Dask at {self.address}"
        return f"{where} ({plural(self.workers, 'worker')})"

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, chunksize: int | None = None) -> Iterator[R]:
        if self._client is None:
            raise BackendError("this Dask backend is closed")
        work = list(items)
        size = chunksize or default_chunksize(len(work), self.workers)
        batches = [work[start:start + size] for start in range(0, len(work), size)]
        in_flight: list[Any] = []  # this map's futures, oldest first
        self._maps.append(in_flight)
        return self._results(fn, batches, in_flight)

    def _results(self, fn: Callable[[T], R], batches: list[list[T]], in_flight: list[Any]) -> Iterator[R]:
        # A sliding window of batches on the cluster, about eight per worker: the
        # scheduler holds a few hundred tasks, not a whole campaign's (with 100,000 seeds
        # it took a minute to answer the first), and a Ctrl+C has little to cancel.
        # Results are yielded in order, each batch as soon as it and every earlier one
        # are done; the later ones run meanwhile.
        client = self._client
        window = 8 * self.workers
        sent = 0
        try:
            while sent < len(batches) or in_flight:
                if sent < len(batches) and len(in_flight) < window:
                    more = batches[sent:sent + window - len(in_flight)]
                    # pure=False: a batch sent again (by another map) runs again, never
                    # answered from the result of an earlier call.
                    in_flight.extend(client.map(_run_batch, [fn] * len(more), more, pure=False))
                    sent += len(more)
                batch = in_flight[0].result()
                del in_flight[0]  # released on the scheduler once read
                yield from batch
        finally:  # done, raised, or left early: nothing of this map stays on the cluster
            self._maps = [futures for futures in self._maps if futures is not in_flight]
            if in_flight and self._client is not None:
                self._client.cancel(in_flight)

    def close(self) -> None:
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        pending = [future for futures in self._maps for future in futures]
        self._maps = []
        # Closing cancels what still runs (after a Ctrl+C, say), which Dask logs, with
        # tracebacks, as it tears down: the logs are quiet while it does.
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            if client is not None:
                if pending:
                    client.cancel(pending)
                client.close()
            if cluster is not None:
                cluster.close()
        finally:
            quiet.setLevel(level)


def open_backend(jobs: int, dask: str | None = None) -> Backend:
    """The backend the command line asked for: a Dask cluster when ``dask`` names one
    (``local`` without ``:N`` starts ``jobs`` workers), else ``jobs`` local processes."""
    if dask is None:
        return LocalBackend(jobs)
    return DaskBackend(dask, workers=jobs)
