"""An ordered map over worker processes, with a bounded number of items in flight.

The gold pass is CPU work per document (parsing, clustering, voting,
matching) and its figures need the documents in order, so documents go out in
batches to worker processes and come back in the order they were sent.
Reading the store and summing results stay in this process. At most
``2 * workers`` batches are in flight, so memory does not grow with the corpus
(`Pool.imap` would read the whole input ahead). One worker means no process at
all: the function runs here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ordered_map(
    func: Callable[[In], Out], items: Iterable[In], *, workers: int, batch: int = 16
) -> Iterator[Out]:
    """``map(func, items)`` across `workers` processes, in order, reading ahead boundedly."""
    if workers <= 1:
        yield from map(func, items)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    source = iter(items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[Out]]] = deque()
        while True:
            while len(pending) < 2 * workers and (chunk := list(islice(source, batch))):
                pending.append(pool.submit(_apply, func, chunk))
            if not pending:
                return
            yield from pending.popleft().result()


def _apply(func: Callable[[In], Out], chunk: list[In]) -> list[Out]:
    return [func(item) for item in chunk]

