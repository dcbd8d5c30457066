"""MARS selection: each rule (verified, majority, synthesis), and confidence in [0, 1]."""

from __future__ import annotations

import pytest

from engine import Prompt, Sampling
from strategies import Solution
from strategies.mars import Mars, MarsEvent, SelectionError
from strategies.mars.select import with_confidence
from tests.strategies.mars.mars_script import (
    CORRECT,
    INCORRECT,
    MarsScript,
    agent_answer,
    author_in,
    eager,
    reviewer_of,
)

NO_REVIEW_CHANGES = eager(aggregation="none", max_iterations=0)


async def test_verified_rule_picks_the_verified_solution_with_the_highest_confidence() -> None:
    by_agent = agent_answer(NO_REVIEW_CHANGES)

    def solve(prompt: Prompt, sampling: Sampling) -> str:
        text = by_agent(prompt, sampling)
        return text.replace("Answer: 4", "Answer: 5") if "agent-0" in text else text

    def verify(prompt: Prompt, sampling: Sampling) -> str:
        # agent-0 (answer 5) and agent-2 (answer 4) are accepted, agent-1 is not
        return INCORRECT if author_in(prompt) == "agent-1" else CORRECT

    script = MarsScript(solve=solve, verify=verify)
    solution = await Mars(NO_REVIEW_CHANGES).optimize("2+2?", script.client())
    assert solution.metadata.selection_rule == "verified"
    # both verified score 0.9; agent-2's answer agrees with one other candidate, agent-0's none
    assert solution.agent_id == "agent-2" and solution.answer == "4"
    assert solution.confidence == pytest.approx((0.9 + 0.5) / 2)
    assert solution.is_verified


async def test_majority_rule_when_nothing_is_verified() -> None:
    def solve(prompt: Prompt, sampling: Sampling) -> str:
        return "Answer: 7" if sampling.temperature == 0.3 else "Answer: 4"

    script = MarsScript(solve=solve, verify=lambda p, s: INCORRECT)
    solution = await Mars(NO_REVIEW_CHANGES).optimize("2+2?", script.client())
    assert solution.metadata.selection_rule == "majority"
    assert solution.answer == "4" and not solution.is_verified
    assert solution.confidence == pytest.approx((0.1 + 0.5) / 2)


async def test_majority_representative_is_the_best_reviewed_of_the_group() -> None:
    def verify(prompt: Prompt, sampling: Sampling) -> str:
        score = {"agent-0": 0.2, "agent-1": 0.4, "agent-2": 0.3}[author_in(prompt) or ""]
        return f"Not convinced.\nVERDICT: INCORRECT\nSCORE: {score}"

    script = MarsScript(verify=verify)
    solution = await Mars(NO_REVIEW_CHANGES).optimize("2+2?", script.client())
    assert solution.metadata.selection_rule == "majority" and solution.agent_id == "agent-1"


async def test_synthesis_rule_when_no_candidate_has_an_answer() -> None:
    script = MarsScript(
        solve=lambda p, s: "I am not sure how to start.",
        verify=lambda p, s: INCORRECT,
        aggregate=lambda p, s: "Combining the attempts: 2 + 2 = 4. Answer: 4",
    )
    client = script.client()
    solution = await Mars(NO_REVIEW_CHANGES).optimize("2+2?", client)
    assert solution.metadata.selection_rule == "synthesis"
    assert solution.answer == "4" and solution.method == "synthesis"
    assert [c.tags[0] for c in client.calls][-1] == "selection"
    assert len(client.calls[-1].prompts) == 1
    assert solution.metadata.usage_by_phase["selection"].requests == 1


async def test_synthesis_that_writes_nothing_is_a_selection_error() -> None:
    script = MarsScript(solve=lambda p, s: "No idea.", verify=lambda p, s: INCORRECT, aggregate=lambda p, s: "")
    with pytest.raises(SelectionError, match="synthesis"):
        await Mars(NO_REVIEW_CHANGES).optimize("2+2?", script.client())


async def test_selection_done_names_the_rule_and_the_returned_solution() -> None:
    events: list[MarsEvent] = []
    script = MarsScript()
    solution = await Mars().optimize("2+2?", script.client(), on_event=events.append)
    [done] = [e for e in events if e.type == "selection_done"]
    assert done.solution_id == solution.id and done.rule == "verified"


def test_confidence_is_mean_of_verification_score_and_agreement() -> None:
    sols = [
        Solution(answer_key="4", verification_score=0.8),
        Solution(answer_key="4", verification_score=0.0),
        Solution(answer_key="5", verification_score=1.0),
        Solution(verification_score=0.0),
    ]
    assert [s.confidence for s in with_confidence(sols)] == pytest.approx([0.65, 0.25, 0.5, 0.0])


async def test_reviewer_persona_is_in_the_verification_prompt_not_the_author() -> None:
    client = MarsScript().client()
    await Mars(NO_REVIEW_CHANGES).optimize("2+2?", client)
    for prompt in client.calls[1].prompts:
        verifier, _, _ = reviewer_of(prompt)
        assert f"You are {verifier}" in prompt.messages[-1].content
