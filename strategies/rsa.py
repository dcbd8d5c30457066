"""`rsa`: recursive self-aggregation (Venkatraman et al., 2025): a population of solutions is
merged, K at a time, into a new population, T times; the last population votes.

1) population: N solutions of the query in one request (n = N, one prefill);
2) aggregate, T loops: each loop writes N merges, each over K members of the previous
   population, in one call (`rsa_round`: the subsets are sliding windows over the consensus
   ranking, so the best members are merged most and every member at least once);
3) vote: the consensus kernel's majority over the last population; confidence is the vote
   share.

Example:
    >>> rsa = get_optimizer("rsa", population=6, subset=3, loops=3)   # doctest: +SKIP
    >>> solution = await rsa.optimize("What is 6 * 7?", client)        # doctest: +SKIP
    >>> solution.metadata.engine_requests                               # doctest: +SKIP
    19
"""

from __future__ import annotations

from pydantic import Field, model_validator

from strategies.base import register
from strategies.common.aggregate import rsa_round
from strategies.common.pipeline import Pipeline, PipelineRun
from strategies.common.prompts import solve_prompt
from strategies.common.sampling import SampledConfig
from strategies.common.voting import vote_on
from strategies.solution import Solution


class RsaConfig(SampledConfig):
    """Population size N, subset size K and loops T (sampling: `SampledConfig`)."""

    population: int = Field(6, ge=1, le=64, description="Solutions per generation (N).")
    subset: int = Field(3, ge=1, le=16, description="Members merged by each new solution (K <= N).")
    loops: int = Field(3, ge=0, le=16, description="Aggregation loops (T); 0 only votes.")

    @model_validator(mode="after")
    def _subset_fits(self) -> RsaConfig:
        if self.subset > self.population:
            raise ValueError(
                f"subset (K = {self.subset}) must be <= population (N = {self.population}); "
                "lower subset or raise population"
            )
        return self


@register(
    "rsa",
    description="Recursive self-aggregation: a population of N solutions, merged K at a time "
    "for T loops, then a majority vote.",
    calls="1 + T calls: 1 population request (n = N) + N merge requests per loop; default 4 calls, 19 requests",
    config=RsaConfig,
)
class RecursiveSelfAggregation(Pipeline[RsaConfig]):
    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        cfg = self.config
        # 1) population: N solutions in one request
        population = await run.solutions(
            "population", [solve_prompt(query, system=system)], cfg.sampling(n=cfg.population)
        )
        # 2) aggregate: T loops of N merges, one call each
        generations = [[s.answer_key for s in population]]
        for _ in range(cfg.loops):
            async with run.progress.phase("aggregation", requests=cfg.population):
                merged = await rsa_round(
                    run.client,
                    query,
                    population,
                    size=cfg.population,
                    k=cfg.subset,
                    samplings=cfg.sampling(),
                    tag="aggregation",
                    system=system,
                )
            population = [m.solution for m in merged]
            generations.append([s.answer_key for s in population])
        run.details["generations"] = generations
        # 3) vote over the last population
        return vote_on(run, population)
