"""`reread` (RE2, Xu et al., 2023): the question is shown twice, so the model reads it again.

1) generate: one request, `{query}\\nRead the question again: {query}`, greedy by default
   (as in the RE2 paper; optillm leaves the temperature to the server). The answer is
   extracted from the response like any solution's.

Example:
    >>> re2 = get_optimizer("reread")                          # doctest: +SKIP
    >>> solution = await re2.optimize("What is 17 * 3?", client)  # doctest: +SKIP
"""

from __future__ import annotations

from strategies.base import register
from strategies.common.pipeline import Pipeline, PipelineRun
from strategies.common.prompts import solve_prompt
from strategies.common.sampling import sampling_of
from strategies.plain import PlainConfig
from strategies.solution import Solution

RE2_PROMPT = "{query}\nRead the question again: {query}"


@register(
    "reread",
    description="RE2 re-reading: the question presented twice in one prompt, one response.",
    calls="1 call, 1 request",
    config=PlainConfig,  # the same settings as plain: temperature and seed
)
class Reread(Pipeline[PlainConfig]):
    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        cfg = self.config
        sampling = sampling_of(cfg)
        # 1) one response to the question read twice
        prompt = solve_prompt(query, system=system, template=RE2_PROMPT)
        [solution] = await run.solutions("generate", [prompt], sampling)
        return solution, "only"
