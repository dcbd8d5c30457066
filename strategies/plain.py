"""`plain`: one completion straight from the model; the baseline every strategy is compared to.

Example:
    >>> plain = get_optimizer("plain", temperature=0.0)   # doctest: +SKIP
"""

from __future__ import annotations

from pydantic import Field

from strategies.base import StrategyConfig, register
from strategies.common.pipeline import Pipeline, PipelineRun
from strategies.common.prompts import solve_prompt
from strategies.common.sampling import sampling_of
from strategies.solution import Solution


class PlainConfig(StrategyConfig):
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 is greedy decoding.")
    seed: int | None = Field(None, description="Sampling seed (for temperature > 0).")


@register(
    "plain",
    description="One completion from the model, no optimization (the baseline).",
    calls="1 call, 1 request",
    config=PlainConfig,
)
class Plain(Pipeline[PlainConfig]):
    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        cfg = self.config
        sampling = sampling_of(cfg)
        prompt = solve_prompt(query, system=system)
        [solution] = await run.solutions("generate", [prompt], sampling, agent_ids=["agent-0"])
        return solution, "only"
