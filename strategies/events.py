"""Progress events: delivered to an optional async (or plain) callback, or read as an async iterator.

Nothing is ever put on a bounded channel: a run never waits for a reader, so a strategy whose
events nobody reads runs exactly as fast as one whose events are read.

Example:
    >>> events = []
    >>> sink = EventSink(events.append)
    >>> import asyncio; asyncio.run(sink.emit("started"))
    >>> events
    ['started']
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

E = TypeVar("E")
EventCallback = Callable[[Any], Awaitable[None] | None]


class EventSink(Generic[E]):
    """Calls `callback` with each event; a None callback makes `emit` free."""

    def __init__(self, callback: EventCallback | None = None) -> None:
        self._callback = callback

    async def emit(self, event: E) -> None:
        if self._callback is None:
            return
        result = self._callback(event)
        if inspect.isawaitable(result):
            await result


_DONE = object()


async def iterate_events(
    run: Callable[[EventCallback], Coroutine[Any, Any, Any]],
) -> AsyncIterator[Any]:
    """Run `run(callback)` in a task and yield its events as they come; then its result.

    The last item yielded is the run's return value (a `Solution` for an optimizer). An
    exception in the run is raised here after the events before it were yielded; closing the
    iterator early cancels the run.

    >>> async def demo(on_event):                         # doctest: +SKIP
    ...     async for item in iterate_events(lambda cb: mars.optimize(q, client, on_event=cb)):
    ...         print(item)
    """
    queue: asyncio.Queue[Any] = asyncio.Queue()  # unbounded: the run never blocks on it

    async def body() -> Any:
        try:
            return await run(queue.put_nowait)
        finally:
            queue.put_nowait(_DONE)

    task = asyncio.ensure_future(body())
    try:
        while (item := await queue.get()) is not _DONE:
            yield item
        yield task.result()
    finally:
        if not task.done():
            task.cancel()
