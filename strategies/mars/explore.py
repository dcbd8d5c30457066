"""Phase 1, exploration: every agent answers the query at its own temperature, in one call.

The agents' prompts are identical (only the temperature differs), so the engine prefills the
prompt once and serves the other agents from its prefix cache.

Example:
    >>> solutions = await explore(run)   # doctest: +SKIP
"""

from __future__ import annotations

from strategies.common.prompts import solve_prompt
from strategies.common.sampling import sample_solutions
from strategies.mars.errors import ExplorationError, phase_errors
from strategies.mars.events import ExplorationStarted, SolutionGenerated
from strategies.mars.phases import Phase
from strategies.mars.prompts import SOLVE_PROMPT
from strategies.mars.run import MarsRun
from strategies.solution import Solution


async def explore(run: MarsRun) -> list[Solution]:
    """The agents' non-empty solutions; raises `ExplorationError` when every response is empty."""
    config = run.config
    await run.sink.emit(ExplorationStarted(num_agents=config.num_agents))
    prompts = [solve_prompt(run.query, system=run.team_system, template=SOLVE_PROMPT)] * config.num_agents
    samplings = [run.solve_sampling(t) for t in config.agent_temperatures]
    with phase_errors(ExplorationError):
        solutions = await sample_solutions(
            run.client, prompts, samplings, tag=Phase.EXPLORATION, agent_ids=config.agent_ids
        )
    kept = [s for s in solutions if s.reasoning.strip()]
    if not kept:
        raise ExplorationError(f"none of the {config.num_agents} agents gave a non-empty response to the query")
    run.fallbacks.extend(
        f"exploration: {s.agent_id} gave an empty response; dropped" for s in solutions if not s.reasoning.strip()
    )
    for s in kept:
        await run.sink.emit(SolutionGenerated(solution_id=s.id, agent_id=s.agent_id))
    return run.record(kept)
