"""`diverse_sampling`: one solution per temperature over a range, then a consensus vote.

1) sample: n solutions of the query in one call, request i at the i-th of n temperatures
   evenly spaced over [low, high] (the requests share the prompt, so the engine prefills it
   once and serves the rest from its prefix cache);
2) vote: the consensus kernel's majority over the normalized answers; confidence is the vote
   share. Cool samples keep the likely answer, hot ones find answers the cool ones miss.

Example:
    >>> ds = get_optimizer("diverse_sampling", samples=5, low=0.3, high=1.5)  # doctest: +SKIP
    >>> solution = await ds.optimize("What is 6 * 7?", client)                 # doctest: +SKIP
    >>> solution.metadata.details["temperatures"]                              # doctest: +SKIP
    [0.3, 0.6, 0.9, 1.2, 1.5]
"""

from __future__ import annotations

from pydantic import Field, model_validator

from engine import Sampling
from strategies.base import StrategyConfig, register
from strategies.common.pipeline import Pipeline, PipelineRun
from strategies.common.prompts import solve_prompt
from strategies.common.sampling import samplings_at, temperatures_between
from strategies.common.voting import vote_on
from strategies.solution import Solution


class DiverseSamplingConfig(StrategyConfig):
    """How many samples, over which temperature range."""

    samples: int = Field(5, ge=1, le=256, description="Solutions sampled, one request each.")
    low: float = Field(0.3, ge=0.0, le=2.0, description="Temperature of the first sample.")
    high: float = Field(1.5, ge=0.0, le=2.0, description="Temperature of the last sample.")
    seed: int | None = Field(None, description="Sampling seed (None: unseeded).")

    @model_validator(mode="after")
    def _range(self) -> DiverseSamplingConfig:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high}); swap them")
        return self

    @property
    def temperatures(self) -> list[float]:
        """The samples' temperatures, evenly spaced over [low, high]."""
        return temperatures_between(self.low, self.high, self.samples)


@register(
    "diverse_sampling",
    description="Diverse sampling: one sample per temperature over a range in one call, then a majority vote.",
    calls="1 call, n requests (one per temperature); default 5 requests",
    config=DiverseSamplingConfig,
)
class DiverseSampling(Pipeline[DiverseSamplingConfig]):
    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        cfg = self.config
        base = Sampling(max_tokens=cfg.max_tokens, seed=cfg.seed)
        # 1) sample: one request per temperature, all in one call
        samples = await run.solutions(
            "sampling",
            [solve_prompt(query, system=system)] * cfg.samples,
            samplings_at(cfg.temperatures, base),
        )
        # 2) vote on the normalized answers
        run.details["temperatures"] = cfg.temperatures
        return vote_on(run, samples)
