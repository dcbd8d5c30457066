"""Shared verification: reviewer assignment, one batched call per round, parsed reviews."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Prompt, Sampling, ScriptedClient
from strategies import Solution
from strategies.blocks.parsing import Verdict
from strategies.blocks.verify import (
    INDEPENDENT_VERIFIER,
    VERIFY_SYSTEM,
    Review,
    consecutive_positives,
    cross_assignments,
    reviewed,
    verify_batch,
)
from strategies.core.config import StrategyConfig
from strategies.core.run import Run

AGENTS = [f"agent-{i}" for i in range(8)]


@given(
    agents=st.integers(1, 8),
    passes=st.integers(1, 6),
    authors=st.lists(st.one_of(st.none(), st.integers(0, 7)), max_size=10),
)
def test_cross_assignments_never_give_a_solution_to_its_author(
    agents: int, passes: int, authors: list[int | None]
) -> None:
    ids = AGENTS[:agents]
    authors = [a if a is None else a % agents for a in authors]
    assignments = cross_assignments(authors, ids, passes)
    assert len(assignments) == len(authors)
    for author, verifiers in zip(authors, assignments, strict=True):
        assert len(verifiers) == passes
        if author is not None:
            assert ids[author] not in verifiers
        if agents > 1:
            assert set(verifiers) <= set(ids)


def test_single_agent_falls_back_to_the_independent_verifier() -> None:
    assert cross_assignments([0, 0], ["agent-0"], 2) == [[INDEPENDENT_VERIFIER] * 2] * 2
    assert INDEPENDENT_VERIFIER != "agent-0"


def test_reviewers_rotate_and_spread_over_the_others() -> None:
    assert cross_assignments([0, 1, 2], AGENTS[:3], 2) == [
        ["agent-1", "agent-2"],
        ["agent-2", "agent-0"],
        ["agent-0", "agent-1"],
    ]
    assert cross_assignments([0], AGENTS[:3], 4) == [["agent-1", "agent-2", "agent-1", "agent-2"]]


def test_verification_instructions_fill_a_prefix_cache_block() -> None:
    # the CPU engine caches full 128-token blocks; the instructions alone must fill one
    assert len(VERIFY_SYSTEM.split()) > 150


async def test_verify_batch_is_one_call_with_reviews_in_pass_order() -> None:
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        text = prompt.messages[-1].content
        return "VERDICT: CORRECT\nSCORE: 0.8" if "review 1 of" in text else "VERDICT: INCORRECT"

    client = ScriptedClient(reply)
    solutions = [Solution(reasoning="2 + 2 = 4"), Solution(reasoning="2 + 2 = 5")]
    reviews = await verify_batch(
        Run.start("2+2?", client, StrategyConfig()),
        solutions,
        [["agent-1", "agent-2"], ["agent-0"]],
        sampling=Sampling(temperature=0.2, max_tokens=32, n=3),
    )
    [call] = client.calls
    assert len(call.prompts) == 3 and set(call.tags) == {"verification"}
    assert {s.n for s in call.samplings} == {1}
    assert [[(r.verifier_id, r.pass_index) for r in rs] for rs in reviews] == [
        [("agent-1", 1), ("agent-2", 2)],
        [("agent-0", 1)],
    ]
    assert [r.solution_id for r in reviews[0]] == [solutions[0].id] * 2
    assert reviews[0][0].verdict == Verdict(True, 0.8)
    assert reviews[0][1].verdict == Verdict(False, None)


async def test_verify_batch_with_no_reviews_makes_no_call() -> None:
    client = ScriptedClient(lambda p, s: "unused")
    assert await verify_batch(Run.start("q", client, StrategyConfig()), [Solution()], [[]], sampling=Sampling()) == [[]]
    assert client.calls == []


def review(text_verdict: Verdict) -> Review:
    return Review("s", "agent-1", 1, text_verdict, "")


@pytest.mark.parametrize(
    ("verdict", "positive", "score", "fallback"),
    [
        (Verdict(True, 0.7), True, 0.7, None),
        (Verdict(True, None), True, 1.0, "no score"),
        (Verdict(False, None), False, 0.0, "no score"),
        (Verdict(None, 0.9), False, 0.9, "no verdict"),
        (Verdict(None, None), False, 0.0, "no verdict"),
    ],
)
def test_review_positive_score_and_fallback(
    verdict: Verdict, positive: bool, score: float, fallback: str | None
) -> None:
    r = review(verdict)
    assert (r.positive, r.score, r.fallback) == (positive, score, fallback)


def test_consecutive_positives_count_from_the_latest() -> None:
    yes, no = review(Verdict(True, 1.0)), review(Verdict(False, 0.0))
    assert consecutive_positives([yes, no, yes, yes]) == 2
    assert consecutive_positives([yes, yes, no]) == 0
    assert consecutive_positives([]) == 0


def test_reviewed_sets_verification_from_the_reviews() -> None:
    yes, no = review(Verdict(True, 0.9)), review(Verdict(False, 0.1))
    solution = Solution(reasoning="x")
    assert reviewed(solution, [yes, yes], passes_required=2).is_verified
    checked = reviewed(solution, [yes, no], passes_required=1)
    assert not checked.is_verified and checked.verification_score == pytest.approx(0.5)
    assert reviewed(solution, [], passes_required=1) is solution
    assert not solution.is_verified  # the input is left as it was
