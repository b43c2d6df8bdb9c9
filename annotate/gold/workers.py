"""An ordered map over worker processes, with a bounded number of items in flight.

The gold pass is CPU work per document (parsing, clustering, voting,
matching) and its figures need the documents in order, so batches of
documents go out to worker processes and come back in the order they were
sent. At most ``2 * workers`` items are in flight, so memory does not grow with
the corpus (`Pool.imap` would read the whole input ahead). With one worker the
gold pass does not come here: it judges in its own process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

#: Allocations between a worker's young-generation collections (the default is 700).
WORKER_GC_THRESHOLD = 10_000

In = TypeVar("In")
Out = TypeVar("Out")


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ordered_map(func: Callable[[In], Out], items: Iterable[In], *, workers: int) -> Iterator[Out]:
    """``map(func, items)`` across `workers` (two or more) processes, in order, reading
    ahead boundedly."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    source = iter(items)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_gc
    ) as pool:
        pending: deque[Future[Out]] = deque()
        while True:
            while len(pending) < 2 * workers and (item := next(source, _END)) is not _END:
                pending.append(pool.submit(func, item))  # type: ignore[arg-type]
            if not pending:
                return
            yield pending.popleft().result()


_END = object()


def _worker_gc() -> None:
    """Garbage collection for a worker: leave what it inherited out, and collect seldom.

    A worker makes and drops a document's regions by the hundred thousand; with
    the default settings each full collection walks every object it inherited
    (the modules, the parent's objects) and young collections run every few
    hundred allocations. Frozen inherited objects and a larger first generation
    take about a fifth off its time per document (those objects' pages also stay
    shared with the parent instead of being copied). What a document makes is
    freed by reference counting as soon as it is judged, so memory stays flat.
    """
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])
