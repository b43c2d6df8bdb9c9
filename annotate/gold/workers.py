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
                pending.append(pool.submit(_collected, func, item))  # type: ignore[arg-type]
            if not pending:
                return
            yield pending.popleft().result()


_END = object()


def _worker_gc() -> None:
    """Garbage collection for a worker: leave what it inherited out, and pause the collector.

    A worker makes and drops a document's regions by the hundred thousand, and
    the automatic collector (even collecting its young generation seldom) took
    a tenth of its time walking them. What a document makes is freed by
    reference counting as soon as it is judged: a pass leaves almost no cycles
    (about one object in ten documents), so `_collected` collects them after
    each item instead, and memory stays flat. Frozen inherited objects (the
    modules, the parent's objects) are never walked, and their pages stay
    shared with the parent instead of being copied.
    """
    gc.freeze()
    gc.disable()


def _collected(func: Callable[[In], Out], item: In) -> Out:
    """``func(item)`` in a worker, then the cycles it left collected (see `_worker_gc`)."""
    try:
        return func(item)
    finally:
        gc.collect()


