"""Diverse sampling: one request per temperature in one call, then a consensus vote."""

from __future__ import annotations

import pytest

from engine import ConfigError, ScriptedClient
from strategies import get_strategy


async def test_the_configured_temperatures_go_out_in_one_call() -> None:
    client = ScriptedClient(lambda p, s: f"Answer: {4 if s.temperature < 1 else 5}")
    solution = await get_strategy("diverse_sampling").optimize("2+2?", client)
    [call] = client.calls
    assert [s.temperature for s in call.samplings] == [0.3, 0.6, 0.9, 1.2, 1.5]
    assert all(s.n == 1 for s in call.samplings) and len(set(call.prompts)) == 1
    assert solution.answer_key == "4" and solution.confidence == pytest.approx(0.6)
    assert solution.metadata.details["temperatures"] == [0.3, 0.6, 0.9, 1.2, 1.5]
    assert solution.metadata.engine_requests == 5


async def test_a_custom_range_is_evenly_spaced() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 1")
    await get_strategy("diverse_sampling", samples=3, low=0.0, high=1.0).optimize("x", client)
    assert [s.temperature for s in client.calls[0].samplings] == [0.0, 0.5, 1.0]


def test_config_rejects_an_inverted_range() -> None:
    with pytest.raises(ConfigError, match="swap"):
        get_strategy("diverse_sampling", low=1.2, high=0.4)
