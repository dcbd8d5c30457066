"""`moa`: mixture of agents: candidates, one critique of them all, one final synthesis.

1) candidates: k solutions of the query in one request (n = k, one prefill; default 3 at
   temperature 1.0, as optillm);
2) critique: one request reviews every candidate's strengths and weaknesses (low temperature);
3) synthesis: one request writes the final response from the candidates and the critique
   (low temperature). The critique and synthesis prompts share their prefix up to the end of
   the candidates, so the engine's prefix cache serves the second from the first.

If the synthesis states no answer, the candidates' majority answer is returned instead (noted
in `metadata.fallbacks`). Confidence is the share of candidates that agree with the answer.

Example:
    >>> moa = get_optimizer("moa", candidates=3)               # doctest: +SKIP
    >>> solution = await moa.optimize("What is 6 * 7?", client)  # doctest: +SKIP
    >>> solution.metadata.engine_calls                          # doctest: +SKIP
    3
"""

from __future__ import annotations

from pydantic import Field

from engine import Sampling
from strategies.base import register
from strategies.common.aggregate import aggregate_prompt, candidate_blocks
from strategies.common.pipeline import Pipeline, PipelineRun
from strategies.common.prompts import followup_prompt, solve_prompt
from strategies.common.sampling import SampledConfig
from strategies.common.voting import agreement, consensus
from strategies.solution import Solution

CANDIDATES_PREFIX = (
    "Problem:\n{query}\n\n"
    "Below are {count} candidate responses to this problem. Some of them may be wrong.\n\n"
    "{candidates}\n\n"
    "---\n"
)

CRITIQUE_PROMPT = CANDIDATES_PREFIX + (
    "Critique each candidate separately: its strengths, its weaknesses, and whether its "
    "final answer is right. Do not write a solution of your own."
)

SYNTHESIS_PROMPT = CANDIDATES_PREFIX + (
    "Critique of the candidates:\n{critique}\n\n"
    "---\n"
    "Using the candidates and the critique, write the best final response to the problem. "
    "End with the final answer on its own line as: Answer: <answer>"
)


class MoaConfig(SampledConfig):
    """How many candidates, and the sampling of each step (candidates: `SampledConfig`)."""

    candidates: int = Field(3, ge=1, le=16, description="Candidate solutions, in one request.")
    critique_max_tokens: int = Field(512, ge=1, description="Completion budget of the critique.")
    final_temperature: float = Field(0.1, ge=0.0, le=2.0, description="Temperature of the critique and the synthesis.")


@register(
    "moa",
    description="Mixture of agents: k candidates in one request, one critique of them all, one final synthesis.",
    calls="3 calls, 3 requests: candidates (1 request, n = candidates), critique, synthesis",
    config=MoaConfig,
)
class MixtureOfAgents(Pipeline[MoaConfig]):
    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        cfg = self.config
        low = Sampling(temperature=cfg.final_temperature, seed=cfg.seed)
        # 1) candidates: k samples in one request
        candidates = await run.solutions(
            "candidates", [solve_prompt(query, system=system)], cfg.sampling(n=cfg.candidates)
        )
        # 2) critique: one review of every candidate
        [critique] = await run.texts(
            "critique",
            [aggregate_prompt(CRITIQUE_PROMPT, query, candidates, system)],
            low.with_(max_tokens=cfg.critique_max_tokens),
        )
        # 3) synthesis: the final response from the candidates and the critique
        synthesis = followup_prompt(
            query,
            SYNTHESIS_PROMPT,
            system=system,
            count=len(candidates),
            candidates=candidate_blocks(candidates),
            critique=critique,
        )
        [final] = await run.solutions(
            "synthesis", [synthesis], low.with_(max_tokens=cfg.max_tokens), method="moa-synthesis"
        )
        run.details.update(candidates=[s.answer_key for s in candidates], critique=critique)
        rule = "synthesis"
        if not final.answer_key:
            run.fallback("synthesis: no answer stated; kept the candidates' majority")
            final, rule = consensus(candidates).solution, "majority"
        final.confidence = agreement([*candidates, final])[-1]
        return final, rule
