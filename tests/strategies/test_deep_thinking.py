"""Thinking-budget control on a scripted model: continue, force-close, answer."""

from __future__ import annotations

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient, ScriptedReply
from strategies import get_strategy
from strategies.deep_thinking import DeepThinking, DeepThinkingConfig


def thinker(rounds: list[str], answer: str = "Answer: 4") -> ScriptedClient:
    """Thinking replies in order (ending at the stop marker), then the answer."""
    queue = iter(rounds)

    def respond(prompt: Prompt, sampling: Sampling) -> ScriptedReply:
        if "</think>" in sampling.stop:
            return ScriptedReply(next(queue))
        return ScriptedReply(answer)

    return ScriptedClient(respond)


def tags(client: ScriptedClient) -> list[tuple[str | None, ...]]:
    return [call.tags for call in client.calls]


async def test_thinking_that_ends_too_early_is_continued_with_the_cue():
    client = thinker(["a b", "c d e f"])
    config = DeepThinkingConfig(min_thinking_tokens=5, max_thinking_tokens=20, max_tokens=8)
    solution = await DeepThinking(config).optimize("2+2?", client)
    first, second, third = client.calls
    assert first.prompts[0].assistant_prefix == "<think>\n"
    assert first.samplings[0].stop == ("</think>",) and first.samplings[0].max_tokens == 20
    assert second.prompts[0].assistant_prefix == "<think>\na b\nWait,"
    assert second.samplings[0].max_tokens == 18  # the budget left
    assert third.prompts[0].assistant_prefix == "<think>\na b\nWait,c d e f\n</think>\n"
    assert tags(client) == [("think",), ("continue",), ("answer",)]
    details = solution.metadata.details
    assert details["thinking_tokens"] == 6
    assert details["continuations"] == 1 and details["forced_closes"] == 0
    assert solution.answer_key == "4" and solution.reasoning.endswith("</think>\nAnswer: 4")


async def test_thinking_over_budget_is_closed_by_force_then_answered():
    client = thinker(["one two three four five six seven"])
    config = DeepThinkingConfig(min_thinking_tokens=2, max_thinking_tokens=4, max_tokens=8)
    solution = await DeepThinking(config).optimize("2+2?", client)
    think, answer = client.calls
    assert answer.prompts[0].assistant_prefix == "<think>\none two three four\n</think>\n"
    details = solution.metadata.details
    assert details["forced_closes"] == 1 and details["thinking_tokens"] == 4
    assert solution.metadata.usage_by_phase["answer"].requests == 1


async def test_continuations_stop_at_their_limit():
    client = thinker(["a", "b", "c"])
    config = DeepThinkingConfig(min_thinking_tokens=50, max_thinking_tokens=100, max_continuations=2, max_tokens=8)
    solution = await DeepThinking(config).optimize("2+2?", client)
    assert tags(client) == [("think",), ("continue",), ("continue",), ("answer",)]
    assert solution.metadata.details["continuations"] == 2


async def test_samples_advance_together_in_one_call_per_round():
    client = thinker(["a b c", "d e f", "g h i", "j k l"])
    config = DeepThinkingConfig(
        samples=2,
        temperature=0.7,
        seed=3,
        min_thinking_tokens=4,
        max_thinking_tokens=50,
        max_tokens=8,
    )
    solution = await DeepThinking(config).optimize("2+2?", client)
    assert [len(call.prompts) for call in client.calls] == [2, 2, 2]
    assert [s.seed for s in client.calls[0].samplings] == [3, 4]
    assert solution.metadata.selection_rule == "majority"
    assert solution.metadata.engine_calls == 3


def test_budgets_are_validated():
    with pytest.raises(ConfigError, match="min_thinking_tokens"):
        get_strategy("deep_thinking", min_thinking_tokens=100, max_thinking_tokens=10)
