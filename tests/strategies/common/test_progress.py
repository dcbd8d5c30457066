"""Phase events: started before a step, finished after it, readable back from JSON."""

from __future__ import annotations

import pytest

from strategies.common.progress import STRATEGY_EVENT_ADAPTER, PhaseFinished, PhaseStarted, Progress


async def test_a_phase_emits_started_then_finished() -> None:
    events: list[object] = []

    async def collect(event: object) -> None:
        events.append(event)

    async with Progress("demo", collect).phase("rating", requests=3):
        assert events == [PhaseStarted(strategy="demo", phase="rating", requests=3)]
    assert isinstance(events[1], PhaseFinished) and events[1].wall_s >= 0.0


async def test_a_failed_phase_emits_no_finished_event() -> None:
    events: list[object] = []
    with pytest.raises(RuntimeError):
        async with Progress("demo", events.append).phase("x", requests=1):
            raise RuntimeError("engine died")
    assert [type(e) for e in events] == [PhaseStarted]


def test_events_read_back_from_json() -> None:
    event = PhaseStarted(strategy="moa", phase="critique", requests=1)
    assert STRATEGY_EVENT_ADAPTER.validate_json(event.model_dump_json()) == event
