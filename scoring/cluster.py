"""Assessment work on a Dask distributed cluster (``jointsim assess --scheduler ...``).

The driver splits the items into batches, submits one task per batch and collects results as
batches complete; only the driver touches the results database. A worker that dies mid-batch
(killed, out of memory) is replaced by its nanny and the scheduler runs the lost batch again,
so every item yields exactly one result (a batch that keeps killing workers, by default 3
times, stops the run with Dask's KilledWorker error). Workers import ``scoring`` and read
logs, scenarios and the output folder by path: on a remote cluster they need jointsim
installed and those paths on a shared filesystem; ``--scheduler local`` starts the workers
on this machine.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from simulator.errors import InputError

MAX_BATCH = 16          # logs per task at most: a lost worker costs at most this much work
TASKS_PER_WORKER = 4    # at least this many batches per worker, to balance uneven logs
CONNECT_TIMEOUT_S = 15  # wait this long for a remote scheduler before giving up


def _run_batch(fn: Callable, batch: list) -> list:
    """What one task does on a worker: ``fn`` over its batch, in order."""
    return [fn(item) for item in batch]


def batches(n_items: int, n_workers: int) -> list[range]:
    """Index ranges covering ``0 .. n_items-1`` once, in order, each at most ``MAX_BATCH``
    long and about ``TASKS_PER_WORKER`` per worker."""
    size = max(1, min(MAX_BATCH, math.ceil(n_items / (TASKS_PER_WORKER * max(1, n_workers)))))
    return [range(i, min(i + size, n_items)) for i in range(0, n_items, size)]


class DaskPool:
    """A connection to a Dask cluster that maps functions over items in batches.

    ``scheduler``: ``"local"`` starts a ``LocalCluster`` of ``n_workers`` single-threaded
    worker processes on this machine (closed with the pool); anything else is the address of
    a running scheduler, e.g. ``tcp://HOST:8786``.
    """

    def __init__(self, scheduler: str, n_workers: int = 2):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("--scheduler needs Dask: install it with pip install "
                             "'jointsim[cluster]'", field="--scheduler") from None
        self.scheduler = scheduler
        self.cluster = None
        if scheduler == "local":
            self.cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None,
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            return
        if "://" not in scheduler:
            raise InputError(f"cannot read scheduler {scheduler!r}; give 'local' or the "
                             "scheduler's address, e.g. tcp://HOST:8786", field="--scheduler")
        try:
            self.client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start "
                             "it with 'dask scheduler' or check the address",
                             field="--scheduler") from None

    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable, items: list, progress: Callable | None = None) -> list:
        """``[fn(item) for item in items]`` on the cluster, in order; ``progress(k)`` is
        called as each batch of ``k`` items completes."""
        from distributed import as_completed

        out = [None] * len(items)
        futures = {}
        for span in batches(len(items), self.n_workers()):
            future = self.client.submit(_run_batch, fn, [items[i] for i in span], pure=False)
            futures[future] = span
        for future in as_completed(futures):
            span = futures[future]
            for i, result in zip(span, future.result(), strict=True):
                out[i] = result
            if progress:
                progress(len(span))
        return out

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __str__(self) -> str:
        return f"Dask cluster at {self.client.scheduler.address} ({self.n_workers()} workers)"
