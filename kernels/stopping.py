"""Stopping rules for sampling in waves: is the vote over the samples drawn so far settled?

A strategy that samples in waves (self-consistency, diverse sampling) asks after each wave
whether the samples still to come could matter. Both rules read the vote counts of canonical
answer keys (``kernels.answer_key``); a sample with no answer (key ``""``, id ``-1``) never
leads and never runs up, it only uses up a sample.

- **cannot be overtaken** (exact): the leader's votes exceed the runner-up's plus every sample
  still to come, so no outcome of the remaining samples can change the majority.
- **Beta** (Adaptive-Consistency, Aggarwal et al. 2023): with ``a`` votes for the leader and
  ``b`` for the runner-up, the posterior probability that the leader's answer is the likelier
  one is ``P(X > 1/2)`` for ``X ~ Beta(a + 1, b + 1)``, i.e. ``1 - I_0.5(a + 1, b + 1)``; stop
  once it reaches a confidence (0.95 in the paper). For integer counts it is a binomial tail,
  ``sum(comb(a + b + 1, j) for j <= a) / 2 ** (a + b + 1)``, computed exactly with ``math.comb``.

Shapes follow ``kernels.consensus``: ``ids: (Q, N) int``, ``mask: (Q, N) bool``; per-question
results are ``(Q,)`` arrays.

Example:
    >>> stop_rule(["4", "4", "4", "4"], remaining=12)
    'beta'
    >>> stop_rule(["4", "4", "5", "4"], remaining=1)
    'cannot-be-overtaken'
    >>> stop_rule(["4", "5", "4", ""], remaining=12) is None
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from kernels._groups import slots_of
from kernels.consensus import encode_keys

__all__ = [
    "DEFAULT_STOP_CONFIDENCE",
    "Settlement",
    "StopRule",
    "beta_win_probability",
    "cannot_be_overtaken",
    "settlement",
    "stop_rule",
    "top_two_votes",
]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

StopRule = Literal["cannot-be-overtaken", "beta"]
"""The rule that settled a vote: the exact one, or the Beta criterion."""

DEFAULT_STOP_CONFIDENCE = 0.95
"""Adaptive-Consistency's threshold on P(leader's answer is the likelier one)."""


def _counts(values: npt.ArrayLike, name: str) -> Int64Array:
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integer counts, got dtype {array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be >= 0, found {array.min()}")
    return array.astype(np.int64, copy=False)


def _check_confidence(confidence: float) -> float:
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0.5, 1), got {confidence}: at 0.5 a tie would count as settled")
    return float(confidence)


def top_two_votes(ids: npt.ArrayLike, mask: npt.ArrayLike) -> tuple[Int64Array, Int64Array]:
    """Votes of each question's leading answer and of its runner-up.

    ``ids: (Q, N) int, mask: (Q, N) bool -> ((Q,) int64, (Q,) int64)``. Only valid candidates
    vote (mask True, id >= 0); a question with fewer than two answers has 0 for the missing
    ones. Equal top counts give leader == runner-up.

    Example:
        >>> leader, runner_up = top_two_votes(np.array([[0, 1, 0, -1], [2, 2, 2, 2]]), np.ones((2, 4), bool))
        >>> leader.tolist(), runner_up.tolist()
        ([2, 4], [1, 0])
    """
    slots = slots_of(ids, mask)
    votes = slots.group_sum()[1:]  # (N, Q): votes per answer group
    n, q = votes.shape
    if n == 0:
        return np.zeros(q, dtype=np.int64), np.zeros(q, dtype=np.int64)
    if n == 1:
        return votes[0].astype(np.int64), np.zeros(q, dtype=np.int64)
    top = np.partition(votes, n - 2, axis=0)[n - 2 :]  # rows: runner-up, leader
    return top[1].astype(np.int64), top[0].astype(np.int64)


def cannot_be_overtaken(leader: npt.ArrayLike, runner_up: npt.ArrayLike, remaining: npt.ArrayLike) -> BoolArray:
    """Whether the leader stays strictly ahead whatever the remaining samples say.

    ``leader, runner_up, remaining: (Q,) int >= 0`` (or scalars; they broadcast) ``-> (Q,) bool``:
    ``leader > runner_up + remaining``. Any other answer has at most ``runner_up`` votes, so it
    cannot catch up either.

    Example:
        >>> cannot_be_overtaken([3, 3], [1, 1], [1, 2]).tolist()
        [True, False]
    """
    a, b, r = _counts(leader, "leader"), _counts(runner_up, "runner_up"), _counts(remaining, "remaining")
    return np.asarray(a > b + r)


@lru_cache(maxsize=4096)
def _leader_probability(a: int, b: int) -> float:
    """P(X > 1/2), X ~ Beta(a + 1, b + 1): the chance that a fair coin shows at most `a` heads
    in `a + b + 1` tosses (exact integer sum, one rounding)."""
    n = a + b + 1
    return sum(math.comb(n, j) for j in range(a + 1)) / 2**n


def beta_win_probability(leader: npt.ArrayLike, runner_up: npt.ArrayLike) -> FloatArray:
    """Posterior probability that the leader's answer is likelier than the runner-up's.

    ``leader, runner_up: (Q,) int >= 0`` (or scalars; they broadcast) ``-> (Q,) float64``:
    ``1 - I_0.5(leader + 1, runner_up + 1)``, the mass of ``Beta(leader + 1, runner_up + 1)``
    above 1/2 (uniform priors on the two answers' probabilities). Exact for integers: 0.5 at a
    tie, ``1 - 2 ** -(a + 1)`` for ``a`` votes against none.

    Example:
        >>> beta_win_probability([0, 1, 4, 3], [0, 0, 0, 1]).tolist()
        [0.5, 0.75, 0.96875, 0.8125]
    """
    a, b = np.broadcast_arrays(_counts(leader, "leader"), _counts(runner_up, "runner_up"))
    out = np.fromiter(
        (_leader_probability(int(x), int(y)) for x, y in zip(a.ravel(), b.ravel(), strict=True)),
        dtype=np.float64,
        count=a.size,
    )
    return out.reshape(a.shape)


@dataclass(frozen=True, eq=False)
class Settlement:
    """Where each question's vote stands after the samples drawn so far.

    Example:
        >>> s = settlement(np.array([[0, 0, 0, 0]]), np.ones((1, 4), bool), remaining=12)
        >>> s.settled.tolist(), s.rule(0), round(float(s.probability[0]), 4)
        ([True], 'beta', 0.9688)
    """

    leader_votes: Int64Array
    """``(Q,) int64``: votes of the leading answer (0 when no sample has an answer)."""
    runner_up_votes: Int64Array
    """``(Q,) int64``: votes of the second answer (0 when there is none)."""
    remaining: Int64Array
    """``(Q,) int64``: samples still to be drawn."""
    probability: FloatArray
    """``(Q,) float64``: ``beta_win_probability(leader_votes, runner_up_votes)``."""
    decided: BoolArray
    """``(Q,) bool``: ``cannot_be_overtaken`` (exact)."""
    confident: BoolArray
    """``(Q,) bool``: ``probability >= confidence``."""

    @property
    def settled(self) -> BoolArray:
        """``(Q,) bool``: settled by either rule."""
        return self.decided | self.confident

    def rule(self, q: int = 0) -> StopRule | None:
        """The rule that settles question ``q``: the exact one first, then Beta; None if neither."""
        if self.decided[q]:
            return "cannot-be-overtaken"
        if self.confident[q]:
            return "beta"
        return None


def settlement(
    ids: npt.ArrayLike,
    mask: npt.ArrayLike,
    remaining: npt.ArrayLike,
    *,
    confidence: float = DEFAULT_STOP_CONFIDENCE,
) -> Settlement:
    """Both stopping rules for a batch of votes.

    ``ids: (Q, N) int, mask: (Q, N) bool, remaining: (Q,) int >= 0 (or a scalar),
    confidence in (0.5, 1) -> Settlement`` of ``(Q,)`` arrays.

    Example:
        >>> s = settlement(np.array([[0, 0, 1, 0], [0, 1, 0, 1]]), np.ones((2, 4), bool), remaining=[1, 8])
        >>> s.decided.tolist(), s.confident.tolist(), s.rule(0), s.rule(1)
        ([True, False], [False, False], 'cannot-be-overtaken', None)
    """
    threshold = _check_confidence(confidence)
    leader, runner_up = top_two_votes(ids, mask)
    left = np.broadcast_to(_counts(remaining, "remaining"), leader.shape).astype(np.int64)
    probability = beta_win_probability(leader, runner_up)
    return Settlement(
        leader_votes=leader,
        runner_up_votes=runner_up,
        remaining=left,
        probability=probability,
        decided=cannot_be_overtaken(leader, runner_up, left),
        confident=probability >= threshold,
    )


def stop_rule(keys: Sequence[str], remaining: int, *, confidence: float = DEFAULT_STOP_CONFIDENCE) -> StopRule | None:
    """One question: the rule that settles the vote over its answer ``keys`` (``""``: no answer)
    with ``remaining`` samples to come, or None if the remaining samples still matter.

    Example:
        >>> stop_rule(["7", "", "7", "7"], remaining=4), stop_rule(["7", "", "7", "7"], remaining=2)
        (None, 'cannot-be-overtaken')
    """
    encoded = encode_keys([list(keys)])
    return settlement(encoded.ids, encoded.mask, remaining, confidence=confidence).rule(0)
