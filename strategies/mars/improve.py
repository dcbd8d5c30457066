"""Phase 4, improvement: every unverified solution revised by its author with its reviewers'
feedback (and, with the strategy network, the best peers' approaches), in one call.

A revision keeps its author's agent id, so its reviewers are again agents other than the author,
and its author's temperature. It replaces its parent in the pool once reviewed
(`with_revisions`); an empty revision is dropped and the parent stays for the next iteration.

Example:
    >>> import asyncio; from engine import ScriptedClient; from strategies.mars import MarsConfig, MarsRun
    >>> model = ScriptedClient(lambda p, s: "2 + 2 = 4.\\nVERDICT: INCORRECT\\nAnswer: 4")  # rejects all
    >>> run = MarsRun.start("2+2?", model, MarsConfig(), strategy="mars")
    >>> from strategies.mars.explore import explore; from strategies.mars.verify import verify
    >>> pool = asyncio.run(verify(run, asyncio.run(explore(run))))
    >>> revised = asyncio.run(improve(run, pool, approaches=[]))
    >>> [(r.agent_id, r.method) for r in revised][:1], run.parents[revised[0].id] == (pool[0].id,)
    ([('agent-0', 'improve')], True)
"""

from __future__ import annotations

from engine import Prompt
from strategies.blocks.prompts import followup_prompt
from strategies.core.solution import Solution
from strategies.mars.errors import ImprovementError, phase_errors
from strategies.mars.events import SolutionImproved
from strategies.mars.network import Approach, peers
from strategies.mars.phases import Phase
from strategies.mars.prompts import FEEDBACK_ITEM, IMPROVE_PROMPT, NO_FEEDBACK, PEERS_BLOCK
from strategies.mars.run import MarsRun


def improve_prompt(run: MarsRun, solution: Solution, approaches: list[Approach]) -> Prompt:
    """The revision request for `solution`: its latest round of reviews as feedback."""
    latest = run.reviews.get(solution.id, [])[-run.config.verification_passes_required :]
    feedback = "\n\n".join(
        FEEDBACK_ITEM.format(number=i + 1, text=r.text.strip()) for i, r in enumerate(latest) if r.text.strip()
    )
    shown = peers(approaches, solution.agent_id, run.config.peer_approaches)
    listed = "\n".join(f"- {a.text}" for a in shown)
    peer_block = PEERS_BLOCK.format(approaches=listed) if shown else ""
    return followup_prompt(
        run.query,
        IMPROVE_PROMPT,
        system=run.team_system,
        solution=solution.reasoning,
        feedback=feedback or NO_FEEDBACK,
        peers=peer_block,
    )


async def improve(run: MarsRun, pool: list[Solution], approaches: list[Approach]) -> list[Solution]:
    """Revisions (not yet reviewed) of the unverified solutions in `pool`."""
    targets = [s for s in pool if not s.is_verified]
    if not targets:
        return []
    prompts = [improve_prompt(run, s, approaches) for s in targets]
    samplings = [run.solve_sampling(s.temperature) for s in targets]
    with phase_errors(ImprovementError):
        revised = await run.solutions(
            Phase.IMPROVEMENT, prompts, samplings, agent_ids=[s.agent_id for s in targets], method="improve"
        )
    kept = []
    for parent, revision in zip(targets, revised, strict=True):
        if not revision.reasoning.strip():
            run.fallbacks.append(f"improvement: empty revision of {parent.id}; kept the original")
            continue
        run.parents[revision.id] = (parent.id,)
        await run.emit(SolutionImproved(solution_id=revision.id, parent_id=parent.id))
        kept.append(revision)
    return run.record(kept)


def with_revisions(run: MarsRun, pool: list[Solution], revisions: list[Solution]) -> list[Solution]:
    """`pool` with each revised solution replaced by its revision."""
    by_parent = {run.parents[r.id][0]: r for r in revisions}
    return [by_parent.get(s.id, s) for s in pool]
