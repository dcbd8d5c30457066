"""Phase 5, selection: pick the answer by the first rule that applies.

1. `verified`: the verified solution with the highest confidence;
2. `consensus`: else, when improvement stopped early because `consensus_threshold` candidates
   agreed (`has_consensus`), that answer's best-reviewed member;
   `majority`: else the consensus-kernel majority among the candidates that have an answer
   (its representative is the group's best-reviewed member);
3. `synthesis`: else one synthesis call over every candidate (tag `selection`).

Confidence, in [0, 1], is the mean of two shares: the solution's verification score (the mean
score of its reviews) and its agreement (the share of the other candidates that give the same
answer).

Example:
    >>> from strategies.core.solution import Solution
    >>> sols = [Solution(answer_key="4", verification_score=1.0), Solution(answer_key="4")]
    >>> [s.confidence for s in with_confidence(sols)]
    [1.0, 0.5]
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from strategies.blocks.aggregate import moe_synthesis
from strategies.blocks.voting import agreement, majority
from strategies.core.solution import Solution
from strategies.mars.errors import SelectionError, phase_errors
from strategies.mars.events import SelectionDone
from strategies.mars.phases import Phase
from strategies.mars.run import MarsRun

SelectionRule = Literal["verified", "consensus", "majority", "synthesis"]


def is_settled(pool: list[Solution], threshold: int) -> bool:
    """Whether a verified solution gives the answer `threshold` candidates agree on: then no
    aggregate or revision could change what selection picks."""
    if not has_consensus(pool, threshold):
        return False
    leading = pool[majority(pool).index].answer_key
    return any(s.is_verified and s.answer_key == leading for s in pool)


def has_consensus(pool: list[Solution], threshold: int) -> bool:
    """Whether at least `threshold` candidates share the leading answer, and no other answer has as many."""
    pick = majority(pool)
    if pick.index < 0 or pick.votes < threshold:
        return False
    counts = Counter(s.answer_key for s in pool if s.answer_key)
    return sum(1 for c in counts.values() if c == pick.votes) == 1


def with_confidence(solutions: list[Solution]) -> list[Solution]:
    """Copies with `confidence` = (verification score + agreement) / 2."""
    return [
        s.model_copy(update={"confidence": (s.verification_score + a) / 2})
        for s, a in zip(solutions, agreement(solutions), strict=True)
    ]


async def select(run: MarsRun, pool: list[Solution], *, agreed: bool = False) -> tuple[Solution, SelectionRule]:
    """The chosen solution (with its confidence) and the rule that chose it."""
    scored = run.record(with_confidence(pool))
    verified = [s for s in scored if s.is_verified]
    rule: SelectionRule
    if verified:
        chosen, rule = max(verified, key=lambda s: s.confidence), "verified"
    elif (pick := majority(scored)).index >= 0:
        chosen, rule = scored[pick.index], "consensus" if agreed else "majority"
    else:
        chosen, rule = await _synthesize(run, scored), "synthesis"
    await run.emit(SelectionDone(solution_id=chosen.id, rule=rule))
    return chosen, rule


async def _synthesize(run: MarsRun, candidates: list[Solution]) -> Solution:
    config = run.config
    with phase_errors(SelectionError):
        merged = await moe_synthesis(
            run,
            candidates,
            experts=len(candidates),
            sampling=run.solve_sampling(config.agent_temperatures[0]),
            phase=Phase.SELECTION,
            system=run.team_system,
            method="synthesis",
        )
    if not merged.solution.reasoning.strip():
        raise SelectionError("no candidate had an answer and the synthesis call wrote nothing")
    run.parents[merged.solution.id] = merged.parents
    [synthesis] = run.record(with_confidence([*candidates, merged.solution])[-1:])
    return synthesis
