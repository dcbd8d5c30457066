"""The events of a strategy run, and how they reach a reader.

Every strategy speaks one vocabulary: `RunStarted`, then for each batched step a
`PhaseStarted`/`PhaseFinished` pair (with its requests and usage), `CandidateProduced` for each
candidate written and `CandidateVerified` for each judged, and `RunFinished` (or `Error`).
The run's generation primitive emits the phase and candidate events, so a strategy emits only
what is its own; strategy-specific events (MARS's improvement iterations, for instance)
subclass `Event`. Every event carries the strategy's name and a `type` literal, so a JSON line
written by `event.model_dump_json()` reads back with `EVENT_ADAPTER.validate_json(line)`.

Events go to an optional callback through an `EventSink`, or come out of `iterate_events` as
an async iterator. Nothing is ever put on a bounded channel: a run never waits for a reader,
so a run whose events nobody reads runs exactly as fast as one whose events are read.

Example:
    >>> import asyncio
    >>> events = []
    >>> asyncio.run(EventSink(events.append, strategy="moa").emit(PhaseStarted(phase="critique", requests=1)))
    >>> events[0].strategy, events[0].type
    ('moa', 'phase_started')
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from engine import Usage

EventCallback = Callable[[Any], Awaitable[None] | None]
"""Receives each event of a run: a plain function or a coroutine function."""


class Event(BaseModel):
    """Base of every event: frozen, and stamped with the strategy that emitted it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field("", description="Registry name of the strategy (set by the run's sink).")


class RunStarted(Event):
    """A run began."""

    type: Literal["run_started"] = "run_started"


class PhaseStarted(Event):
    """A batched step is about to be sent: `requests` engine requests in one call."""

    type: Literal["phase_started"] = "phase_started"
    phase: str
    requests: int


class PhaseFinished(Event):
    """A batched step's completions are in: what it cost and how long it took."""

    type: Literal["phase_finished"] = "phase_finished"
    phase: str
    requests: int
    wall_s: float
    usage: Usage = Field(default_factory=Usage, description="Engine usage of this step alone.")


class CandidateProduced(Event):
    """A new candidate solution (a sample, an aggregate, a revision)."""

    type: Literal["candidate_produced"] = "candidate_produced"
    solution_id: str
    agent_id: str
    phase: str


class CandidateVerified(Event):
    """A candidate was judged: verified or not, with a score in [0, 1]."""

    type: Literal["candidate_verified"] = "candidate_verified"
    solution_id: str
    is_verified: bool
    score: float


class RunFinished(Event):
    """The run chose its answer."""

    type: Literal["run_finished"] = "run_finished"
    solution_id: str
    answer: str
    selection_rule: str


class Error(Event):
    """The run failed in `phase`; the exception is raised right after this event."""

    type: Literal["error"] = "error"
    phase: str
    message: str


SHARED_EVENTS = RunStarted | PhaseStarted | PhaseFinished | CandidateProduced | CandidateVerified | RunFinished | Error
"""The event types every run emits; a strategy's own union adds its types to these."""

RunEvent = Annotated[SHARED_EVENTS, Field(discriminator="type")]
"""Any event of the shared vocabulary."""

EVENT_ADAPTER: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)
"""Validates or parses an event of the shared vocabulary from a dict or JSON."""


class EventSink:
    """Calls `callback` with each event, stamped with `strategy`; a None callback makes `emit` free."""

    def __init__(self, callback: EventCallback | None = None, *, strategy: str = "") -> None:
        self._callback = callback
        self.strategy = strategy

    @property
    def callback(self) -> EventCallback | None:
        """Where the events go (a nested run passes it on to its inner strategy)."""
        return self._callback

    @property
    def active(self) -> bool:
        """Whether anyone listens (build costly events only then)."""
        return self._callback is not None

    async def emit(self, event: Event) -> None:
        if self._callback is None:
            return
        if self.strategy and not event.strategy:
            event = event.model_copy(update={"strategy": self.strategy})
        result = self._callback(event)
        if inspect.isawaitable(result):
            await result


_DONE = object()


async def iterate_events(
    run: Callable[[EventCallback], Coroutine[Any, Any, Any]],
) -> AsyncIterator[Any]:
    """Run `run(callback)` in a task and yield its events as they come; then its result.

    The last item yielded is the run's return value (a `Solution` for a strategy). An
    exception in the run is raised here after the events before it were yielded; closing the
    iterator early cancels the run.

    >>> async def demo():
    ...     async def work(on_event):
    ...         on_event(RunStarted(strategy="demo"))
    ...         return "done"
    ...     return [item async for item in iterate_events(work)]
    >>> [getattr(i, "type", i) for i in asyncio.run(demo())]
    ['run_started', 'done']
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
