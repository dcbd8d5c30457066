"""MARS aggregation inside a run: RSA generations and lineage, MoE, majority, none."""

from __future__ import annotations

from strategies.mars import Mars, MarsEvent
from tests.strategies.mars.mars_script import INCORRECT, MarsScript, eager


async def test_rsa_runs_its_loops_as_one_call_each_and_keeps_the_lineage() -> None:
    script = MarsScript(verify=lambda p, s: INCORRECT)
    client = script.client()
    config = eager(rsa_population=4, rsa_subset_size=3, rsa_loops=2, max_iterations=0)
    events: list[MarsEvent] = []
    solution = await Mars(config).optimize("2+2?", client, on_event=events.append)
    aggregation_calls = [c for c in client.calls if c.tags[0] == "aggregation"]
    assert [len(c.prompts) for c in aggregation_calls] == [4, 4]
    generations = solution.metadata.details["aggregation"]["generations"]
    candidates = solution.metadata.details["candidates"]
    explored = {c["id"] for c in candidates if c["phase"] == "exploration"}
    first, second = generations
    assert len(first) == len(second) == 4
    assert all(len(m["parents"]) == 3 and set(m["parents"]) <= explored for m in first)
    first_ids = {m["id"] for m in first}
    assert all(set(m["parents"]) <= first_ids for m in second)
    # only the last generation joins the pool, and it is reviewed in round 2
    [done] = [e for e in events if e.type == "aggregation_done"]
    assert done.num_new == 4
    pool = {c["id"] for c in solution.metadata.details["candidates"]}
    assert {m["id"] for m in second} <= pool and not first_ids & pool
    assert len([c for c in client.calls if c.tags[0] == "verification"][1].prompts) == 4 * 2


async def test_rsa_merge_prompts_show_k_candidates() -> None:
    client = MarsScript().client()
    await Mars(eager(rsa_subset_size=2)).optimize("2+2?", client)
    [call] = [c for c in client.calls if c.tags[0] == "aggregation"]
    for prompt in call.prompts:
        text = prompt.messages[-1].content
        assert "Candidate 1:" in text and "Candidate 2:" in text and "Candidate 3:" not in text


async def test_moe_makes_one_synthesis_over_the_top_experts() -> None:
    client = MarsScript().client()
    solution = await Mars(eager(aggregation="moe", moe_experts=2)).optimize("2+2?", client)
    [call] = [c for c in client.calls if c.tags[0] == "aggregation"]
    assert len(call.prompts) == 1 and "Candidate 3:" not in call.prompts[0].messages[-1].content
    assert len(solution.metadata.details["aggregation"]["experts"]) == 2


async def test_majority_aggregation_makes_no_call_and_records_the_vote() -> None:
    def solve(prompt, sampling):  # type: ignore[no-untyped-def]
        return "Answer: 5" if sampling.temperature == 1.0 else "Answer: 4"

    client = MarsScript(solve=solve).client()
    solution = await Mars(eager(aggregation="majority")).optimize("2+2?", client)
    assert "aggregation" not in [c.tags[0] for c in client.calls]
    vote = solution.metadata.details["aggregation"]
    assert vote["method"] == "majority" and vote["votes"] == 2
    assert abs(vote["share"] - 2 / 3) < 1e-9


async def test_no_aggregation_goes_straight_to_improvement() -> None:
    events: list[MarsEvent] = []
    client = MarsScript().client()
    await Mars(eager(aggregation="none")).optimize("2+2?", client, on_event=events.append)
    assert [c.tags[0] for c in client.calls] == ["exploration", "verification"]
    [done] = [e for e in events if e.type == "aggregation_done"]
    assert done.num_new == 0
