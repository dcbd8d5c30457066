"""Shared aggregation: RSA subsets and population bookkeeping, MoE synthesis."""

from __future__ import annotations

from collections import Counter

import pytest

from engine import Prompt, Sampling, ScriptedClient
from strategies import Solution
from strategies.blocks.aggregate import AGGREGATOR_ID, moe_synthesis, rsa_round, rsa_subsets
from strategies.core.config import StrategyConfig
from strategies.core.run import Run


def test_rsa_subsets_are_sliding_windows_over_the_ranking() -> None:
    assert rsa_subsets([3, 1, 0, 2], k=2, count=4) == [[3, 1], [1, 0], [0, 2], [2, 3]]


def test_rsa_subsets_give_the_best_the_most_seats_and_everyone_one() -> None:
    subsets = rsa_subsets([4, 2, 0, 1, 3], k=3, count=3)
    seats = Counter(i for s in subsets for i in s)
    assert seats[4] == 1 and seats[0] == 3 and set(seats) == {0, 1, 2, 3, 4}
    assert all(len(set(s)) == 3 for s in subsets)


def test_rsa_subsets_clip_k_to_the_population() -> None:
    assert rsa_subsets([1, 0], k=5, count=3) == [[1, 0], [0, 1], [1, 0]]
    with pytest.raises(ValueError):
        rsa_subsets([], k=2, count=1)


def population() -> list[Solution]:
    return [
        Solution(reasoning="says 5", answer_key="5"),
        Solution(reasoning="says 4", answer_key="4", verification_score=0.5),
        Solution(reasoning="says 4 too", answer_key="4"),
    ]


async def test_rsa_round_writes_one_merge_per_slot_in_one_call() -> None:
    client = ScriptedClient(lambda p, s: f"merged at {s.temperature}. Answer: 4")
    members = population()
    temps = [Sampling(temperature=t, n=2) for t in (0.2, 0.4, 0.6, 0.8)]
    merged = await rsa_round(
        Run.start("2+2?", client, StrategyConfig()), members, size=4, k=2, samplings=temps, phase="agg"
    )
    [call] = client.calls
    assert len(call.prompts) == 4 and set(call.tags) == {"agg"}
    assert [s.n for s in call.samplings] == [1, 1, 1, 1]
    ids = [m.id for m in members]
    # ranking: "says 4" (reviewed, agrees), "says 4 too" (agrees), "says 5"
    assert [m.parents for m in merged] == [(ids[1], ids[2]), (ids[2], ids[0]), (ids[0], ids[1]), (ids[1], ids[2])]
    assert all(m.solution.agent_id == AGGREGATOR_ID and m.solution.answer == "4" for m in merged)
    assert [m.solution.method for m in merged] == ["rsa-merge"] * 4
    first = call.prompts[0].messages[-1].content
    assert first.index("says 4\n") < first.index("says 4 too")


async def test_moe_synthesis_shows_the_top_experts_best_first() -> None:
    seen: list[Prompt] = []

    def reply(prompt: Prompt, sampling: Sampling) -> str:
        seen.append(prompt)
        return "All considered. Answer: 4"

    members = population()
    merged = await moe_synthesis(
        Run.start("2+2?", ScriptedClient(reply), StrategyConfig()), members, experts=2, sampling=Sampling(), phase="agg"
    )
    [prompt] = seen
    text = prompt.messages[-1].content
    assert "Candidate 1:\nsays 4\n" in text and "Candidate 2:\nsays 4 too" in text
    assert "says 5" not in text
    assert merged.parents == (members[1].id, members[2].id)
    assert merged.solution.answer == "4" and merged.solution.method == "moe"


async def test_moe_synthesis_needs_a_candidate() -> None:
    with pytest.raises(ValueError):
        await moe_synthesis(Run.start("q", ScriptedClient(["x"]), StrategyConfig()), [], experts=2, sampling=Sampling())
