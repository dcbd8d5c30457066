"""Self-consistency: samples in waves (one request each) until the vote is settled, a majority vote
on normalized answers; with stop_when_settled=False, k samples in one request."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient
from strategies import get_strategy
from strategies.self_consistency import waves_of


def cycling(answers: Sequence[str]) -> ScriptedClient:
    """A model whose i-th sample (over every request) answers answers[i % len(answers)]."""
    count = iter(range(10**6))
    return ScriptedClient(lambda p, s: f"Answer: {answers[next(count) % len(answers)]}")


# -- stop_when_settled=False: today's single request ---------------------------------------------


async def test_without_waves_the_samples_come_from_one_request_with_n_samples() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 4")
    config = {"samples": 5, "temperature": 0.8, "seed": 3, "stop_when_settled": False}
    solution = await get_strategy("self_consistency", config).optimize("2+2?", client)
    [call] = client.calls
    assert len(call.prompts) == 1 and call.samplings[0].n == 5 and call.samplings[0].seed == 3
    assert call.samplings[0].temperature == 0.8 and call.tags == ("sampling",)
    assert solution.metadata.engine_requests == 1 and solution.metadata.engine_calls == 1
    assert solution.metadata.usage_by_phase["sampling"].requests == 1
    details = solution.metadata.details
    assert (details["waves"], details["samples_drawn"], details["stopped_early"]) == (1, 5, False)
    assert details["votes"] == {"4": 5} and solution.agent_id.startswith("sampling-0")


async def test_answer_4_and_bare_4_are_one_vote() -> None:
    client = ScriptedClient(["So it is 4. Answer: 4", "4", "Answer: 5", "**Answer:** 4.0", "5"])
    solution = await get_strategy("self_consistency", samples=5, stop_when_settled=False).optimize("2+2?", client)
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


# -- waves: stop once the answer is settled -------------------------------------------------------


async def test_agreeing_samples_stop_after_the_first_wave_by_the_beta_rule() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 4")
    solution = await get_strategy("self_consistency", samples=16, wave_size=4).optimize("2+2?", client)
    [call] = client.calls  # one wave of 4 instead of 16 samples
    assert call.samplings[0].n == 4
    assert solution.metadata.usage.completion_tokens == 4 * len("Answer: 4".split())
    details = solution.metadata.details
    assert details["stop_rule"] == "beta" and details["stopped_early"] is True
    assert (details["waves"], details["samples_drawn"], details["votes"]) == (1, 4, {"4": 4})
    assert solution.answer_key == "4" and solution.confidence == 1.0


async def test_a_lead_the_remaining_samples_cannot_overturn_stops_by_the_exact_rule() -> None:
    # 3 votes to 1 with 1 sample left: the Beta rule (0.81) would go on, the exact rule stops
    client = cycling(["4", "4", "5", "4"])
    solution = await get_strategy("self_consistency", samples=5, wave_size=4).optimize("2+2?", client)
    assert [c.samplings[0].n for c in client.calls] == [4]
    details = solution.metadata.details
    assert details["stop_rule"] == "cannot-be-overtaken" and details["votes"] == {"4": 3, "5": 1}


async def test_disagreeing_samples_draw_every_wave_with_advancing_seeds() -> None:
    client = cycling(["4", "5"])
    solution = await get_strategy("self_consistency", samples=10, wave_size=4, seed=7).optimize("2+2?", client)
    assert [(c.samplings[0].n, c.samplings[0].seed) for c in client.calls] == [(4, 7), (4, 8), (2, 9)]
    assert all(c.tags == ("sampling",) for c in client.calls)
    details = solution.metadata.details
    assert (details["waves"], details["samples_drawn"], details["stopped_early"]) == (3, 10, False)
    assert details["stop_rule"] is None and details["votes"] == {"4": 5, "5": 5}
    assert solution.metadata.engine_requests == 3
    assert solution.metadata.usage_by_phase["sampling"].requests == 3


async def test_unseeded_waves_stay_unseeded_and_agent_ids_name_the_wave() -> None:
    client = cycling(["4", "5"])
    events: list[object] = []
    await get_strategy("self_consistency", samples=6, wave_size=3).optimize("2+2?", client, on_event=events.append)
    assert [c.samplings[0].seed for c in client.calls] == [None, None]
    produced = [e for e in events if getattr(e, "type", "") == "candidate_produced"]
    # each wave is request j of the phase: `sampling-{j}` (plus `/{sample}` where the client
    # gives a request's samples one request id)
    waves = [e.agent_id.split("/")[0] for e in produced]  # type: ignore[attr-defined]
    assert waves == ["sampling-0"] * 3 + ["sampling-1"] * 3


async def test_answers_that_settle_in_a_later_wave_stop_there() -> None:
    # wave 1: 4 5 4 5 (open); wave 2: four more 4s, 6 to 2 with 8 left: P = 466/512 < 0.95;
    # wave 3: 10 to 2 with 4 left, a lead the rest cannot overturn
    answers = ["4", "5", "4", "5"] + ["4"] * 12

    def respond(prompt: Prompt, sampling: Sampling) -> str:
        return f"Answer: {answers.pop(0)}"

    solution = await get_strategy("self_consistency", samples=16, wave_size=4).optimize("2+2?", ScriptedClient(respond))
    details = solution.metadata.details
    assert (details["waves"], details["samples_drawn"], details["stop_rule"]) == (3, 12, "cannot-be-overtaken")


async def test_samples_without_an_answer_never_settle_the_vote() -> None:
    client = ScriptedClient(lambda p, s: "no idea")
    solution = await get_strategy("self_consistency", samples=8, wave_size=4).optimize("x?", client)
    assert len(client.calls) == 2 and solution.metadata.details["samples_drawn"] == 8


def test_waves_cover_the_budget_once_in_order_or_spread() -> None:
    assert waves_of(5, 5) == [[0, 1, 2, 3, 4]]
    assert waves_of(5, 8) == [[0, 1, 2, 3, 4]]
    assert waves_of(16, 4, spread=True)[0] == [0, 4, 8, 12]
    for total, size in [(5, 4), (16, 4), (7, 3), (1, 1)]:
        for spread in (False, True):
            waves = waves_of(total, size, spread=spread)
            assert sorted(i for w in waves for i in w) == list(range(total))
            assert [len(w) for w in waves[:-1]] == [size] * (len(waves) - 1)


def test_config_rejects_greedy_sampling_zero_samples_and_bad_stop_settings() -> None:
    with pytest.raises(ConfigError, match="temperature"):
        get_strategy("self_consistency", temperature=0.0)
    with pytest.raises(ConfigError, match="samples"):
        get_strategy("self_consistency", samples=0)
    with pytest.raises(ConfigError, match="wave_size"):
        get_strategy("self_consistency", wave_size=0)
    for confidence in (0.5, 1.0):
        with pytest.raises(ConfigError, match="stop_confidence"):
            get_strategy("self_consistency", stop_confidence=confidence)
