"""MARS verification: never by the author, verdicts parsed, aggregates reviewed like the rest."""

from __future__ import annotations

import pytest

from engine import Prompt, Sampling, ScriptedClient
from strategies.blocks.verify import INDEPENDENT_VERIFIER
from strategies.mars import Mars, MarsEvent
from tests.strategies.mars.mars_script import (
    CORRECT,
    INCORRECT,
    MarsScript,
    agent_answer,
    author_in,
    eager,
    reviewer_of,
)


def verification_prompts(client: ScriptedClient, call: int = 0) -> list[Prompt]:
    calls = [c for c in client.calls if c.tags[0] == "verification"]
    return list(calls[call].prompts)


@pytest.mark.parametrize("num_agents", [1, 2, 3, 4])
@pytest.mark.parametrize("passes", [1, 2, 3])
async def test_no_agent_reviews_its_own_solution(num_agents: int, passes: int) -> None:
    config = eager(
        num_agents=num_agents,
        verification_passes_required=passes,
        aggregation="none",
        max_iterations=0,
    )
    client = MarsScript(solve=agent_answer(config)).client()
    await Mars(config).optimize("What is 2 + 2?", client)
    prompts = verification_prompts(client)
    assert len(prompts) == num_agents * passes
    for prompt in prompts:
        verifier, _, total = reviewer_of(prompt)
        author = author_in(prompt)
        assert author in config.agent_ids and verifier != author and total == passes
        if num_agents == 1:
            assert verifier == INDEPENDENT_VERIFIER
        else:
            assert verifier in config.agent_ids


async def test_reviewers_rotate_through_the_other_agents() -> None:
    config = eager(aggregation="none", max_iterations=0)
    client = MarsScript(solve=agent_answer(config)).client()
    await Mars(config).optimize("What is 2 + 2?", client)
    pairs = {(author_in(p), reviewer_of(p)[:2]) for p in verification_prompts(client)}
    assert pairs == {
        ("agent-0", ("agent-1", 1)),
        ("agent-0", ("agent-2", 2)),
        ("agent-1", ("agent-2", 1)),
        ("agent-1", ("agent-0", 2)),
        ("agent-2", ("agent-0", 1)),
        ("agent-2", ("agent-1", 2)),
    }


async def test_two_agents_review_each_other_on_every_pass() -> None:
    config = eager(num_agents=2, aggregation="none", max_iterations=0)
    client = MarsScript(solve=agent_answer(config)).client()
    await Mars(config).optimize("What is 2 + 2?", client)
    pairs = sorted((author_in(p), reviewer_of(p)[:2]) for p in verification_prompts(client))
    assert pairs == [
        ("agent-0", ("agent-1", 1)),
        ("agent-0", ("agent-1", 2)),
        ("agent-1", ("agent-0", 1)),
        ("agent-1", ("agent-0", 2)),
    ]


async def test_revisions_keep_their_author_and_its_exclusion() -> None:
    config = eager(num_agents=2, aggregation="none", max_iterations=1)
    script = MarsScript(solve=agent_answer(config), verify=lambda p, s: INCORRECT)
    # a revision repeats its author's name, so authorship stays readable in the prompt
    script.improve = lambda p, s: f"Fixed, written by {author_in(p)}. Answer: 4"
    client = script.client()
    await Mars(config).optimize("What is 2 + 2?", client)
    revisions = verification_prompts(client, call=1)
    assert len(revisions) == 4 and all("Fixed" in p.messages[-1].content for p in revisions)
    for prompt in revisions:
        assert author_in(prompt) in config.agent_ids
        assert author_in(prompt) != reviewer_of(prompt)[0]


async def test_verification_prompts_share_their_prefix_and_vary_last() -> None:
    config = eager(aggregation="none", max_iterations=0)
    client = MarsScript(solve=agent_answer(config)).client()
    await Mars(config).optimize("What is 2 + 2?", client)
    prompts = verification_prompts(client)
    same_solution = [p for p in prompts if author_in(p) == "agent-0"]
    a, b = (p.messages[-1].content for p in same_solution)
    shared = a[: a.index("---")]
    assert b.startswith(shared) and "Solution:" in shared and a != b
    assert all(p.system == prompts[0].system for p in prompts)


async def test_verified_needs_every_required_pass_positive() -> None:
    def verify(prompt: Prompt, sampling: Sampling) -> str:
        return CORRECT if reviewer_of(prompt)[1] == 1 else INCORRECT

    events: list[MarsEvent] = []
    script = MarsScript(verify=verify)
    config = eager(aggregation="none", max_iterations=0)
    solution = await Mars(config).optimize("2+2?", script.client(), on_event=events.append)
    verified = [e for e in events if e.type == "candidate_verified"]
    assert len(verified) == 3 and not any(e.is_verified for e in verified)
    assert all(e.score == pytest.approx(0.5) for e in verified)  # (0.9 + 0.1) / 2
    assert solution.metadata.selection_rule == "majority"


async def test_keyword_correct_without_verdict_line_is_not_positive() -> None:
    script = MarsScript(verify=lambda p, s: "This solution is correct and well argued.")
    config = eager(aggregation="none", max_iterations=0)
    solution = await Mars(config).optimize("2+2?", script.client())
    assert not solution.is_verified
    assert solution.metadata.selection_rule == "majority"
    assert sum("no verdict" in f for f in solution.metadata.fallbacks) == 6
    history = solution.metadata.details["verification"]
    assert all(r["correct"] is None and r["score"] == 0.0 for rs in history.values() for r in rs)


async def test_verdict_without_score_counts_as_its_verdict_and_is_noted() -> None:
    script = MarsScript(verify=lambda p, s: "All steps check out.\n**Verdict:** Correct")
    config = eager(aggregation="none", max_iterations=0)
    solution = await Mars(config).optimize("2+2?", script.client())
    assert solution.is_verified and solution.verification_score == 1.0
    assert sum("no score" in f for f in solution.metadata.fallbacks) == 6


async def test_aggregates_are_reviewed_in_the_next_round_by_any_agent() -> None:
    events: list[MarsEvent] = []
    script = MarsScript(verify=lambda p, s: INCORRECT)
    client = script.client()
    config = eager(aggregation="moe", max_iterations=0)
    solution = await Mars(config).optimize("2+2?", client, on_event=events.append)
    second_round = verification_prompts(client, call=1)
    assert len(second_round) == 2
    assert {reviewer_of(p)[0] for p in second_round} <= set(config.agent_ids)
    [merged] = [c for c in solution.metadata.details["candidates"] if c["method"] == "moe"]
    assert merged["verification_score"] == pytest.approx(0.1)  # reviewed, not a fixed value
    assert [e.round for e in events if e.type == "verification_started"] == [1, 2]


async def test_verification_history_is_kept_per_solution() -> None:
    script = MarsScript(verify=lambda p, s: INCORRECT)
    config = eager(num_agents=2, aggregation="none", max_iterations=2)
    solution = await Mars(config).optimize("2+2?", script.client())
    history = solution.metadata.details["verification"]
    assert len(history) == 2 + 2 + 2  # explored, then two generations of revisions
    for reviews in history.values():
        assert [r["pass"] for r in reviews] == [1, 2]
        assert all(r["correct"] is False and r["score"] == pytest.approx(0.1) for r in reviews)
