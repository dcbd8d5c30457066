"""The reward-guided searches (beam_search, dvts, particle_filter) on the real engine, judged by
the model itself: every step is one generation call and one judge call, with the requests each
strategy documents; then the reward-model path: SmolLM2 converted into a yes/no classifier in a
second vLLM engine in pooling mode (`smollm2-135m-verdict`). Budgets are tiny (2 steps, N = 4);
SmolLM2-135M is too weak for accuracy claims, so this checks the machinery, not the answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine import VLLMClient
from strategies import get_strategy
from strategies.core.events import PhaseFinished, PhaseStarted

pytestmark = pytest.mark.engine

QUESTION = "What is 17 + 25?"
STEPS = {"max_steps": 2, "step_tokens": 24, "max_tokens": 64, "seed": 0}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("beam_search", {"beams": 4, "beam_width": 2}),
    ("dvts", {"beams": 4, "beam_width": 2}),
    ("particle_filter", {"particles": 4}),
]


def phases(events: list[Any]) -> list[tuple[str, int]]:
    return [(e.phase, e.requests) for e in events if isinstance(e, PhaseStarted)]


@pytest.mark.parametrize(("strategy", "config"), CASES, ids=[c[0] for c in CASES])
async def test_each_step_is_one_generation_call_and_one_judge_call(
    engine_client: VLLMClient, strategy: str, config: dict[str, Any]
) -> None:
    events: list[Any] = []
    search = get_strategy(strategy, {**STEPS, **config, "scorer": "judge"})
    solution = await search.optimize(QUESTION, engine_client, on_event=events.append)
    meta = solution.metadata
    steps = meta.details["steps"]
    calls = phases(events)
    assert 1 <= len(steps) <= 2 and solution.reasoning.strip()
    assert [phase for phase, _ in calls] == ["step", "scoring"] * len(steps)
    assert meta.engine_calls == 2 * len(steps)
    # the first step: one request (n = 4) from the question, its 4 candidates judged in one call
    assert calls[:2] == [("step", 1), ("scoring", 4)]
    for i in range(1, len(steps)):
        generated, judged = calls[2 * i][1], calls[2 * i + 1][1]
        if strategy == "particle_filter":
            assert generated == steps[i]["requests"] and judged <= 4  # distinct live particles
        else:
            assert generated <= 2 and judged == len(steps[i]["candidates"])  # N/M beams or subtrees
    usage = meta.usage_by_phase
    assert usage["step"].requests == sum(r for p, r in calls if p == "step")
    assert usage["scoring"].requests == sum(r for p, r in calls if p == "scoring")
    assert usage["scoring"].completion_tokens <= 2 * usage["scoring"].requests  # a probe writes <= 2 tokens
    assert 0.0 <= solution.confidence <= 1.0
    if len(steps) == 2:  # the second step's judge prompts extend the first's: the prefix cache serves them
        assert usage["scoring"].cached_tokens > 0


async def test_best_of_n_with_the_judge_is_one_sampling_and_one_probe_call(engine_client: VLLMClient) -> None:
    solution = await get_strategy("best_of_n", samples=3, scorer="judge", max_tokens=48).optimize(
        QUESTION, engine_client
    )
    meta = solution.metadata
    assert meta.engine_calls == 2 and meta.engine_requests == 4 and meta.selection_rule == "best-scored"
    assert meta.usage_by_phase["scoring"].requests == 3


@pytest.fixture
def reward_engines() -> Iterator[None]:
    """Reward engines started by a test are shut down after it."""
    from engine.reward import close_shared_reward_clients

    try:
        yield
    finally:
        close_shared_reward_clients()


async def test_a_reward_model_in_a_second_pooling_engine_scores_the_beams(
    engine_client: VLLMClient, reward_engines: None
) -> None:
    events: list[Any] = []
    search = get_strategy("beam_search", {**STEPS, "beams": 4, "beam_width": 2, "scorer": "smollm2-135m-verdict"})
    solution = await search.optimize(QUESTION, engine_client, on_event=events.append)
    meta = solution.metadata
    steps = meta.details["steps"]
    record = meta.details["reward_model"]
    assert record["model"] == "smollm2-135m-verdict" and record["calls"] == len(steps)
    assert record["usage"]["requests"] == sum(len(s["candidates"]) for s in steps)
    # scoring goes to the reward engine: the generating engine sees the steps only
    assert meta.engine_calls == len(steps) and set(meta.usage_by_phase) == {"step"}
    assert [p for p, _ in phases(events)] == ["step", "scoring"] * len(steps)
    scored = [e for e in events if isinstance(e, PhaseFinished) and e.phase == "scoring"]
    assert all(e.usage.prompt_tokens > 0 for e in scored)
    scores = [c["score"] for s in steps for c in s["candidates"]]
    assert all(0.0 < x < 1.0 for x in scores)  # P(Yes) against P(No): a probability, never exactly 0 or 1
