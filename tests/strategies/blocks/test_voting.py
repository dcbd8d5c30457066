"""Consensus: the majority vote's chosen solution, confidence = vote share."""

from __future__ import annotations

import pytest

from strategies import Solution
from strategies.blocks.voting import consensus


def test_consensus_picks_the_majority_and_sets_its_share_as_confidence() -> None:
    sols = [Solution(reasoning=k, answer_key=k) for k in ("5", "4", "4", "")]
    vote = consensus(sols)
    assert vote.solution.answer_key == "4" and vote.rule == "majority"
    assert vote.votes == {"5": 1, "4": 2}
    assert vote.solution.confidence == pytest.approx(2 / 3)
    assert sols[1].confidence == 0.0, "the input is not modified"


def test_consensus_without_answers_keeps_the_first_text() -> None:
    vote = consensus([Solution(reasoning=""), Solution(reasoning="hmm")])
    assert vote.solution.reasoning == "hmm" and vote.rule == "no-answer" and vote.pick.index == -1


def test_consensus_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        consensus([])
