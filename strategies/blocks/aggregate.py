"""Aggregation: merge several candidate solutions into new ones, one batched step per round.

`rsa_round` is one loop of recursive self-aggregation (RSA): from a population it builds `size`
merge prompts, each over `k` members chosen by the consensus ranking (sliding windows over the
best-first order, so the best members appear most and every member appears), and generates them
together. `moe_synthesis` is a mixture-of-experts synthesis: one prompt over the top candidates.
Both return `Aggregate` records that name the parents of each new solution. (Majority voting,
which writes no new text, is `strategies.blocks.voting.majority`.)

Example:
    >>> rsa_subsets([2, 0, 1], k=2, count=4)
    [[2, 0], [0, 1], [1, 2], [2, 0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine import Prompt, Sampling
from engine.client import SamplingArg
from strategies.blocks.prompts import followup_prompt
from strategies.blocks.voting import ranking
from strategies.core.run import Run
from strategies.core.solution import Solution

CANDIDATE_BLOCK = "Candidate {number}:\n{text}"

RSA_PROMPT = (
    "Problem:\n{query}\n\n"
    "Below are {count} candidate solutions to this problem. Some of them may be wrong.\n\n"
    "{candidates}\n\n"
    "---\n"
    "Compare the candidates step by step. Keep the reasoning that is right, fix what is wrong, "
    "and write one complete, improved solution. End with the final answer on its own line as: "
    "Answer: <answer>"
)

MOE_PROMPT = (
    "Problem:\n{query}\n\n"
    "Experts solved this problem independently; their solutions follow, the most trusted first.\n\n"
    "{candidates}\n\n"
    "---\n"
    "Act as the lead expert: weigh where the experts agree and where they differ, decide which "
    "reasoning holds, and write the final solution. End with the final answer on its own line "
    "as: Answer: <answer>"
)

AGGREGATOR_ID = "aggregator"
"""The agent id of aggregated solutions: no agent wrote them, so any agent may review them."""


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A solution written from others, and the ids of those others (best first)."""

    solution: Solution
    parents: tuple[str, ...]


def rsa_subsets(ranked: Sequence[int], k: int, count: int) -> list[list[int]]:
    """`count` subsets of `min(k, len(ranked))` indices: windows over `ranked`, wrapping around."""
    size = len(ranked)
    if size == 0:
        raise ValueError("rsa_subsets needs at least one ranked candidate")
    width = min(k, size)
    return [[ranked[(j + m) % size] for m in range(width)] for j in range(count)]


def aggregate_prompt(template: str, query: str, members: Sequence[Solution], system: str | None) -> Prompt:
    """`template` filled with the query and the members' texts as numbered candidates."""
    return followup_prompt(query, template, system=system, count=len(members), candidates=candidate_blocks(members))


def candidate_blocks(members: Sequence[Solution]) -> str:
    """The members' texts as numbered `Candidate i:` blocks, for a template's `{candidates}`."""
    return "\n\n".join(CANDIDATE_BLOCK.format(number=i + 1, text=s.reasoning) for i, s in enumerate(members))


async def rsa_round(
    run: Run[Any],
    population: Sequence[Solution],
    *,
    size: int,
    k: int,
    samplings: SamplingArg,
    phase: str = "aggregation",
    system: str | None = None,
) -> list[Aggregate]:
    """One RSA loop over the run's query: `size` merges of `k` members each, in one step.

    `samplings` is one sampling or one per merge (their `n` is set to 1). The result is the
    next population, in merge order.
    """
    if isinstance(samplings, Sampling):
        single: SamplingArg = samplings.with_(n=1)
    else:
        single = [s.with_(n=1) for s in samplings]
    subsets = rsa_subsets(ranking(population), k, size)
    members = [[population[i] for i in subset] for subset in subsets]
    prompts = [aggregate_prompt(RSA_PROMPT, run.query, group, system) for group in members]
    merged = await run.solutions(phase, prompts, single, agent_ids=[AGGREGATOR_ID] * size, method="rsa-merge")
    return [Aggregate(solution, tuple(s.id for s in group)) for solution, group in zip(merged, members, strict=True)]


async def moe_synthesis(
    run: Run[Any],
    candidates: Sequence[Solution],
    *,
    experts: int,
    sampling: Sampling,
    phase: str = "aggregation",
    system: str | None = None,
    method: str = "moe",
) -> Aggregate:
    """One solution synthesized from the `experts` best candidates (consensus ranking), one call."""
    if not candidates:
        raise ValueError("moe_synthesis needs at least one candidate")
    top = [candidates[i] for i in ranking(candidates)[:experts]]
    prompt = aggregate_prompt(MOE_PROMPT, run.query, top, system)
    [solution] = await run.solutions(phase, [prompt], sampling.with_(n=1), agent_ids=[AGGREGATOR_ID], method=method)
    return Aggregate(solution, tuple(s.id for s in top))
