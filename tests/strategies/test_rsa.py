"""RSA standalone: a population in one request, T loops of N merges, a final vote."""

from __future__ import annotations

import pytest

from engine import ConfigError, ScriptedClient
from strategies import get_strategy
from strategies.blocks.aggregate import AGGREGATOR_ID


async def test_rsa_loops_t_times_with_n_requests_each() -> None:
    client = ScriptedClient(lambda p, s: "Answer: 4")
    rsa = get_strategy("rsa", population=4, subset=2, loops=3)
    solution = await rsa.optimize("2+2?", client)
    first, *loops = client.calls
    assert len(first.prompts) == 1 and first.samplings[0].n == 4
    assert [len(c.prompts) for c in loops] == [4, 4, 4]
    assert all(set(c.tags) == {"aggregation"} for c in loops)
    assert all(s.n == 1 for c in loops for s in c.samplings)
    assert solution.metadata.engine_requests == 13 and solution.metadata.engine_calls == 4
    assert len(solution.metadata.details["generations"]) == 4


async def test_merge_prompts_show_k_candidates_and_the_last_population_votes() -> None:
    def reply(prompt, sampling):
        text = prompt.messages[-1].content
        return "merged. Answer: 7" if "Candidate 2:" in text else "first try. Answer: 5"

    client = ScriptedClient(reply)
    solution = await get_strategy("rsa", population=3, subset=2, loops=1).optimize("x", client)
    assert all("Candidate 3:" not in p.messages[-1].content for p in client.calls[1].prompts)
    assert solution.answer_key == "7" and solution.agent_id == AGGREGATOR_ID
    assert solution.metadata.details["votes"] == {"7": 3}
    assert solution.confidence == 1.0


def test_config_rejects_a_subset_larger_than_the_population() -> None:
    with pytest.raises(ConfigError, match="subset"):
        get_strategy("rsa", population=2, subset=3)
