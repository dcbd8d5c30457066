"""Input checks for the consensus kernels: each failure is a ``ValueError`` naming the argument."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["as_ids", "as_mask", "as_scores", "check_k"]


def as_ids(ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """``ids`` as a ``(Q, N) int64`` array; integer dtype and 2 dimensions required.

    Example:
        >>> as_ids([[0, 0, -1]]).dtype
        dtype('int64')
    """
    array = np.asarray(ids)
    if array.ndim != 2:
        raise ValueError(f"ids must be 2-D (Q, N), got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise ValueError(f"ids must have an integer dtype, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def as_mask(mask: npt.ArrayLike, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """``mask`` as a ``bool`` array of ``shape`` (the shape of ``ids``).

    Example:
        >>> as_mask([[True, False]], (1, 2)).tolist()
        [[True, False]]
    """
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise ValueError(f"mask must have dtype bool, got {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"mask must have the shape of ids {shape}, got {array.shape}")
    return array


def as_scores(
    values: npt.ArrayLike,
    valid: npt.NDArray[np.bool_],
    name: str,
    *,
    bounds: tuple[float, float] | None = None,
    allow_inf: bool = False,
) -> npt.NDArray[np.float64]:
    """Per-candidate scores as a ``(Q, N) float64`` array, checked where ``valid``.

    Where ``valid`` is True, entries must lie within finite ``bounds`` when
    given, else be finite (or, with ``allow_inf``, merely not NaN). Where
    ``valid`` is False they are not checked and come back unchanged (NaN allowed).

    Example:
        >>> as_scores([[0.5, float("nan")]], np.array([[True, False]]), "v", bounds=(0, 1)).tolist()
        [[0.5, nan]]
    """
    array = np.asarray(values)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must have a real numeric dtype, got {array.dtype}")
    if array.shape != valid.shape:
        raise ValueError(f"{name} must have the shape of ids {valid.shape}, got {array.shape}")
    array = array.astype(np.float64, copy=False)
    if bounds is not None:
        ok, rule = (array >= bounds[0]) & (array <= bounds[1]), f"within [{bounds[0]}, {bounds[1]}]"
    elif allow_inf:
        ok, rule = ~np.isnan(array), "not NaN"
    else:
        ok, rule = np.isfinite(array), "finite"
    bad = valid & ~ok
    if bad.any():
        raise ValueError(f"{name} must be {rule} where mask is True, found {array[bad][0]}")
    return array


def check_k(k: int) -> int:
    """``k`` as a positive ``int`` (``bool`` refused).

    Example:
        >>> check_k(3)
        3
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an int, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return int(k)
