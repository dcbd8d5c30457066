"""The strategy network: each agent's approach in one sentence, shared with its peers.

Read once, when improvement starts, from each agent's best solution so far (one call, tag
`strategy_network`); revising agents then see the best peers' approaches (not their own).

Example:
    >>> peers([Approach("agent-0", "Add.", 0.9), Approach("agent-1", "Count.", 0.5)], "agent-0", 2)
    [Approach(agent_id='agent-1', text='Count.', score=0.5)]
"""

from __future__ import annotations

from dataclasses import dataclass

from strategies.blocks.prompts import followup_prompt
from strategies.core.solution import Solution
from strategies.mars.errors import ImprovementError, phase_errors
from strategies.mars.phases import Phase
from strategies.mars.prompts import APPROACH_PROMPT
from strategies.mars.run import MarsRun

APPROACH_MAX_TOKENS = 64
"""Completion budget of one approach sentence."""

MAX_APPROACH_CHARS = 300


@dataclass(frozen=True, slots=True)
class Approach:
    """An agent's approach, and the verification score of the solution it was read from."""

    agent_id: str
    text: str
    score: float


def one_sentence(text: str) -> str:
    """The first non-empty line of `text` without markdown marks, at most 300 characters."""
    for line in text.splitlines():
        line = line.strip(" \t*_#>-`")
        if line:
            return line[:MAX_APPROACH_CHARS]
    return ""


def peers(approaches: list[Approach], agent_id: str, count: int) -> list[Approach]:
    """The `count` best approaches of agents other than `agent_id` (`approaches` is best first)."""
    return [a for a in approaches if a.agent_id != agent_id][:count]


def _best_per_agent(run: MarsRun, pool: list[Solution]) -> list[Solution]:
    best: dict[str, Solution] = {}
    for s in pool:
        if run.author_of(s) is not None and (
            s.agent_id not in best or s.verification_score > best[s.agent_id].verification_score
        ):
            best[s.agent_id] = s
    return list(best.values())


async def extract_approaches(run: MarsRun, pool: list[Solution]) -> list[Approach]:
    """Every agent's approach, best verification score first, from one `generate` call."""
    sources = _best_per_agent(run, pool)
    if not sources:
        return []
    prompts = [
        followup_prompt(run.query, APPROACH_PROMPT, system=run.team_system, solution=s.reasoning) for s in sources
    ]
    sampling = run.verify_sampling.with_(max_tokens=APPROACH_MAX_TOKENS)
    with phase_errors(ImprovementError):
        completions = await run.generate(Phase.STRATEGY_NETWORK, prompts, sampling)
    found = [
        Approach(s.agent_id, one_sentence(c.text), s.verification_score)
        for s, c in zip(sources, completions, strict=True)
    ]
    approaches = sorted((a for a in found if a.text), key=lambda a: -a.score)
    run.fallbacks.extend(f"strategy_network: no approach read for {a.agent_id}" for a in found if not a.text)
    run.details["approaches"] = {a.agent_id: a.text for a in approaches}
    return approaches
