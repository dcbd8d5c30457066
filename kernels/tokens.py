"""Token-level math: confidence from top-k log-probs, and entropix-style adaptive sampling.

Two halves, both pure functions:

- numpy, over the top-k log-probs an engine reports per generated token (DeepConf, CoT
  decoding): ``pad_top_logprobs`` turns ragged per-token candidate lists into a ``(T, K)``
  array with NaN padding; ``token_confidence``, ``top2_margin`` score each position;
  ``window_confidence`` / ``lowest_group_confidence`` smooth them over sliding windows;
  ``confidence_threshold`` and ``top_share_mask`` filter traces; ``span_mask`` finds the
  tokens under a character span (an answer inside the text).
- torch, over a batch of next-token logits inside the engine's sampler (entropy decoding):
  ``entropy_varentropy`` and ``entropix_adjust``. torch is imported lazily, so ``import
  kernels`` never needs it; the logits are ``(R, V) float32`` tensors, one row per request.

Entropy and varentropy are in bits: ``H = -sum p log2 p`` and ``V = sum p (log2 p + H)^2``
(the variance of the surprisal), as in entropix.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import torch

__all__ = [
    "EntropixParams",
    "EntropixRegion",
    "LOGPROB_FLOOR",
    "confidence_threshold",
    "entropix_adjust",
    "entropix_regions",
    "entropy_varentropy",
    "lowest_group_confidence",
    "pad_top_logprobs",
    "span_mask",
    "token_confidence",
    "top2_margin",
    "top_share_mask",
    "window_confidence",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

LOGPROB_FLOOR = -100.0
"""Log-probs below this (including -inf) count as this value, so confidences stay finite."""

_LN2 = math.log(2.0)


# -- confidence from top-k log-probs (numpy) --------------------------------------------------


def pad_top_logprobs(rows: Sequence[Sequence[float]], k: int) -> FloatArray:
    """Ragged per-token candidate log-probs as a ``(T, k) float64`` array, best first.

    Each row keeps its ``k`` largest values (an engine may report the sampled token as an
    extra candidate), sorted descending; missing entries are NaN.

    Example:
        >>> pad_top_logprobs([[-2.0, -0.1, -3.0], [-0.5]], 2).tolist()
        [[-0.1, -2.0], [-0.5, nan]]
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    out = np.full((len(rows), k), np.nan, dtype=np.float64)
    for i, row in enumerate(rows):
        best = sorted((float(x) for x in row), reverse=True)[:k]
        out[i, : len(best)] = best
    return out


def _as_top(top_logprobs: npt.ArrayLike) -> FloatArray:
    array = np.asarray(top_logprobs, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"top_logprobs must be 2-D (T, K), got shape {array.shape}")
    return np.where(np.isnan(array), np.nan, np.maximum(array, LOGPROB_FLOOR))


def token_confidence(top_logprobs: npt.ArrayLike) -> FloatArray:
    """DeepConf token confidence: minus the mean log-prob of each position's top-k candidates.

    ``top_logprobs: (T, K) float`` (NaN = padding) ``-> (T,) float64 >= 0``; a peaked
    distribution (one likely token, unlikely alternatives) scores high. A row with no
    candidates scores 0.

    Example:
        >>> token_confidence([[-0.01, -5.0, -7.0], [-1.0, -1.2, np.nan]]).round(3).tolist()
        [4.003, 1.1]
    """
    array = _as_top(top_logprobs)
    present = ~np.isnan(array)
    count = present.sum(axis=1)
    total = np.where(present, array, 0.0).sum(axis=1)
    return np.where(count > 0, -total / np.maximum(count, 1), 0.0)


def top2_margin(top_logprobs: npt.ArrayLike) -> FloatArray:
    """CoT-decoding margin: probability of the best candidate minus that of the second.

    ``top_logprobs: (T, K) float`` (NaN = padding, any order) ``-> (T,) float64 in [0, 1]``;
    a position with one candidate has margin p1, one with none has margin 0.

    Example:
        >>> top2_margin(np.log([[0.7, 0.2], [0.5, 0.5]])).round(3).tolist()
        [0.5, 0.0]
    """
    probs = np.exp(np.nan_to_num(_as_top(top_logprobs), nan=-np.inf))
    if probs.shape[1] == 0:
        return np.zeros(probs.shape[0])
    ordered = -np.sort(-probs, axis=1)
    second = ordered[:, 1] if ordered.shape[1] > 1 else np.zeros(ordered.shape[0])
    return np.clip(ordered[:, 0] - second, 0.0, 1.0)


def window_confidence(confidence: npt.ArrayLike, window: int) -> FloatArray:
    """Group confidences: the mean of every ``window`` consecutive token confidences.

    ``confidence: (T,) float, window >= 1 -> (max(T - window + 1, 1),) float64``; a trace
    shorter than the window is one group over all its tokens; an empty trace has no group.

    Example:
        >>> window_confidence([1.0, 2.0, 3.0, 4.0], 2).tolist()
        [1.5, 2.5, 3.5]
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    values = np.asarray(confidence, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"confidence must be 1-D (T,), got shape {values.shape}")
    if values.size == 0:
        return np.zeros(0)
    width = min(window, values.size)
    sums = np.cumsum(np.concatenate(([0.0], values)))
    return (sums[width:] - sums[:-width]) / width


def lowest_group_confidence(confidence: npt.ArrayLike, window: int) -> float:
    """A trace's weakest stretch: the minimum of ``window_confidence`` (0.0 for no tokens).

    Example:
        >>> lowest_group_confidence([3.0, 0.5, 0.5, 3.0], 2)
        0.5
    """
    groups = window_confidence(confidence, window)
    return float(groups.min()) if groups.size else 0.0


def confidence_threshold(confidences: npt.ArrayLike, keep_share: float) -> float:
    """The stopping threshold that keeps the top ``keep_share`` of ``confidences``.

    ``confidences: (N,) float, N >= 1`` (e.g. warm-up traces' lowest-group confidences)
    ``-> float``: their ``100 * (1 - keep_share)``-th percentile (linear interpolation).
    ``keep_share = 1`` gives the minimum, ``0`` the maximum.

    Example:
        >>> confidence_threshold([1.0, 2.0, 3.0, 4.0, 5.0], 0.5)
        3.0
    """
    if not 0.0 <= keep_share <= 1.0:
        raise ValueError(f"keep_share must be in [0, 1], got {keep_share}")
    values = np.asarray(confidences, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"confidences must be a non-empty 1-D array, got shape {values.shape}")
    return float(np.percentile(values, 100.0 * (1.0 - keep_share)))


def top_share_mask(confidences: npt.ArrayLike, keep_share: float) -> BoolArray:
    """Which of N traces are among the ``ceil(keep_share * N)`` most confident (at least one).

    ``confidences: (N,) float -> (N,) bool``; ties go to the lower index.

    Example:
        >>> top_share_mask([0.2, 0.9, 0.5, 0.9], 0.5).tolist()
        [False, True, False, True]
    """
    if not 0.0 < keep_share <= 1.0:
        raise ValueError(f"keep_share must be in (0, 1], got {keep_share}")
    values = np.asarray(confidences, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"confidences must be 1-D (N,), got shape {values.shape}")
    keep = np.zeros(values.size, dtype=bool)
    if values.size:
        count = max(1, math.ceil(keep_share * values.size))
        keep[np.argsort(-values, kind="stable")[:count]] = True
    return keep


def span_mask(token_lengths: npt.ArrayLike, start: int, end: int) -> BoolArray:
    """Which tokens overlap the character span ``[start, end)`` of their concatenated text.

    ``token_lengths: (T,) int`` (characters per token, in order) ``-> (T,) bool``.

    Example:
        >>> span_mask([6, 3, 2, 1], 6, 11).tolist()      # "Answer" ": 4" "2." "\\n"
        [False, True, True, False]
    """
    lengths = np.asarray(token_lengths, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    return (starts < end) & (ends > start) & (end > start)


# -- entropix-style adaptive sampling (torch) -------------------------------------------------


class EntropixRegion(enum.IntEnum):
    """Where a next-token distribution sits in the (entropy, varentropy) plane.

    Example:
        >>> EntropixRegion(1).name
        'ARGMAX'
    """

    BASE = 0
    """Neither extreme: sample with the base temperature, top-k and top-p."""
    ARGMAX = 1
    """Low entropy, low varentropy: the model is sure; take the argmax."""
    CAREFUL = 2
    """High entropy, low varentropy: uniformly unsure; raise the temperature a little."""
    EXPLORE = 3
    """Entropy at most high, high varentropy: a few strong forks; warmer, with a wider top-k."""
    RESAMPLE = 4
    """High entropy, high varentropy: lost; much warmer, with a narrower top-p."""


CAREFUL_TEMPERATURE = (1.3, 1.5)
"""CAREFUL: temperature x 1.3, capped at 1.5 (never below the base)."""
EXPLORE_TEMPERATURE = (1.2, 1.5)
"""EXPLORE: temperature x 1.2, capped at 1.5 (never below the base)."""
EXPLORE_TOP_K = (1.5, 5)
"""EXPLORE: top-k x 1.5, at least 5 (top-k 0, no limit, stays 0)."""
RESAMPLE_TEMPERATURE = (1.5, 2.0)
"""RESAMPLE: temperature x 1.5, capped at 2.0 (never below the base)."""
RESAMPLE_TOP_P = (0.2, 0.5)
"""RESAMPLE: top-p - 0.2, at least 0.5."""


@dataclass(frozen=True)
class EntropixParams:
    """Per-request settings of entropy decoding; they travel to the engine as a plain dict.

    Example:
        >>> EntropixParams.from_mapping({"temperature": 0.5}).as_dict()["top_k"]
        27
    """

    temperature: float = 0.666
    """Base temperature (entropix's default)."""
    top_p: float = 0.9
    """Base nucleus mass, in (0, 1]."""
    top_k: int = 27
    """Base top-k cut-off (0 disables it)."""
    low_entropy: float = 0.1
    """Entropy (bits) below which a distribution counts as low-entropy."""
    high_entropy: float = 3.0
    """Entropy (bits) above which a distribution counts as high-entropy."""
    low_varentropy: float = 0.1
    """Varentropy (bits^2) below which a distribution counts as low-varentropy."""
    high_varentropy: float = 5.0
    """Varentropy (bits^2) above which a distribution counts as high-varentropy."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and 0.0 < self.temperature <= 2.0):
            raise ValueError(f"EntropixParams.temperature must be in (0, 2], got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"EntropixParams.top_p must be in (0, 1], got {self.top_p}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"EntropixParams.top_k must be an int >= 0, got {self.top_k!r}")
        if not 0.0 <= self.low_entropy <= self.high_entropy:
            raise ValueError(
                f"EntropixParams needs 0 <= low_entropy <= high_entropy, got {self.low_entropy} and {self.high_entropy}"
            )
        if not 0.0 <= self.low_varentropy <= self.high_varentropy:
            raise ValueError(
                "EntropixParams needs 0 <= low_varentropy <= high_varentropy, got "
                f"{self.low_varentropy} and {self.high_varentropy}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EntropixParams:
        """Parse the dict a request carries; unknown keys and bad values raise ValueError."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown entropy-decoding setting(s) {unknown}; valid: {sorted(known)}")
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (what a request's ``extra_args`` carries)."""
        return asdict(self)


def entropy_varentropy(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Entropy and varentropy, in bits, of the softmax of each row.

    ``logits: (R, V) float -> ((R,) float32, (R,) float32)``; -inf logits (masked tokens)
    are allowed.

    Example:
        >>> import torch
        >>> ent, vent = entropy_varentropy(torch.log(torch.tensor([[0.5, 0.25, 0.25]])))
        >>> round(ent.item(), 4), round(vent.item(), 4)
        (1.5, 0.25)
    """
    logp = logits.float().log_softmax(dim=-1)
    p = logp.exp()
    log2p = logp.nan_to_num(nan=0.0, neginf=0.0) / _LN2
    ent = -(p * log2p).sum(dim=-1)
    vent = (p * (log2p + ent.unsqueeze(-1)) ** 2).sum(dim=-1)
    return ent, vent


def _column(params: Sequence[EntropixParams], name: str, like: torch.Tensor) -> torch.Tensor:
    return like.new_tensor([float(getattr(p, name)) for p in params])


def entropix_regions(entropy: torch.Tensor, varentropy: torch.Tensor, params: Sequence[EntropixParams]) -> torch.Tensor:
    """Each row's ``EntropixRegion`` from its entropy and varentropy and its own thresholds.

    ``entropy, varentropy: (R,) float, params: R settings -> (R,) int64``.

    Example:
        >>> import torch
        >>> p = [EntropixParams()] * 3
        >>> ent, vent = torch.tensor([0.0, 4.0, 1.0]), torch.tensor([0.0, 6.0, 1.0])
        >>> entropix_regions(ent, vent, p).tolist()
        [1, 4, 0]
    """
    import torch

    lo_e, hi_e = _column(params, "low_entropy", entropy), _column(params, "high_entropy", entropy)
    lo_v = _column(params, "low_varentropy", entropy)
    hi_v = _column(params, "high_varentropy", entropy)
    region = torch.zeros(entropy.shape, dtype=torch.int64, device=entropy.device)
    region[(entropy < lo_e) & (varentropy < lo_v)] = EntropixRegion.ARGMAX
    region[(entropy > hi_e) & (varentropy < lo_v)] = EntropixRegion.CAREFUL
    region[(entropy <= hi_e) & (varentropy > hi_v)] = EntropixRegion.EXPLORE
    region[(entropy > hi_e) & (varentropy > hi_v)] = EntropixRegion.RESAMPLE
    return region


def entropix_adjust(logits: torch.Tensor, params: Sequence[EntropixParams]) -> tuple[torch.Tensor, torch.Tensor]:
    """Adapt each row's sampling to its entropy and varentropy, as logit transformations.

    ``logits: (R, V) float32, params: R settings -> (new logits (R, V) float32, regions (R,)
    int64)``. Per row: pick the region (``entropix_regions``), set the temperature, top-k and
    top-p it calls for (the constants above), divide the logits by the temperature, and set
    to -inf every token outside the top-k / top-p set; an ARGMAX row keeps only its best
    token. The argmax of every row is unchanged, so greedy decoding is unaffected. Sampling
    from the returned logits (at temperature 1, no further cut-offs) samples the adapted
    distribution.

    Example:
        >>> import torch
        >>> sure = torch.tensor([[9.0, 0.0, 0.0, 0.0]])
        >>> out, region = entropix_adjust(sure, [EntropixParams()])
        >>> region.tolist(), torch.isinf(out).tolist()
        ([1], [[False, True, True, True]])
    """
    import torch

    rows, vocab = logits.shape
    if len(params) != rows:
        raise ValueError(f"entropix_adjust got {rows} rows but {len(params)} params")
    work = logits.float()
    ent, vent = entropy_varentropy(work)
    region = entropix_regions(ent, vent, params)
    temp = _column(params, "temperature", work)
    top_p = _column(params, "top_p", work)
    top_k = _column(params, "top_k", work)

    def scaled(base: torch.Tensor, rule: tuple[float, float]) -> torch.Tensor:
        factor, cap = rule
        return torch.maximum(base, (base * factor).clamp(max=cap))

    temp = torch.where(region == EntropixRegion.CAREFUL, scaled(temp, CAREFUL_TEMPERATURE), temp)
    temp = torch.where(region == EntropixRegion.EXPLORE, scaled(temp, EXPLORE_TEMPERATURE), temp)
    temp = torch.where(region == EntropixRegion.RESAMPLE, scaled(temp, RESAMPLE_TEMPERATURE), temp)
    wider_k = torch.where(top_k > 0, (top_k * EXPLORE_TOP_K[0]).ceil().clamp(min=EXPLORE_TOP_K[1]), top_k)
    top_k = torch.where(region == EntropixRegion.EXPLORE, wider_k, top_k)
    narrower_p = (top_p - RESAMPLE_TOP_P[0]).clamp(min=RESAMPLE_TOP_P[1])
    top_p = torch.where(region == EntropixRegion.RESAMPLE, torch.minimum(top_p, narrower_p), top_p)

    out = work / temp.unsqueeze(-1)
    ordered, order = out.sort(dim=-1, descending=True)
    rank = torch.arange(vocab, device=work.device).unsqueeze(0)
    limit = torch.where(top_k > 0, top_k, torch.full_like(top_k, vocab)).unsqueeze(-1)
    probs = ordered.softmax(dim=-1)
    before = probs.cumsum(dim=-1) - probs  # mass of the better tokens; the best always stays
    keep = (rank < limit) & (before < top_p.unsqueeze(-1))
    keep &= (rank == 0) | (region != EntropixRegion.ARGMAX).unsqueeze(-1)
    mask = torch.zeros_like(keep).scatter_(-1, order, keep)
    return out.masked_fill(~mask, float("-inf")), region
