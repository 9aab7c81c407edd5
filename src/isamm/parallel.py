"""Running independent pieces of work (replicate batches, chunks of patients) on Dask.

isamm has no scheduler of its own: with a ``dask.distributed.Client`` the pieces become Dask
tasks, without one they run here in order. A piece must be a pure function of its arguments
(seeds are per patient or per replicate, never per worker), so the results are the same numbers
whichever runs them; :func:`map_ordered` returns them in submission order.

``client_for("local")`` starts a :class:`distributed.LocalCluster` on this machine (one
single-threaded worker process per core, bound to 127.0.0.1, no dashboard); ``client_for("tcp://host:8786")``
connects to a running scheduler (README, "Running on a cluster": dask-jobqueue or Kubernetes).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Iterable, Iterator

from isamm.errors import InputError

__all__ = ["client_for", "map_ordered", "imap_ordered"]


@contextlib.contextmanager
def client_for(address: str | None, *, n_workers: int | None = None) -> Iterator[Any]:
    """A Dask client for ``address`` (``None``: no client; ``"local"``: a LocalCluster here), closed on exit."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # a regular dependency; only a broken install gets here
        raise InputError("Dask is not installed", option="dask", expected="pip install 'dask[distributed]'") from None
    if address == "local":
        import dask

        workers = n_workers or max(1, min(os.cpu_count() or 1, 8))
        # Dask gives its workers MALLOC_TRIM_THRESHOLD_=65536, so glibc hands every large temporary back
        # to the OS and faults it in again: a calibration evaluation (arrays of 10-60 MB) took 4.7 s
        # instead of 2.7 s on one core (page faults 46k -> 407k). Local workers keep glibc's default; the price
        # is memory kept for reuse: the pk exposure benchmark's workers peak at ~900 instead of ~590 MB
        # (20,000 patients; same time), benchmarks/README.md "Calibration".
        env = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
        # One thread in each worker's XLA pools: a worker has one core's worth of tasks, and XLA's CPU
        # runtime spreads the JAX kernel's small operations over its pool (one thread per core by default),
        # which doubled the CPU per step and made two workers slower than one process (benchmarks/README.md,
        # "Why not 20,000 patient-years/s"). XLA reads PJRT_NPROC when a process creates its CPU client.
        env.setdefault("PJRT_NPROC", "1")
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
        with cluster, Client(cluster) as client:
            yield client
        return
    if not address.startswith(("tcp://", "tls://", "ws://", "wss://")):
        raise InputError("invalid Dask scheduler address", option="dask",
                         expected="'local' or a scheduler address such as tcp://host:8786", got=address)
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler ({exc})", option="dask", got=address) from None
    try:
        yield client
    finally:
        client.close()


def map_ordered(fn: Callable[..., Any], items: Iterable[Any], *, client: Any = None,
                done: Callable[[Any], None] | None = None) -> list[Any]:
    """``[fn(item) for item in items]``, as Dask tasks when ``client`` is given; ``done(result)`` after each.

    Results come back in the order of ``items``; ``done`` is called in completion order (a progress bar).
    A task's exception is raised here, as it would be without Dask.
    """
    return list(imap_ordered(fn, items, client=client, done=done))


def imap_ordered(fn: Callable[..., Any], items: Iterable[Any], *, client: Any = None,
                 done: Callable[[Any], None] | None = None) -> Iterator[Any]:
    """:func:`map_ordered` as a generator: each result is yielded as soon as it and all before it are done.

    Without a client the items are consumed lazily, one at a time (a stream of chunks never holds more
    than one). With a client every item is submitted at once and results that finish early wait here
    until their turn (they are small: a chunk's summary rows).
    """
    if client is None:
        for item in items:
            result = fn(item)
            if done is not None:
                done(result)
            yield result
        return
    from distributed import as_completed

    futures = client.map(fn, list(items), pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    waiting: dict[int, Any] = {}
    next_i = 0
    try:
        for future in as_completed(futures):
            i = index[future.key]
            waiting[i] = future.result()
            futures[i] = None  # the last reference here: the worker frees the result
            if done is not None:
                done(waiting[i])
            while next_i in waiting:
                yield waiting.pop(next_i)
                next_i += 1
    finally:  # an error or an abandoned stream: no orphan tasks on the cluster
        client.cancel([f for f in futures if f is not None])
