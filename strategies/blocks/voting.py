"""Consensus over a list of solutions, through the vectorized kernels (one question, Q = 1).

Example:
    >>> from strategies.core.solution import Solution
    >>> sols = [Solution(answer_key=k) for k in ("4", "5", "4")]
    >>> pick = majority(sols)
    >>> pick.index, round(pick.share, 2)
    (0, 0.67)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kernels import VoteWeights, consensus_scores, encode_keys, majority_vote, top_k, weighted_vote
from strategies.core.solution import Solution

if TYPE_CHECKING:
    from strategies.core.run import Run


@dataclass(frozen=True, slots=True)
class Pick:
    """The chosen solution's index (-1: no solution had an answer), its votes and vote share."""

    index: int
    votes: int
    share: float


def _arrays(solutions: Sequence[Solution]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    enc = encode_keys([[s.answer_key for s in solutions]])
    verification = np.array([[s.verification_score for s in solutions]], dtype=np.float64)
    confidence = np.array([[s.confidence for s in solutions]], dtype=np.float64)
    return enc.ids, enc.mask, verification, confidence


def majority(solutions: Sequence[Solution]) -> Pick:
    """Majority vote on answer keys; ties by summed verification, then confidence, then order."""
    if not solutions:
        return Pick(-1, 0, 0.0)
    ids, mask, verification, confidence = _arrays(solutions)
    vote = majority_vote(ids, mask, verification, confidence)
    return Pick(int(vote.winner[0]), int(vote.votes[0]), float(vote.share[0]))


def weighted(solutions: Sequence[Solution], weights: VoteWeights) -> Pick:
    """Weighted vote (count, verification and confidence weights) on answer keys."""
    if not solutions:
        return Pick(-1, 0, 0.0)
    ids, mask, verification, confidence = _arrays(solutions)
    vote = weighted_vote(ids, mask, verification, confidence, weights=weights)
    return Pick(int(vote.winner[0]), int(vote.votes[0]), float(vote.share[0]))


def agreement(solutions: Sequence[Solution]) -> list[float]:
    """Each solution's consensus score: the share of the others that give the same answer."""
    if not solutions:
        return []
    ids, mask, _, _ = _arrays(solutions)
    return [float(x) for x in consensus_scores(ids, mask)[0]]


def best_indices(solutions: Sequence[Solution], scores: Sequence[float], k: int) -> list[int]:
    """Indices of the k best solutions with an answer, by `scores` (ties: lower index)."""
    if not solutions:
        return []
    ids, mask, _, _ = _arrays(solutions)
    picked = top_k(ids, mask, np.array([scores], dtype=np.float64), k)[0]
    return [int(i) for i in picked if i >= 0]


def ranking(solutions: Sequence[Solution]) -> list[int]:
    """Every index, best first: solutions with an answer by verification score plus agreement
    (ties: lower index), then those without an answer, in order.

    >>> reviewed = Solution(answer_key="4", verification_score=1.0)
    >>> ranking([Solution(), Solution(answer_key="5"), reviewed])
    [2, 1, 0]
    """
    agree = agreement(solutions)
    scores = [s.verification_score + a for s, a in zip(solutions, agree, strict=True)]
    best = best_indices(solutions, scores, len(solutions))
    chosen = set(best)
    return best + [i for i in range(len(solutions)) if i not in chosen]


@dataclass(frozen=True, slots=True)
class Consensus:
    """The majority vote over a list of solutions, and the solution it chose.

    `solution` is a copy of the winning group's representative with `confidence` set to the
    vote share; when no solution had an answer it is the first one with any text (confidence
    0) and `pick.index` is -1.
    """

    solution: Solution
    pick: Pick
    votes: dict[str, int]

    @property
    def rule(self) -> str:
        """`majority`, or `no-answer` when nothing could be voted on."""
        return "majority" if self.pick.index >= 0 else "no-answer"

    def summary(self) -> dict[str, object]:
        """A JSON-friendly record for `SolutionMetadata.details`."""
        return {"votes": self.votes, "winner": self.pick.index, "share": self.pick.share}


def consensus(solutions: Sequence[Solution]) -> Consensus:
    """Majority vote (`majority`) and its chosen solution, confidence = vote share.

    >>> result = consensus([Solution(answer_key=k) for k in ("4", "5", "4")])
    >>> result.votes, round(result.solution.confidence, 2)
    ({'4': 2, '5': 1}, 0.67)
    """
    if not solutions:
        raise ValueError("consensus needs at least one solution")
    pick = majority(solutions)
    votes = dict(Counter(s.answer_key for s in solutions if s.answer_key))
    if pick.index >= 0:
        chosen = solutions[pick.index]
    else:
        chosen = next((s for s in solutions if s.reasoning.strip()), solutions[0])
    return Consensus(chosen.model_copy(update={"confidence": pick.share}, deep=True), pick, votes)


def vote_on(run: Run[Any], solutions: Sequence[Solution]) -> tuple[Solution, str]:
    """`consensus` as a pipeline's last step: the vote goes into the run's details (a vote with
    no answer at all is a fallback); returns the chosen solution and the rule.

    For strategies that end in a plain majority vote (self-consistency, diverse sampling, RSA).
    """
    vote = consensus(solutions)
    run.details.update(vote.summary())
    if vote.pick.index < 0:
        run.fallback("vote: no solution stated an answer; kept the first")
    return vote.solution, vote.rule
