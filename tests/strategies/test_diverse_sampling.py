"""Diverse sampling: one request per temperature, in waves until the vote is settled (or all in
one call), then a consensus vote."""

from __future__ import annotations

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient
from strategies import get_strategy
from strategies.blocks.sampling import temperatures_between

LADDER16 = temperatures_between(0.3, 1.5, 16)


def by_temperature(prompt: Prompt, sampling: Sampling) -> str:
    """Cool samples say 4, hot ones 5."""
    return f"Answer: {4 if sampling.temperature < 1 else 5}"


def alternating(prompt: Prompt, sampling: Sampling) -> str:
    """Blocks of 4 rungs of the 16-rung ladder alternate between 4 and 5 (every spread wave splits)."""
    return f"Answer: {4 + LADDER16.index(sampling.temperature) // 4 % 2}"


async def test_without_waves_the_configured_temperatures_go_out_in_one_call() -> None:
    client = ScriptedClient(by_temperature)
    solution = await get_strategy("diverse_sampling", stop_when_settled=False).optimize("2+2?", client)
    [call] = client.calls
    assert [s.temperature for s in call.samplings] == [0.3, 0.6, 0.9, 1.2, 1.5]
    assert all(s.n == 1 for s in call.samplings) and len(set(call.prompts)) == 1
    assert solution.answer_key == "4" and solution.confidence == pytest.approx(0.6)
    assert solution.metadata.details["temperatures"] == [0.3, 0.6, 0.9, 1.2, 1.5]
    assert solution.metadata.engine_requests == 5
    assert solution.metadata.details["waves"] == 1 and not solution.metadata.details["stopped_early"]


async def test_a_custom_range_is_evenly_spaced() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 1")
    await get_strategy("diverse_sampling", samples=3, low=0.0, high=1.0).optimize("x", client)
    assert [s.temperature for s in client.calls[0].samplings] == [0.0, 0.5, 1.0]


async def test_agreeing_rungs_stop_after_one_wave_spread_across_the_range() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 4")
    solution = await get_strategy("diverse_sampling", samples=16, wave_size=4, seed=5).optimize("2+2?", client)
    [call] = client.calls
    assert [s.temperature for s in call.samplings] == [LADDER16[i] for i in (0, 4, 8, 12)]
    assert {s.seed for s in call.samplings} == {5}  # the requests the full ladder would send
    details = solution.metadata.details
    assert (details["samples_drawn"], details["stop_rule"], details["stopped_early"]) == (4, "beta", True)
    assert solution.metadata.engine_requests == 4


async def test_ladder_order_draws_the_coolest_rungs_first() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 4")
    solution = await get_strategy("diverse_sampling", samples=16, wave_order="ladder").optimize("2+2?", client)
    [call] = client.calls
    assert [s.temperature for s in call.samplings] == LADDER16[:4]
    assert solution.metadata.details["temperatures"] == LADDER16[:4]


async def test_disagreeing_rungs_draw_the_whole_ladder_and_vote_as_the_single_call_does() -> None:
    waves = ScriptedClient(alternating)
    adaptive = await get_strategy("diverse_sampling", samples=16, wave_size=4).optimize("2+2?", waves)
    assert [len(c.prompts) for c in waves.calls] == [4, 4, 4, 4]
    assert sorted(s.temperature for c in waves.calls for s in c.samplings) == LADDER16
    single = ScriptedClient(alternating)
    fixed = await get_strategy("diverse_sampling", samples=16, stop_when_settled=False).optimize("2+2?", single)
    assert len(single.calls) == 1
    for key in ("votes", "temperatures", "winner"):
        assert adaptive.metadata.details[key] == fixed.metadata.details[key], key
    assert adaptive.answer_key == fixed.answer_key and adaptive.reasoning == fixed.reasoning
    assert adaptive.metadata.details["stop_rule"] is None and adaptive.metadata.details["samples_drawn"] == 16


async def test_a_lead_the_rest_cannot_overturn_stops_mid_ladder() -> None:
    # spread waves of 4 over 5 rungs: 0.3, 0.9, 1.5, 0.6 -> 4, 4, 5, 4; one rung left
    solution = await get_strategy("diverse_sampling").optimize("2+2?", ScriptedClient(by_temperature))
    details = solution.metadata.details
    assert details["stop_rule"] == "cannot-be-overtaken" and details["temperatures"] == [0.3, 0.6, 0.9, 1.5]
    assert details["votes"] == {"4": 3, "5": 1} and solution.metadata.engine_requests == 4


def test_config_rejects_an_inverted_range_and_an_unknown_wave_order() -> None:
    with pytest.raises(ConfigError, match="swap"):
        get_strategy("diverse_sampling", low=1.2, high=0.4)
    with pytest.raises(ConfigError, match="wave_order"):
        get_strategy("diverse_sampling", wave_order="random")
