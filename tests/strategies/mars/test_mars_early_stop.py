"""MARS does no more work than its outcome needs: lazy review passes and early termination."""

from __future__ import annotations

from strategies.mars import Mars, MarsConfig
from tests.strategies.mars.mars_script import CORRECT, INCORRECT, MarsScript, author_in, reviewer_of


def _tags(client) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.tags[0] for c in client.calls]


async def test_default_run_sends_each_review_pass_as_its_own_call(script: MarsScript) -> None:
    client = script.client()
    solution = await Mars(MarsConfig(verdict="text", skip_when_settled=False)).optimize("What is 2 + 2?", client)
    # every review says CORRECT, so every second pass is still needed: same 18 requests, 6 calls
    assert _tags(client) == [
        "exploration",
        "verification",
        "verification",
        "aggregation",
        "verification",
        "verification",
    ]
    assert solution.metadata.engine_requests == 18
    assert solution.metadata.selection_rule == "verified"


async def test_a_negative_review_skips_the_later_passes_of_its_round(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT if author_in(p) == "agent-0" else CORRECT
    config = MarsConfig(aggregation="none", max_iterations=0, early_termination=False, verdict="text")
    client = script.client()
    solution = await Mars(config).optimize("What is 2 + 2?", client)
    first, second = [c for c in client.calls if c.tags[0] == "verification"]
    assert len(first.prompts) == 3 and [reviewer_of(p)[1:] for p in first.prompts] == [(1, 2)] * 3
    # agent-0's solution failed pass 1: pass 2 goes out for the other two only
    assert len(second.prompts) == 2 and {author_in(p) for p in second.prompts} == {"agent-1", "agent-2"}
    assert all(reviewer_of(p)[1:] == (2, 2) for p in second.prompts)
    verified = {c["agent_id"]: c["is_verified"] for c in solution.metadata.details["candidates"]}
    assert verified == {"agent-0": False, "agent-1": True, "agent-2": True}


async def test_agreeing_answers_end_improvement_with_the_consensus_rule(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    solution = await Mars(MarsConfig(aggregation="none")).optimize("What is 2 + 2?", client)
    assert "improvement" not in _tags(client)
    assert solution.metadata.selection_rule == "consensus" and solution.answer == "4"
    assert solution.metadata.details["early_termination"] is True
    assert solution.metadata.details["improvement_iterations"] == 0


async def test_disagreeing_answers_keep_improving(script: MarsScript) -> None:
    answers = iter(["3", "4", "5"])
    script.solve = lambda p, s: f"Answer: {next(answers)}"
    script.improve = lambda p, s: "Still unsure. Answer: 7"
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    solution = await Mars(MarsConfig(aggregation="none", max_iterations=1)).optimize("What is 2 + 2?", client)
    assert "improvement" in _tags(client)
    # after the round the three revisions all say 7: that agreement is what selection records
    assert solution.metadata.selection_rule == "consensus" and solution.metadata.details["improvement_iterations"] == 1


async def test_early_termination_off_runs_every_iteration(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    config = MarsConfig(aggregation="none", max_iterations=2, early_termination=False)
    solution = await Mars(config).optimize("What is 2 + 2?", client)
    assert _tags(client).count("improvement") == 2 and solution.metadata.selection_rule == "majority"


async def test_agreeing_verified_agents_skip_aggregation_and_improvement(script: MarsScript) -> None:
    client = script.client()  # every agent answers 4 and every review says CORRECT
    solution = await Mars(MarsConfig(verdict="text")).optimize("What is 2 + 2?", client)
    assert _tags(client) == ["exploration", "verification", "verification"]
    assert solution.metadata.details["settled_after_exploration"] is True
    assert solution.metadata.selection_rule == "verified" and solution.answer == "4"


async def test_verified_but_disagreeing_agents_still_aggregate(script: MarsScript) -> None:
    answers = iter(["3", "4", "5"])
    script.solve = lambda p, s: f"Answer: {next(answers)}"
    client = script.client()
    solution = await Mars(MarsConfig(verdict="text")).optimize("What is 2 + 2?", client)
    assert "aggregation" in _tags(client)
    assert solution.metadata.details["settled_after_exploration"] is False
