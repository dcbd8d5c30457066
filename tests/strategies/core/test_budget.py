"""A per-query token budget: no step may spend past it, and a spent budget answers from what it has."""

from __future__ import annotations

import pytest

from engine import BudgetExhausted, ScriptedClient
from strategies import Mars, MarsConfig, get_strategy
from tests.strategies.mars.mars_script import MarsScript

LONG = " ".join(["word"] * 40) + " Answer: 4"


async def test_a_step_is_cut_to_the_budget_left() -> None:
    client = ScriptedClient(lambda p, s: LONG)  # the scripted model counts one token a word
    solution = await get_strategy("plain", budget_tokens=10).optimize("2+2?", client)
    assert solution.metadata.usage.completion_tokens <= 10 and solution.metadata.budget_tokens == 10
    assert client.calls[0].samplings[0].max_tokens == 10
    assert any(f.startswith("budget: generate cut to max_tokens=10") for f in solution.metadata.fallbacks)


async def test_a_fan_out_shares_the_budget_among_its_samples() -> None:
    client = ScriptedClient(lambda p, s: LONG)
    strategy = get_strategy("self_consistency", samples=4, budget_tokens=20, stop_when_settled=False)
    solution = await strategy.optimize("2+2?", client)
    assert client.calls[0].samplings[0].max_tokens == 5 and solution.metadata.usage.completion_tokens <= 20


async def test_mars_never_spends_past_its_budget_and_answers_from_its_candidates(script: MarsScript) -> None:
    budget = 40
    solution = await Mars(MarsConfig(budget_tokens=budget)).optimize("What is 2 + 2?", script.client())
    meta = solution.metadata
    assert meta.usage.completion_tokens <= budget
    assert meta.selection_rule == "budget" and solution.answer == "4"
    assert any("budget of 40 completion tokens is spent" in f for f in meta.fallbacks)


async def test_a_budget_spent_before_any_candidate_is_an_error() -> None:
    client = ScriptedClient(lambda p, s: LONG)
    with pytest.raises(BudgetExhausted, match="needs at least 8 more"):
        await get_strategy("self_consistency", samples=8, budget_tokens=7, stop_when_settled=False).optimize(
            "2+2?", client
        )
    assert client.calls == []


@pytest.fixture
def script() -> MarsScript:
    return MarsScript()
