"""Phase events for strategies that have no event types of their own.

A strategy wraps each batched step in `progress.phase(name, requests=...)`: `PhaseStarted` is
emitted before it, `PhaseFinished` (with its wall time) after it. Events go through an
`EventSink`, so with no callback they cost nothing. `StrategyEvent` is their discriminated
union, for reading them back from JSON.

Example:
    >>> import asyncio
    >>> events = []
    >>> async def demo():
    ...     async with Progress("moa", events.append).phase("critique", requests=1):
    ...         pass
    >>> asyncio.run(demo())
    >>> [(e.type, e.phase) for e in events]
    [('phase_started', 'critique'), ('phase_finished', 'critique')]
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from strategies.events import EventCallback, EventSink


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str
    phase: str


class PhaseStarted(_Event):
    """A batched step is about to be sent: `requests` engine requests in one call."""

    type: Literal["phase_started"] = "phase_started"
    requests: int


class PhaseFinished(_Event):
    """A batched step's completions are in."""

    type: Literal["phase_finished"] = "phase_finished"
    wall_s: float


StrategyEvent = Annotated[PhaseStarted | PhaseFinished, Field(discriminator="type")]

STRATEGY_EVENT_ADAPTER: TypeAdapter[StrategyEvent] = TypeAdapter(StrategyEvent)
"""Validates or parses a phase event from a dict or JSON."""


class Progress:
    """Emits the phase events of one strategy run."""

    def __init__(self, strategy: str, on_event: EventCallback | None = None) -> None:
        self.strategy = strategy
        self.sink: EventSink[StrategyEvent] = EventSink(on_event)

    @asynccontextmanager
    async def phase(self, name: str, *, requests: int) -> AsyncIterator[None]:
        """`PhaseStarted` before the body, `PhaseFinished` after it (not after an exception)."""
        await self.sink.emit(PhaseStarted(strategy=self.strategy, phase=name, requests=requests))
        start = time.perf_counter()
        yield
        await self.sink.emit(PhaseFinished(strategy=self.strategy, phase=name, wall_s=time.perf_counter() - start))
