"""`rsa`: recursive self-aggregation (Venkatraman et al., 2025): a population of solutions is
merged, K at a time, into a new population, T times; the last population votes.

1) population: N solutions of the query in one request (n = N, one prefill);
2) aggregate, T loops: each loop writes N merges, each over K members of the previous
   population, in one call (`rsa_round`: the subsets are sliding windows over the consensus
   ranking, so the best members are merged most and every member at least once);
3) vote: the consensus kernel's majority over the last population; confidence is the vote
   share.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> rsa = get_strategy("rsa", population=6, subset=3, loops=3)
    >>> solution = asyncio.run(rsa.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'rsa')
"""

from __future__ import annotations

from pydantic import Field, model_validator

from strategies.blocks.aggregate import rsa_round
from strategies.blocks.prompts import solve_prompt
from strategies.blocks.sampling import SampledConfig
from strategies.blocks.voting import vote_on
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


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


class RecursiveSelfAggregation(Strategy[RsaConfig]):
    name = "rsa"
    description = (
        "Recursive self-aggregation: a population of N solutions, merged K at a time for T loops, then a majority vote."
    )
    calls = "1 + T calls: 1 population request (n = N) + N merge requests per loop; default 4 calls, 19 requests"
    config_class = RsaConfig

    async def solve(self, run: Run[RsaConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        # 1) population: N solutions in one request
        population = await run.solutions(
            "population", [solve_prompt(query, system=system)], cfg.sampling(n=cfg.population)
        )
        # 2) aggregate: T loops of N merges, one call each
        generations = [[s.answer_key for s in population]]
        for _ in range(cfg.loops):
            merged = await rsa_round(
                run, population, size=cfg.population, k=cfg.subset, samplings=cfg.sampling(), system=system
            )
            population = [m.solution for m in merged]
            generations.append([s.answer_key for s in population])
        run.details["generations"] = generations
        # 3) vote over the last population
        return vote_on(run, population)
