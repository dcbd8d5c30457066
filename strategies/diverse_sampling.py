"""`diverse_sampling`: one solution per temperature over a range, then a consensus vote; the
ladder is drawn in waves that stop once the answer is settled.

1) sample: n requests of the query, request i at the i-th of n temperatures evenly spaced over
   [low, high] (the requests share the prompt, so the engine prefills it once and serves the
   rest from its prefix cache). With `stop_when_settled`, the requests go out in waves of
   `wave_size` (one call each) and sampling stops once the vote over the answers so far is
   settled (`kernels.stop_rule`: the leader cannot be overtaken, or the Beta rule reaches
   `stop_confidence`). `wave_order="spread"` strides each wave across the ladder (16
   temperatures in waves of 4: rungs 0, 4, 8, 12 first), so an early stop has heard cool and hot
   samples alike; `"ladder"` goes coolest first. Every request is the one the full ladder
   would send (same temperature, same seed). With `stop_when_settled=False` all n requests
   go out in one call, as before;
2) vote: the consensus kernel's majority over the normalized answers, in ladder order;
   confidence is the vote share. Cool samples keep the likely answer, hot ones find answers the
   cool ones miss.

`metadata.details` records `votes`, `temperatures` (those drawn, in ladder order), `waves`,
`samples_drawn`, `stopped_early` and `stop_rule`.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> ds = get_strategy("diverse_sampling", samples=8, low=0.3, high=1.7)
    >>> solution = asyncio.run(ds.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.details["temperatures"]
    ('42', [0.3, 0.7, 1.1, 1.5])
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.sampling import samplings_at, temperatures_between
from strategies.blocks.voting import vote_on
from strategies.blocks.waves import WaveConfig, sample_in_waves, waves_of
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class DiverseSamplingConfig(WaveConfig):
    """How many samples, over which temperature range, in which waves."""

    samples: int = Field(5, ge=1, le=256, description="Solutions sampled at most, one request each.")
    low: float = Field(0.3, ge=0.0, le=2.0, description="Temperature of the first sample.")
    high: float = Field(1.5, ge=0.0, le=2.0, description="Temperature of the last sample.")
    seed: int | None = Field(None, description="Sampling seed (None: unseeded).")
    wave_order: Literal["spread", "ladder"] = Field(
        default="spread",
        description="Which temperatures each wave draws: spread (strided across the whole range, so an "
        "early stop is not decided by the coolest samples alone) or ladder (coolest first).",
    )

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
    description = (
        "Diverse sampling: one sample per temperature over a range, in waves until the majority answer "
        "is settled, then a majority vote."
    )
    calls = (
        "1 call per wave of wave_size requests (one per temperature), at most samples requests; "
        "stop_when_settled=False: 1 call, n requests; default 4 or 5 requests"
    )
    config_class = DiverseSamplingConfig

    async def solve(self, run: Run[DiverseSamplingConfig]) -> tuple[Solution, str]:
        cfg = self.config
        prompt = solve_prompt(run.query, system=run.system)
        temperatures = cfg.temperatures
        base = cfg.sampling()  # each request's temperature is set below

        async def draw(j: int, rungs: list[int]) -> list[Solution]:
            samplings = samplings_at([temperatures[i] for i in rungs], base)
            ids = [f"sampling-{i}" for i in rungs]
            return await run.solutions("sampling", [prompt] * len(rungs), samplings, agent_ids=ids)

        # 1) sample: one request per temperature, in waves until the vote is settled (or all in one call)
        size = cfg.wave_size if cfg.stop_when_settled else cfg.samples
        waves = waves_of(cfg.samples, size, spread=cfg.wave_order == "spread")
        drawn = await sample_in_waves(run, waves, draw, confidence=cfg.stop_confidence)
        # 2) vote on the normalized answers, in ladder order
        run.details["temperatures"] = [temperatures[i] for i in drawn.slots]
        return vote_on(run, drawn.solutions)
