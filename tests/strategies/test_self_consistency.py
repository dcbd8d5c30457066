"""Self-consistency: k samples in one request, a majority vote on normalized answers."""

from __future__ import annotations

import pytest

from engine import ConfigError, ScriptedClient
from strategies import get_strategy


async def test_samples_come_from_one_request_with_n_samples() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 4")
    solution = await get_strategy("self_consistency", samples=5, temperature=0.8).optimize("2+2?", client)
    [call] = client.calls
    assert len(call.prompts) == 1 and call.samplings[0].n == 5
    assert call.samplings[0].temperature == 0.8 and call.tags == ("sampling",)
    assert solution.metadata.engine_requests == 1 and solution.metadata.engine_calls == 1
    assert solution.metadata.usage_by_phase["sampling"].requests == 1


async def test_answer_4_and_bare_4_are_one_vote() -> None:
    client = ScriptedClient(["So it is 4. Answer: 4", "4", "Answer: 5", "**Answer:** 4.0", "5"])
    solution = await get_strategy("self_consistency", samples=5).optimize("2+2?", client)
    assert solution.answer_key == "4"
    assert solution.metadata.details["votes"] == {"4": 3, "5": 2}
    assert solution.confidence == pytest.approx(0.6)
    assert solution.metadata.selection_rule == "majority"


async def test_no_stated_answer_keeps_the_first_text_and_notes_it() -> None:
    client = ScriptedClient(["", "I do not know", "no idea"])
    solution = await get_strategy("self_consistency", samples=3).optimize("x?", client)
    assert solution.reasoning == "I do not know" and solution.confidence == 0.0
    assert solution.metadata.selection_rule == "no-answer"
    assert solution.metadata.fallbacks


def test_config_rejects_greedy_sampling_and_zero_samples() -> None:
    with pytest.raises(ConfigError, match="temperature"):
        get_strategy("self_consistency", temperature=0.0)
    with pytest.raises(ConfigError, match="samples"):
        get_strategy("self_consistency", samples=0)
