"""`plain`: one completion straight from the model; the baseline every strategy is compared to.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> plain = get_strategy("plain", temperature=0.0)
    >>> solution = asyncio.run(plain.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'plain')
"""

from __future__ import annotations

from pydantic import Field

from engine import Prompt, Sampling
from strategies.blocks.prompts import solve_prompt
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

PHASE = "generate"
"""The phase (request tag) of the one request."""


class PlainConfig(StrategyConfig):
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 is greedy decoding.")
    seed: int | None = Field(None, description="Sampling seed (for temperature > 0).")


class Plain(Strategy[PlainConfig]):
    name = "plain"
    description = "One completion from the model, no optimization (the baseline)."
    calls = "1 call, 1 request"
    config_class = PlainConfig

    async def solve(self, run: Run[PlainConfig]) -> tuple[Solution, str]:
        prompt, sampling = self.request(run)
        [solution] = await run.solutions(PHASE, [prompt], sampling, agent_ids=["agent-0"])
        return solution, "only"

    def request(self, run: Run[PlainConfig]) -> tuple[Prompt, Sampling]:
        """The one request: the query as asked, at the config's sampling (a server streams it)."""
        return solve_prompt(run.query, system=run.system), self.config.sampling()
