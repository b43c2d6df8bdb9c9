"""Many async calls from synchronous code: concurrent, bounded, answered in order.

A caller that consumes answers one by one (a pipeline writing each verdict as
it comes) gets them from `ordered_results`: the calls run on a private event
loop in a background thread, at most `concurrency` at once, and at most
``2 * concurrency`` are started ahead of the answer the caller waits for, so
memory stays flat however many items there are. The loop keeps working while
the caller handles an answer, and works the same whether or not the caller
runs an event loop of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_results(
    call: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    concurrency: int,
    finish: Callable[[], Awaitable[None]] | None = None,
) -> Iterator[R]:
    """``await call(item)`` for each item, yielded in the items' order.

    An exception from a call is raised at its place in the order; the calls
    still running are then cancelled. `finish` (closing connections) runs on
    the same loop once the calls are done or cancelled, however the caller
    stops: exhausted, an exception, or the generator closed early.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="llm-calls", daemon=True)
    thread.start()
    try:
        yield from _in_order(loop, call, items, concurrency)
    finally:
        asyncio.run_coroutine_threadsafe(_wind_down(finish), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def _in_order(
    loop: asyncio.AbstractEventLoop,
    call: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    concurrency: int,
) -> Iterator[R]:
    slots = asyncio.Semaphore(concurrency)

    async def limited(item: T) -> R:
        async with slots:
            return await call(item)

    window: deque[Future[R]] = deque()
    for item in items:
        window.append(asyncio.run_coroutine_threadsafe(limited(item), loop))
        if len(window) >= 2 * concurrency:
            yield window.popleft().result()
    while window:
        yield window.popleft().result()


async def _wind_down(finish: Callable[[], Awaitable[None]] | None) -> None:
    """Cancel the calls still running, wait for them to unwind, then `finish`."""
    current = asyncio.current_task()
    running = [task for task in asyncio.all_tasks() if task is not current]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    if finish is not None:
        await finish()
