"""Plain-Python reference versions of ``kernels.consensus`` (for tests and benchmarks).

Same arguments and results as the vectorized kernels, written as the obvious
loops over questions and candidates, without input checks. They group raw ids
with a dict, so they do not share the vectorized labelling code.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from kernels.consensus import DEFAULT_WEIGHTS, Vote, VoteWeights

__all__ = [
    "reference_agreement_matrix",
    "reference_consensus_scores",
    "reference_majority_vote",
    "reference_top_k",
    "reference_weighted_vote",
]

Row = list[int]


def _groups(ids: Row, mask: list[bool]) -> dict[int, Row]:
    """Valid candidate indices grouped by id, each group in index order."""
    groups: dict[int, Row] = {}
    for j, (key, present) in enumerate(zip(ids, mask, strict=True)):
        if present and key >= 0:
            groups.setdefault(key, []).append(j)
    return groups


def _optional_rows(values: npt.ArrayLike | None, shape: tuple[int, ...]) -> list[list[float]]:
    """Scores as nested lists; ``None`` becomes zeros."""
    return np.zeros(shape).tolist() if values is None else np.asarray(values).tolist()


def reference_agreement_matrix(ids: npt.ArrayLike, mask: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Loop version of ``agreement_matrix``.

    Example:
        >>> reference_agreement_matrix([[1, 1]], [[True, True]]).tolist()
        [[[True, True], [True, True]]]
    """
    id_rows, mask_rows = np.asarray(ids).tolist(), np.asarray(mask).tolist()
    out = []
    for row_ids, row_mask in zip(id_rows, mask_rows, strict=True):
        ok = [m and i >= 0 for i, m in zip(row_ids, row_mask, strict=True)]
        out.append([[ok[i] and ok[j] and row_ids[i] == row_ids[j] for j in range(len(ok))] for i in range(len(ok))])
    return np.array(out, dtype=bool).reshape(len(id_rows), *np.shape(ids)[1:] * 2)


def reference_consensus_scores(ids: npt.ArrayLike, mask: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Loop version of ``consensus_scores``.

    Example:
        >>> reference_consensus_scores([[2, 2, 3]], [[True, True, True]]).tolist()
        [[0.5, 0.5, 0.0]]
    """
    id_rows, mask_rows = np.asarray(ids).tolist(), np.asarray(mask).tolist()
    out = np.zeros(np.shape(ids), dtype=np.float64)
    for q, (row_ids, row_mask) in enumerate(zip(id_rows, mask_rows, strict=True)):
        groups = _groups(row_ids, row_mask)
        others = sum(len(g) for g in groups.values()) - 1
        for members in groups.values():
            for j in members:
                out[q, j] = (len(members) - 1) / others if others > 0 else 0.0
    return out


def _vote_row(
    groups: dict[int, Row], ver: list[float], conf: list[float], weights: VoteWeights | None
) -> tuple[int, int, float]:
    """(winner, votes, share) of one question; ``weights=None`` means plain majority."""
    if not groups:
        return -1, 0, 0.0

    def rank(members: Row) -> tuple[float, ...]:
        votes, ver_sum = len(members), sum(ver[j] for j in members)
        ties = (votes, ver_sum, sum(conf[j] for j in members), -members[0])
        if weights is None:
            return ties
        prob_sum = sum(math.exp(min(conf[j], 0.0)) for j in members)
        score = weights.count * votes + weights.verification * ver_sum + weights.confidence * prob_sum
        return (score, *ties)

    best = max(groups.values(), key=rank)
    winner = max(best, key=lambda j: (ver[j], conf[j], -j))
    return winner, len(best), len(best) / sum(len(g) for g in groups.values())


def _reference_vote(
    ids: npt.ArrayLike,
    mask: npt.ArrayLike,
    verification: npt.ArrayLike | None,
    confidence: npt.ArrayLike | None,
    weights: VoteWeights | None,
) -> Vote:
    """Both votes, one question at a time."""
    shape = np.shape(ids)
    ver_rows = _optional_rows(verification, shape)
    conf_rows = _optional_rows(confidence, shape)
    id_rows, mask_rows = np.asarray(ids).tolist(), np.asarray(mask).tolist()
    results = [
        _vote_row(_groups(row_ids, row_mask), ver, conf, weights)
        for row_ids, row_mask, ver, conf in zip(id_rows, mask_rows, ver_rows, conf_rows, strict=True)
    ]
    winners, votes, shares = zip(*results, strict=True) if results else ((), (), ())
    return Vote(
        winner=np.array(winners, dtype=np.int64),
        votes=np.array(votes, dtype=np.int64),
        share=np.array(shares, dtype=np.float64),
    )


def reference_majority_vote(
    ids: npt.ArrayLike,
    mask: npt.ArrayLike,
    verification: npt.ArrayLike | None = None,
    confidence: npt.ArrayLike | None = None,
) -> Vote:
    """Loop version of ``majority_vote``.

    Example:
        >>> reference_majority_vote([[0, 1, 1]], [[True, True, True]]).winner.tolist()
        [1]
    """
    return _reference_vote(ids, mask, verification, confidence, weights=None)


def reference_weighted_vote(
    ids: npt.ArrayLike,
    mask: npt.ArrayLike,
    verification: npt.ArrayLike | None,
    confidence: npt.ArrayLike | None,
    *,
    weights: VoteWeights = DEFAULT_WEIGHTS,
) -> Vote:
    """Loop version of ``weighted_vote``.

    Example:
        >>> reference_weighted_vote([[0, 1]], [[True, True]], [[0.0, 1.0]], None).winner.tolist()
        [1]
    """
    return _reference_vote(ids, mask, verification, confidence, weights=weights)


def reference_top_k(ids: npt.ArrayLike, mask: npt.ArrayLike, scores: npt.ArrayLike, k: int) -> npt.NDArray[np.int64]:
    """Loop version of ``top_k``.

    Example:
        >>> reference_top_k([[0, 1]], [[True, True]], [[0.1, 0.9]], 3).tolist()
        [[1, 0, -1]]
    """
    id_rows, mask_rows = np.asarray(ids).tolist(), np.asarray(mask).tolist()
    score_rows = np.asarray(scores).tolist()
    out = []
    for row_ids, row_mask, row_scores in zip(id_rows, mask_rows, score_rows, strict=True):
        valid = [j for j in range(len(row_ids)) if row_mask[j] and row_ids[j] >= 0]
        ranked = sorted(valid, key=lambda j: (-row_scores[j], j))[:k]
        out.append(ranked + [-1] * (k - len(ranked)))
    return np.array(out, dtype=np.int64).reshape(len(id_rows), k)
