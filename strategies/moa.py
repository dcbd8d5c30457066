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
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> moa = get_strategy("moa", candidates=3)
    >>> solution = asyncio.run(moa.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'moa')
"""

from __future__ import annotations

from pydantic import Field

from strategies.blocks.aggregate import aggregate_prompt, candidate_blocks
from strategies.blocks.prompts import followup_prompt, solve_prompt
from strategies.blocks.sampling import SampledConfig
from strategies.blocks.voting import agreement, consensus
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

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


class MixtureOfAgents(Strategy[MoaConfig]):
    name = "moa"
    description = "Mixture of agents: k candidates in one request, one critique of them all, one final synthesis."
    calls = "3 calls, 3 requests: candidates (1 request, n = candidates), critique, synthesis"
    config_class = MoaConfig

    async def solve(self, run: Run[MoaConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        low = cfg.sampling(cfg.final_temperature)
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
        [final] = await run.solutions("synthesis", [synthesis], low, method="moa-synthesis")
        run.details.update(candidates=[s.answer_key for s in candidates], critique=critique)
        rule = "synthesis"
        if not final.answer_key:
            run.fallback("synthesis: no answer stated; kept the candidates' majority")
            final, rule = consensus(candidates).solution, "majority"
        final.confidence = agreement([*candidates, final])[-1]
        return final, rule
