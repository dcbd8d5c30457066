"""`self_consistency`: sample k solutions, keep the answer most of them reach (Wang et al., 2022).

1) sample: k solutions of the query in one request (n = k, so the prompt is prefilled once);
2) vote: each answer is extracted and normalized by the kernels (`Answer: 4`, `4` and `4.0`
   are one key), and the consensus kernel's majority picks the answer; its confidence is the
   vote share. When no sample states an answer, the first non-empty one is returned with
   confidence 0 (noted as a fallback).

Example:
    >>> sc = get_optimizer("self_consistency", samples=5)    # doctest: +SKIP
    >>> solution = await sc.optimize("What is 6 * 7?", client)  # doctest: +SKIP
    >>> solution.metadata.details["votes"]                   # doctest: +SKIP
    {'42': 4, '48': 1}
"""

from __future__ import annotations

from pydantic import Field

from strategies.base import register
from strategies.common.pipeline import Pipeline, PipelineRun
from strategies.common.prompts import solve_prompt
from strategies.common.sampling import SampledConfig
from strategies.common.voting import vote_on
from strategies.solution import Solution


class SelfConsistencyConfig(SampledConfig):
    """How many samples are drawn (temperature and seed: `SampledConfig`)."""

    samples: int = Field(5, ge=1, le=256, description="Solutions sampled (k), in one request.")


@register(
    "self_consistency",
    description="Self-consistency: k samples in one request, majority vote on normalized answers.",
    calls="1 call, 1 request (n = samples); default 1 request with 5 samples",
    config=SelfConsistencyConfig,
)
class SelfConsistency(Pipeline[SelfConsistencyConfig]):
    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        # 1) sample: k solutions in one request
        sampling = self.config.sampling(n=self.config.samples)
        samples = await run.solutions("sampling", [solve_prompt(query, system=system)], sampling)
        # 2) vote on the normalized answers
        return vote_on(run, samples)
