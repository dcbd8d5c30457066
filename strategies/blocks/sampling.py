"""Fan-out helpers: temperatures, per-request samplings and the config fields of sampled strategies.

A strategy's fan-out is one `run.solutions(phase, prompts, samplings)` call: k prompts, or k
temperatures of one prompt, become one engine step. These helpers build the `samplings`.

Example:
    >>> [s.temperature for s in samplings_at(temperatures_between(0.3, 0.9, 3), Sampling())]
    [0.3, 0.6, 0.9]
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from engine import Sampling
from strategies.core.config import StrategyConfig


def temperatures_between(low: float, high: float, count: int) -> list[float]:
    """`count` temperatures evenly spaced over [low, high]: `temperatures_between(0.3, 1.5, 5)`."""
    if count == 1:
        return [low]
    step = (high - low) / (count - 1)
    return [round(low + i * step, 6) for i in range(count)]


def samplings_at(temperatures: Sequence[float], base: Sampling) -> list[Sampling]:
    """One sampling per temperature, otherwise equal to `base`."""
    return [base.with_(temperature=t) for t in temperatures]


def seeded(base: Sampling, count: int) -> list[Sampling]:
    """`count` copies of `base`, the i-th seeded `base.seed + i` (all unseeded if `base.seed` is
    None), so equal prompts in one batch still sample different texts reproducibly."""
    if base.seed is None:
        return [base] * count
    return [base.with_(seed=base.seed + i) for i in range(count)]


class SampledConfig(StrategyConfig):
    """Config fields of strategies that sample solutions at one temperature (mixed into theirs).

    >>> s = SampledConfig(temperature=0.5, max_tokens=64).sampling(n=3)
    >>> s.temperature, s.max_tokens, s.n
    (0.5, 64, 3)
    """

    temperature: float = Field(
        default=1.0,
        gt=0.0,
        le=2.0,
        description="Sampling temperature of solutions, in (0, 2] (samples of one prompt must differ).",
    )
    seed: int | None = Field(default=None, description="Sampling seed (None: unseeded).")
