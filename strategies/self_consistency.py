"""`self_consistency`: sample k solutions, keep the answer most of them reach (Wang et al., 2022).

1) sample: k solutions of the query in one request (n = k, so the prompt is prefilled once);
2) vote: each answer is extracted and normalized by the kernels (`Answer: 4`, `4` and `4.0`
   are one key), and the consensus kernel's majority picks the answer; its confidence is the
   vote share. When no sample states an answer, the first non-empty one is returned with
   confidence 0 (noted as a fallback).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> sc = get_strategy("self_consistency", samples=5)
    >>> solution = asyncio.run(sc.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'self_consistency')
"""

from __future__ import annotations

from pydantic import Field

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.sampling import SampledConfig
from strategies.blocks.voting import vote_on
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class SelfConsistencyConfig(SampledConfig):
    """How many samples are drawn (temperature and seed: `SampledConfig`)."""

    samples: int = Field(5, ge=1, le=256, description="Solutions sampled (k), in one request.")


class SelfConsistency(Strategy[SelfConsistencyConfig]):
    name = "self_consistency"
    description = "Self-consistency: k samples in one request, majority vote on normalized answers."
    calls = "1 call, 1 request (n = samples); default 1 request with 5 samples"
    config_class = SelfConsistencyConfig

    async def solve(self, run: Run[SelfConsistencyConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        # 1) sample: k solutions in one request
        sampling = self.config.sampling(n=self.config.samples)
        samples = await run.solutions("sampling", [solve_prompt(query, system=system)], sampling)
        # 2) vote on the normalized answers
        return vote_on(run, samples)
