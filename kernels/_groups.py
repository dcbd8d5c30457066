"""Group tables behind the consensus kernels: slots, group sums, lexicographic narrowing.

Groups (equal ids within a question) live in an ``(N + 1, Q)`` table: row
``id + 1``, column question, so per-question reductions run over the
contiguous axis 0. Candidates that are not valid all point at slot 0, in the
dump row 0, which is never read.

Memory matters as much as arithmetic here: a fresh ``(Q, N)`` float64
temporary costs page faults that can exceed the work done in it. So tie-break
keys are built lazily (only while some question still has a tie) and are
masked in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kernels._arrays import as_ids, as_mask

__all__ = ["Key", "Slots", "has_ties", "narrow", "slots_of", "valid_of"]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Key = Callable[[], tuple[npt.NDArray[Any], bool]]
"""Builds ``(values, non_negative)``: an ``(M, Q)`` array the caller may overwrite."""


@dataclass(frozen=True, eq=False)
class Slots:
    """A validated batch with each valid candidate's group slot.

    Example:
        >>> slots_of(np.array([[1, 1, -1]]), np.ones((1, 3), bool)).slot.tolist()
        [[2, 2, 0]]
    """

    valid: BoolArray
    """``(Q, N) bool``: mask and id >= 0."""
    slot: Int64Array
    """``(Q, N) int64``: flat index into the ``(N + 1, Q)`` group table; 0 when not valid."""

    def group_sum(self, weights: FloatArray | None = None) -> npt.NDArray[Any]:
        """``(N + 1, Q)``: per group, its member count (int64) or its sum of ``weights``."""
        q, n = self.valid.shape
        flat_weights = None if weights is None else weights.ravel()
        totals = np.bincount(self.slot.ravel(), weights=flat_weights, minlength=(n + 1) * q)
        return totals.reshape(n + 1, q)

    def at_candidates(self, table: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """``(Q, N)``: each candidate's entry of an ``(N + 1, Q)`` group table."""
        return table.ravel()[self.slot]


def valid_of(ids: npt.ArrayLike, mask: npt.ArrayLike) -> tuple[Int64Array, BoolArray]:
    """Validated ``ids`` and ``valid = mask & (ids >= 0)``, both ``(Q, N)``.

    Example:
        >>> valid_of([[3, -1]], np.array([[True, True]]))[1].tolist()
        [[True, False]]
    """
    checked = as_ids(ids)
    valid = checked >= 0
    valid &= as_mask(mask, checked.shape)
    return checked, valid


def _dense_ids(ids: Int64Array, valid: BoolArray) -> Int64Array:
    """Relabel valid ids to ``[0, N)`` per question (any integer labels are allowed)."""
    rows = np.nonzero(valid)[0]
    groups, inverse = np.unique(np.stack([rows, ids[valid]], axis=1), axis=0, return_inverse=True)
    dense = np.full(ids.shape, -1, dtype=np.int64)
    dense[valid] = inverse.ravel() - np.searchsorted(groups[:, 0], rows)
    return dense


def slots_of(ids: npt.ArrayLike, mask: npt.ArrayLike) -> Slots:
    """Validate ``ids``/``mask`` and give each valid candidate its group slot.

    Example:
        >>> slots_of(np.array([[7, 9, 7]]), np.ones((1, 3), bool)).group_sum()[1:].ravel().tolist()
        [2, 1, 0]
    """
    checked, valid = valid_of(ids, mask)
    q, n = checked.shape
    if checked.size and checked.max() >= n:
        checked = _dense_ids(checked, valid)
    slot = checked * q
    slot += np.arange(q, dtype=np.int64)[:, None] + q
    slot *= valid
    return Slots(valid=valid, slot=slot)


def has_ties(eligible: BoolArray) -> bool:
    """Whether some column of an ``(M, Q)`` mask has more than one True.

    Example:
        >>> has_ties(np.array([[True, False], [True, True]]))
        True
    """
    return bool(np.count_nonzero(eligible) > np.count_nonzero(eligible.any(axis=0)))


def narrow(eligible: BoolArray, keys: Iterable[Key]) -> BoolArray:
    """Keep, per column of ``(M, Q)`` arrays, the eligible rows that maximize ``keys`` in order.

    A key is only built while some column still has a tie. Non-negative keys
    are masked by multiplying with ``eligible`` (``fmax`` skips NaN that
    garbage outside ``eligible`` may produce); other keys get ``-inf`` outside it.
    ``eligible`` is updated in place and returned.

    Example:
        >>> votes = np.array([[2, 2], [2, 1]])
        >>> narrow(np.ones((2, 2), bool), [lambda: (votes.copy(), True)]).tolist()
        [[True, True], [True, False]]
    """
    for make_key in keys:
        if not has_ties(eligible):
            break
        values, non_negative = make_key()
        if non_negative:
            with np.errstate(invalid="ignore"):  # inf * 0 outside eligible gives NaN
                values *= eligible
            best = np.fmax.reduce(values, axis=0)
        else:
            np.putmask(values, ~eligible, -np.inf)
            best = values.max(axis=0)
        eligible &= values == best
    return eligible
