"""Vectorized consensus over a batch of questions, each with up to N candidates.

Shapes: ``Q`` questions, ``N`` candidate slots per question (ragged batches are
padded; ``mask`` marks the slots that hold a candidate). A candidate is *valid*
when ``mask`` is True and its id is ``>= 0`` (it has an answer); ids are
compared within a question only. ``encode_keys`` builds ids from answer keys;
any other integer labels work too (negative = no answer).

Scores (``verification``, ``confidence``, ``scores``) are ``(Q, N)`` real arrays;
entries where ``mask`` is False are ignored and may hold anything, even NaN.
Nothing below loops in Python over questions or candidates except
``encode_keys``, which must read the strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kernels._arrays import as_scores, check_k
from kernels._groups import Key, Slots, narrow, slots_of, valid_of

__all__ = [
    "DEFAULT_WEIGHTS",
    "EncodedKeys",
    "Vote",
    "VoteWeights",
    "agreement_matrix",
    "consensus_scores",
    "encode_keys",
    "majority_vote",
    "top_k",
    "weighted_vote",
]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class EncodedKeys:
    """Answer keys of a ragged batch as arrays.

    Example:
        >>> encode_keys([["4", "", "4"], ["1/2"]]).ids.tolist()
        [[0, -1, 0], [0, -1, -1]]
    """

    ids: Int64Array
    """``(Q, N) int64``: per-question labels numbered by first occurrence; -1 for "" or padding."""
    mask: BoolArray
    """``(Q, N) bool``: True where a candidate exists (even one with key "")."""


@dataclass(frozen=True, eq=False)
class Vote:
    """The answer group each question settles on.

    Example:
        >>> majority_vote(np.array([[0, 1, 1]]), np.ones((1, 3), bool)).winner.tolist()
        [1]
    """

    winner: Int64Array
    """``(Q,) int64``: index of the winning group's representative candidate, -1 if none valid."""
    votes: Int64Array
    """``(Q,) int64``: candidates in the winning group (0 when no valid candidate)."""
    share: FloatArray
    """``(Q,) float64``: ``votes`` / valid candidates (0.0 when no valid candidate)."""


@dataclass(frozen=True)
class VoteWeights:
    """Weights of a group's score in ``weighted_vote``; all must be finite and >= 0.

    score = count * votes + verification * sum(verification)
            + confidence * sum(exp(min(confidence, 0)))

    Example:
        >>> VoteWeights(confidence=0.5).count
        1.0
    """

    count: float = 1.0
    """Weight of the number of candidates in the group."""
    verification: float = 1.0
    """Weight of the group's summed verification scores (each in [0, 1])."""
    confidence: float = 0.0
    """Weight of the group's summed exp(mean token log-prob), i.e. per-candidate
    geometric-mean token probability in (0, 1]; log-probs above 0 count as 0."""

    def __post_init__(self) -> None:
        for name in ("count", "verification", "confidence"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"VoteWeights.{name} must be finite and >= 0, got {value}")


DEFAULT_WEIGHTS = VoteWeights()
"""Count and verification weigh 1.0 each; confidence is off."""


def encode_keys(keys: Sequence[Sequence[str | None]]) -> EncodedKeys:
    """Turn ragged per-question answer keys into ``EncodedKeys`` (``(Q, N)`` arrays).

    Equal keys within a question share an id (0, 1, ... by first occurrence);
    ``""`` and ``None`` get -1. ``N`` is the longest row (0 for no rows).

    Example:
        >>> encode_keys([["B", "A", "B"], []]).mask.tolist()
        [[True, True, True], [False, False, False]]
    """
    lengths = np.fromiter((len(row) for row in keys), dtype=np.int64, count=len(keys))
    flat: list[int] = []
    for row in keys:
        seen: dict[str, int] = {}
        flat.extend(seen.setdefault(key, len(seen)) if key else -1 for key in row)
    width = int(lengths.max(initial=0))
    mask = np.arange(width) < lengths[:, None]
    ids = np.full((len(keys), width), -1, dtype=np.int64)
    ids[mask] = flat
    return EncodedKeys(ids=ids, mask=mask)


def agreement_matrix(ids: npt.ArrayLike, mask: npt.ArrayLike) -> BoolArray:
    """Which candidate pairs share a valid answer.

    ``ids: (Q, N) int, mask: (Q, N) bool -> (Q, N, N) bool``; entry ``[q, i, j]``
    is True when i and j are both valid with equal ids. The diagonal is True
    exactly for valid candidates (a valid candidate agrees with itself).

    Example:
        >>> agreement_matrix(np.array([[0, 0, -1]]), np.ones((1, 3), bool))[0].tolist()
        [[True, True, False], [True, True, False], [False, False, False]]
    """
    slots = slots_of(ids, mask)
    both_valid = slots.valid[:, :, None] & slots.valid[:, None, :]
    return both_valid & (slots.slot[:, :, None] == slots.slot[:, None, :])


def consensus_scores(ids: npt.ArrayLike, mask: npt.ArrayLike) -> FloatArray:
    """Share of the OTHER valid candidates of the same question that agree.

    ``ids: (Q, N) int, mask: (Q, N) bool -> (Q, N) float64`` in [0, 1]. 0.0 for
    invalid candidates, and 0.0 for a lone valid candidate (no one to agree).

    Example:
        >>> consensus_scores(np.array([[0, 0, 1]]), np.ones((1, 3), bool)).tolist()
        [[0.5, 0.5, 0.0]]
    """
    slots = slots_of(ids, mask)
    counts = slots.group_sum()
    others = np.maximum(counts[1:].sum(axis=0) - 1, 1)
    agreeing = slots.at_candidates(counts)
    del counts
    agreeing -= 1
    agreeing *= slots.valid
    return agreeing / others[:, None]


def _winning_groups(
    slots: Slots,
    verification: FloatArray | None,
    confidence: FloatArray | None,
    weights: VoteWeights | None,
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """``(Q,)`` slot of each question's winning group, its votes, and valid candidates."""
    q = slots.valid.shape[0]
    # 1) group table: votes; further keys are built only while ties remain
    counts = slots.group_sum()
    votes = counts[1:]
    n_valid = votes.sum(axis=0)
    eligible = votes > 0
    keys: list[Key] = []
    if weights is None:
        eligible &= votes == votes.max(axis=0)
    else:
        keys += [
            lambda: (_weighted_score(slots, verification, confidence, weights), True),
            lambda: (votes.copy(), True),
        ]
    if verification is not None:
        keys.append(lambda: (slots.group_sum(verification)[1:], True))
    if confidence is not None:
        keys.append(lambda: (slots.group_sum(confidence)[1:], False))
    best = np.zeros(counts.shape, dtype=bool)
    best[1:] = narrow(eligible, keys)
    # 2) remaining ties go to the group holding the lowest candidate index
    first = slots.at_candidates(best).argmax(axis=1)
    win_slot = slots.slot[np.arange(q), first]
    won = np.where(n_valid > 0, counts.ravel()[win_slot], 0).astype(np.int64)
    return win_slot, won, n_valid


def _vote(
    slots: Slots,
    verification: FloatArray | None,
    confidence: FloatArray | None,
    weights: VoteWeights | None,
) -> Vote:
    """Pick each question's group, then its representative (``weights=None``: plain majority)."""
    q, n = slots.valid.shape
    if n == 0:
        return Vote(
            winner=np.full(q, -1, dtype=np.int64),
            votes=np.zeros(q, dtype=np.int64),
            share=np.zeros(q, dtype=np.float64),
        )
    win_slot, won, n_valid = _winning_groups(slots, verification, confidence, weights)
    # 3) representative: best verification, then confidence, then lowest index
    member_keys: list[Key] = []
    if verification is not None:
        member_keys.append(lambda: (np.array(verification.T, order="C"), True))
    if confidence is not None:
        member_keys.append(lambda: (np.array(confidence.T, order="C"), False))
    members = narrow((slots.slot == win_slot[:, None]).T.copy(), member_keys)
    return Vote(
        winner=np.where(n_valid > 0, members.argmax(axis=0), -1).astype(np.int64),
        votes=won,
        share=won / np.maximum(n_valid, 1),
    )


def _weighted_score(
    slots: Slots,
    verification: FloatArray | None,
    confidence: FloatArray | None,
    weights: VoteWeights,
) -> FloatArray:
    """``(N, Q)`` group score of ``VoteWeights`` (>= 0, so it can be masked cheaply)."""
    score = weights.count * slots.group_sum()[1:]
    if verification is not None:
        score += weights.verification * slots.group_sum(verification)[1:]
    if confidence is not None:
        with np.errstate(invalid="ignore"):  # NaN padding outside mask lands in the dump row
            prob = np.exp(np.minimum(confidence, 0.0))
        score += weights.confidence * slots.group_sum(prob)[1:]
    return score


def _validated(
    slots: Slots, verification: npt.ArrayLike | None, confidence: npt.ArrayLike | None
) -> tuple[FloatArray | None, FloatArray | None]:
    """Checked verification (in [0, 1]) and confidence (finite); None stays None."""
    ver = None if verification is None else as_scores(verification, slots.valid, "verification", bounds=(0.0, 1.0))
    conf = None if confidence is None else as_scores(confidence, slots.valid, "confidence")
    return ver, conf


def majority_vote(
    ids: npt.ArrayLike,
    mask: npt.ArrayLike,
    verification: npt.ArrayLike | None = None,
    confidence: npt.ArrayLike | None = None,
) -> Vote:
    """Plurality vote per question with deterministic tie-breaking.

    ``ids: (Q, N) int, mask: (Q, N) bool, verification: (Q, N) float in [0, 1]
    or None (zeros), confidence: (Q, N) finite float or None (zeros) -> Vote``
    with ``(Q,)`` arrays. Groups rank by votes, then summed verification, then
    summed confidence, then lowest candidate index; the representative is the
    group's best candidate by verification, then confidence, then lowest index.

    Example:
        >>> vote = majority_vote(np.array([[0, 1, 1, 0]]), np.ones((1, 4), bool),
        ...                      verification=np.array([[0.0, 0.2, 0.9, 0.5]]))
        >>> vote.winner.tolist(), vote.votes.tolist(), vote.share.tolist()
        ([2], [2], [0.5])
    """
    slots = slots_of(ids, mask)
    return _vote(slots, *_validated(slots, verification, confidence), weights=None)


def weighted_vote(
    ids: npt.ArrayLike,
    mask: npt.ArrayLike,
    verification: npt.ArrayLike | None,
    confidence: npt.ArrayLike | None,
    *,
    weights: VoteWeights = DEFAULT_WEIGHTS,
) -> Vote:
    """Vote by a weighted group score (see ``VoteWeights``), ties as in ``majority_vote``.

    ``ids: (Q, N) int, mask: (Q, N) bool, verification: (Q, N) float in [0, 1]
    or None, confidence: (Q, N) finite mean token log-probs or None -> Vote``.
    Confidence enters the score as ``exp(min(confidence, 0))`` summed over the
    group; the confidence tie-break uses the raw summed confidence.

    Example:
        >>> vote = weighted_vote(np.array([[0, 1, 1]]), np.ones((1, 3), bool),
        ...                      np.array([[1.0, 0.1, 0.1]]), None,
        ...                      weights=VoteWeights(count=0.5, verification=2.0))
        >>> vote.winner.tolist(), vote.share.tolist()
        ([0], [0.3333333333333333])
    """
    slots = slots_of(ids, mask)
    return _vote(slots, *_validated(slots, verification, confidence), weights=weights)


def _descending_order(values: FloatArray, valid: BoolArray, k: int) -> Int64Array:
    """``(Q, N)`` candidate order: valid first by descending value, ties by lower index.

    Only the first ``k`` columns are guaranteed. A fast unstable sort of the key
    ``-value`` (``+inf`` where not valid) is exact unless equal keys reach the
    first ``k + 1`` places or a valid key equals the ``+inf`` sentinel; then an
    exact (stable) sort runs instead.
    """
    q, n = valid.shape
    key = np.negative(values)
    np.putmask(key, ~valid, np.inf)
    if not (np.isposinf(key) & valid).any():
        order = np.argsort(key, axis=1)
        head = order[:, : k + 1] + (np.arange(q, dtype=np.int64) * n)[:, None]
        head_keys, head_valid = key.ravel()[head], valid.ravel()[head]
        if not ((head_keys[:, 1:] == head_keys[:, :-1]) & head_valid[:, 1:]).any():
            return order
    return np.lexsort((key, ~valid), axis=1)


def top_k(ids: npt.ArrayLike, mask: npt.ArrayLike, scores: npt.ArrayLike, k: int) -> Int64Array:
    """Indices of each question's k best valid candidates by descending score.

    ``ids: (Q, N) int, mask: (Q, N) bool, scores: (Q, N) float (no NaN; +-inf
    allowed), k >= 1 -> (Q, k) int64``; ties go to the lower index; rows with
    fewer than k valid candidates are padded with -1.

    Example:
        >>> top_k(np.array([[0, -1, 1, 2]]), np.ones((1, 4), bool),
        ...       np.array([[0.5, 9.0, 0.7, 0.5]]), 3).tolist()
        [[2, 0, 3]]
    """
    k = check_k(k)
    _, valid = valid_of(ids, mask)
    values = as_scores(scores, valid, "scores", allow_inf=True)
    order = _descending_order(values, valid, k)[:, :k]
    chosen = np.where(np.take_along_axis(valid, order, axis=1), order, -1)
    padding = np.full((valid.shape[0], k - chosen.shape[1]), -1, dtype=np.int64)
    return np.concatenate([chosen.astype(np.int64), padding], axis=1)
