"""Run events: a step is announced before and closed after, with its usage; events read back from JSON."""

from __future__ import annotations

import pytest

from engine import ClientError, Sampling, ScriptedClient
from strategies.blocks.prompts import solve_prompt
from strategies.core.config import StrategyConfig
from strategies.core.events import EVENT_ADAPTER, PhaseFinished, PhaseStarted, RunStarted
from strategies.core.run import Run


async def test_a_step_emits_started_then_finished_with_its_usage() -> None:
    events: list[object] = []

    async def collect(event: object) -> None:
        events.append(event)

    client = ScriptedClient(lambda p, s: "one two three")
    run = Run.start("q", client, StrategyConfig(), strategy="demo", on_event=collect)
    await run.texts("rating", [solve_prompt("q")] * 3, Sampling())
    started, finished = events
    assert started == PhaseStarted(strategy="demo", phase="rating", requests=3)
    assert isinstance(finished, PhaseFinished) and finished.wall_s >= 0.0
    assert finished.usage.requests == 3 and finished.usage.completion_tokens == 3 * 3


async def test_a_failed_step_emits_no_finished_event() -> None:
    events: list[object] = []

    def dead(prompt: object, sampling: object) -> str:
        raise ClientError("engine died")

    run = Run.start("q", ScriptedClient(dead), StrategyConfig(), on_event=events.append)
    with pytest.raises(ClientError):
        await run.texts("x", [solve_prompt("q")], Sampling())
    assert [type(e) for e in events] == [PhaseStarted] and run.phase == "x"


def test_events_read_back_from_json() -> None:
    for event in (PhaseStarted(strategy="moa", phase="critique", requests=1), RunStarted(strategy="moa")):
        assert EVENT_ADAPTER.validate_json(event.model_dump_json()) == event
