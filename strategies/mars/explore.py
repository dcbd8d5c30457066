"""Phase 1, exploration: every agent answers the query at its own temperature, in one call.

The agents' prompts are identical (only the temperature differs), so the engine prefills the
prompt once and serves the other agents from its prefix cache.

Example:
    >>> import asyncio; from engine import ScriptedClient; from strategies.mars import MarsConfig, MarsRun
    >>> model = ScriptedClient(lambda p, s: "2 + 2 = 4.\\nVERDICT: INCORRECT\\nAnswer: 4")  # rejects all
    >>> run = MarsRun.start("2+2?", model, MarsConfig(), strategy="mars")
    >>> [s.agent_id for s in asyncio.run(explore(run))]
    ['agent-0', 'agent-1', 'agent-2']
"""

from __future__ import annotations

from strategies.blocks.prompts import solve_prompt
from strategies.core.solution import Solution
from strategies.mars.errors import ExplorationError, phase_errors
from strategies.mars.phases import Phase
from strategies.mars.prompts import SOLVE_PROMPT
from strategies.mars.run import MarsRun


async def explore(run: MarsRun) -> list[Solution]:
    """The agents' non-empty solutions; raises `ExplorationError` when every response is empty."""
    config = run.config
    prompts = [solve_prompt(run.query, system=run.team_system, template=SOLVE_PROMPT)] * config.num_agents
    samplings = [run.solve_sampling(t) for t in config.agent_temperatures]
    with phase_errors(ExplorationError):
        solutions = await run.solutions(Phase.EXPLORATION, prompts, samplings, agent_ids=config.agent_ids)
    kept = [s for s in solutions if s.reasoning.strip()]
    if not kept:
        raise ExplorationError(f"none of the {config.num_agents} agents gave a non-empty response to the query")
    run.fallbacks.extend(
        f"exploration: {s.agent_id} gave an empty response; dropped" for s in solutions if not s.reasoning.strip()
    )
    return run.record(kept)
