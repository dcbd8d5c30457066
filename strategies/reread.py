"""`reread` (RE2, Xu et al., 2023): the question is shown twice, so the model reads it again.

1) generate: one request, `{query}\\nRead the question again: {query}`, greedy by default
   (as in the RE2 paper; optillm leaves the temperature to the server). The answer is
   extracted from the response like any solution's.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> re2 = get_strategy("reread")
    >>> solution = asyncio.run(re2.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'reread')
"""

from __future__ import annotations

from strategies.blocks.prompts import solve_prompt
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy
from strategies.plain import PlainConfig

RE2_PROMPT = "{query}\nRead the question again: {query}"


class Reread(Strategy[PlainConfig]):
    name = "reread"
    description = "RE2 re-reading: the question presented twice in one prompt, one response."
    calls = "1 call, 1 request"
    config_class = PlainConfig

    async def solve(self, run: Run[PlainConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        sampling = cfg.sampling()
        # 1) one response to the question read twice
        prompt = solve_prompt(query, system=system, template=RE2_PROMPT)
        [solution] = await run.solutions("generate", [prompt], sampling)
        return solution, "only"
