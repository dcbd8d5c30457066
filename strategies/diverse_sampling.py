"""`diverse_sampling`: one solution per temperature over a range, then a consensus vote.

1) sample: n solutions of the query in one call, request i at the i-th of n temperatures
   evenly spaced over [low, high] (the requests share the prompt, so the engine prefills it
   once and serves the rest from its prefix cache);
2) vote: the consensus kernel's majority over the normalized answers; confidence is the vote
   share. Cool samples keep the likely answer, hot ones find answers the cool ones miss.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> ds = get_strategy("diverse_sampling", samples=5, low=0.3, high=1.5)
    >>> solution = asyncio.run(ds.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'diverse_sampling')
"""

from __future__ import annotations

from pydantic import Field, model_validator

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.sampling import samplings_at, temperatures_between
from strategies.blocks.voting import vote_on
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


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


class DiverseSampling(Strategy[DiverseSamplingConfig]):
    name = "diverse_sampling"
    description = "Diverse sampling: one sample per temperature over a range in one call, then a majority vote."
    calls = "1 call, n requests (one per temperature); default 5 requests"
    config_class = DiverseSamplingConfig

    async def solve(self, run: Run[DiverseSamplingConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        base = cfg.sampling()  # each request's temperature is set below
        # 1) sample: one request per temperature, all in one call
        samples = await run.solutions(
            "sampling",
            [solve_prompt(query, system=system)] * cfg.samples,
            samplings_at(cfg.temperatures, base),
        )
        # 2) vote on the normalized answers
        run.details["temperatures"] = cfg.temperatures
        return vote_on(run, samples)
