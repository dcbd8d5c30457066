"""Best-of-n: n samples in one request, one batched rating call, the best rated kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient
from strategies import get_strategy
from strategies.blocks.rating import RATING_SYSTEM


def scripted(samples: list[str], ratings: dict[str, str]) -> ScriptedClient:
    """Samples in order; a rating request gets the rating of the sample it shows."""
    pending: Iterator[str] = iter(samples)

    def reply(prompt: Prompt, sampling: Sampling) -> str:
        if prompt.system == RATING_SYSTEM:
            shown = prompt.messages[-1].content
            return next(r for s, r in ratings.items() if s in shown)
        return next(pending)

    return ScriptedClient(reply)


async def test_two_calls_one_sampling_request_and_one_rating_per_sample() -> None:
    client = scripted(
        ["A. Answer: 1", "B. Answer: 2", "C. Answer: 3"], {"A.": "RATING: 1", "B.": "RATING: 2", "C.": "RATING: 3"}
    )
    solution = await get_strategy("best_of_n", samples=3, rating_source="text").optimize("x?", client)
    sampling, rating = client.calls
    assert len(sampling.prompts) == 1 and sampling.samplings[0].n == 3
    assert len(rating.prompts) == 3 and set(rating.tags) == {"rating"}
    assert all(s.temperature == 0.1 for s in rating.samplings)
    assert solution.metadata.engine_requests == 4 and solution.metadata.engine_calls == 2


async def test_the_best_parsed_rating_wins_and_malformed_ones_are_ignored() -> None:
    client = scripted(
        ["A. Answer: 5", "B. Answer: 4", "C. Answer: 6"],
        {"A.": "Weak.\nRATING: 3", "B.": "**Rating:** 8/10", "C.": "Excellent work!"},
    )
    solution = await get_strategy("best_of_n", samples=3, rating_source="text").optimize("x?", client)
    assert solution.answer_key == "4" and solution.confidence == pytest.approx(0.8)
    assert solution.metadata.selection_rule == "best-rated"
    assert [r["score"] for r in solution.metadata.details["ratings"]] == [0.3, 0.8, None]
    assert solution.metadata.fallbacks == ["sample 2: no readable rating; ignored"]


async def test_tied_ratings_go_to_the_answer_most_samples_agree_on() -> None:
    client = scripted(
        ["A. Answer: 5", "B. Answer: 4", "C. Answer: 4"], {"A.": "RATING: 7", "B.": "RATING: 7", "C.": "RATING: 7"}
    )
    solution = await get_strategy("best_of_n", samples=3, rating_source="text").optimize("x?", client)
    assert solution.reasoning == "B. Answer: 4"


async def test_no_readable_rating_falls_back_to_the_majority() -> None:
    client = scripted(["A. Answer: 5", "B. Answer: 4", "C. Answer: 4"], {"A.": "good", "B.": "fine", "C.": "ok"})
    solution = await get_strategy("best_of_n", samples=3, rating_source="text").optimize("x?", client)
    assert solution.answer_key == "4" and solution.metadata.selection_rule == "majority"
    assert len(solution.metadata.fallbacks) == 4


async def test_a_response_ending_in_a_period_still_has_its_answer() -> None:
    client = scripted(
        ["Adding them up, the answer is 42.", "I think it is 41."], {"Adding": "RATING: 9", "I think": "RATING: 2"}
    )
    solution = await get_strategy("best_of_n", samples=2, rating_source="text").optimize("x?", client)
    assert solution.answer == "42" and solution.answer_key == "42"


def test_config_rejects_bad_values_with_the_field_named() -> None:
    with pytest.raises(ConfigError, match="rating_max_tokens"):
        get_strategy("best_of_n", rating_max_tokens=0)
    with pytest.raises(ConfigError, match="samples"):
        get_strategy("best_of_n", samples=0)


async def test_engine_ratings_ask_for_the_number_alone_and_rate_every_sample() -> None:
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        if prompt.assistant_prefix == "RATING: ":  # the probe: the number alone, nothing written first
            return "9" if "B." in prompt.messages[-1].content else "2"
        return next(samples)

    samples = iter(["A. Answer: 5", "B. Answer: 4", "C. Answer: 6"])
    client = ScriptedClient(reply)
    solution = await get_strategy("best_of_n", samples=3).optimize("x?", client)
    sampling, probe = client.calls
    assert len(probe.prompts) == 3 and {s.choice for s in probe.samplings} == {tuple(str(i) for i in range(11))}
    assert {(s.temperature, s.max_tokens) for s in probe.samplings} == {(0.0, 2)}
    assert solution.answer_key == "4" and solution.metadata.selection_rule == "best-rated"
    assert [r["score"] for r in solution.metadata.details["ratings"]] == [0.2, 0.9, 0.2]
    assert solution.metadata.fallbacks == [] and solution.metadata.engine_requests == 4
