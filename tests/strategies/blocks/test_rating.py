"""Shared rating: one batched call, ratings read from their RATING line, the best picked."""

from __future__ import annotations

import pytest

from engine import Sampling, ScriptedClient
from strategies import Solution
from strategies.blocks.rating import (
    RATING_SYSTEM,
    Rating,
    best_rated,
    rate_batch,
    read_rating,
    unrated_fallbacks,
)
from strategies.core.config import StrategyConfig
from strategies.core.run import Run


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Correct.\nRATING: 7", 0.7),
        ("**Rating:** 9/10", 0.9),
        ("Score: 80%", 0.8),
        ("10", 1.0),
        ("RATING: 3\nRATING: 6", 0.6),
        ("RATING: 12", None),
        ("Very good, I'd give it an eight.", None),
        ("", None),
    ],
)
def test_read_rating_takes_the_last_labelled_value_on_0_to_10(text: str, score: float | None):
    assert read_rating(text) == (pytest.approx(score) if score is not None else None)


async def test_rate_batch_sends_every_rating_in_one_call_with_a_shared_prefix() -> None:
    client = ScriptedClient(lambda p, s: "RATING: 5")
    ratings = await rate_batch(
        Run.start("2+2?", client, StrategyConfig()),
        ["first", "second"],
        sampling=Sampling(temperature=0.1, n=3),
        phase="rate",
    )
    [call] = client.calls
    assert call.tags == ("rate", "rate") and [s.n for s in call.samplings] == [1, 1]
    assert all(p.system == RATING_SYSTEM for p in call.prompts)
    first, second = (p.messages[-1].content for p in call.prompts)
    assert first.split("first")[0] == second.split("second")[0]
    assert [(r.index, r.score) for r in ratings] == [(0, 0.5), (1, 0.5)]


async def test_rate_batch_of_nothing_makes_no_call() -> None:
    client = ScriptedClient([])
    assert (
        await rate_batch(Run.start("q", client, StrategyConfig()), [], sampling=Sampling()) == [] and not client.calls
    )


def test_best_rated_breaks_ties_by_agreement_then_order_and_skips_unrated() -> None:
    sols = [Solution(answer_key=k) for k in ("5", "4", "4", "6")]
    ratings = [Rating(0, 0.7, ""), Rating(1, 0.7, ""), Rating(2, 0.7, ""), Rating(3, None, "")]
    assert best_rated(sols, ratings) == 1
    assert best_rated(sols, [Rating(i, None, "") for i in range(4)]) == -1
    assert unrated_fallbacks(ratings, "sample") == ["sample 3: no readable rating; ignored"]
