"""Pipeline strategies: a fixed sequence of batched steps, and the plumbing every step shares.

A `PipelineRun` holds what one `optimize` call accumulates: the `TrackedClient` (usage per
phase tag), the phase events (`strategies.common.progress`), the fallbacks taken and the
strategy's details. Each step is one `generate` call tagged with its phase, wrapped in a
`PhaseStarted`/`PhaseFinished` pair. Steps that are not one `generate` call (streams, other
strategies run on `run.client` with `run.on_event`) still go through `run.client`, so the
run counts every request exactly once. A `Pipeline` subclass only writes `solve`: its algorithm,
returning the chosen solution and the rule that chose it; `optimize` does the rest (an empty
query is an `InputError`, the run's accounting goes into the solution's metadata).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient, Sampling
    >>> from strategies.common.prompts import solve_prompt
    >>> run = PipelineRun(ScriptedClient(lambda p, s: "Answer: 4"), "demo")
    >>> [s] = asyncio.run(run.solutions("generate", [solve_prompt("2+2?")], Sampling()))
    >>> s.answer, run.client.stats["generate"].requests
    ('4', 1)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from engine import Completion, InputError, ModelClient, Prompt
from engine.client import SamplingArg, TagArg
from kernels.extract import AnswerKind
from strategies.base import StrategyConfig
from strategies.common.progress import Progress
from strategies.common.sampling import solution_from
from strategies.events import EventCallback
from strategies.solution import Solution, SolutionMetadata
from strategies.tracking import TrackedClient

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=StrategyConfig)


class PipelineRun:
    """One run of a pipeline strategy: tracked client, phase events, fallbacks and details."""

    def __init__(self, client: ModelClient, strategy: str, on_event: EventCallback | None = None):
        self.client = TrackedClient(client)
        self.strategy = strategy
        self.on_event = on_event
        self.progress = Progress(strategy, on_event)
        self.fallbacks: list[str] = []
        self.details: dict[str, Any] = {}

    async def generate(
        self, phase: str, prompts: Sequence[Prompt], samplings: SamplingArg, *, tags: TagArg = None
    ) -> list[Completion]:
        """One batched step: every prompt in one `generate` call tagged `phase` (none if empty).

        `tags` overrides the request tags (one per prompt) where a step mixes phases.
        """
        if not prompts:
            return []
        async with self.progress.phase(phase, requests=len(prompts)):
            return await self.client.generate(prompts, samplings, tag=phase if tags is None else tags)

    async def texts(self, phase: str, prompts: Sequence[Prompt], samplings: SamplingArg) -> list[str]:
        """The generated texts of one batched step, in prompt order."""
        return [c.text for c in await self.generate(phase, prompts, samplings)]

    async def solutions(
        self,
        phase: str,
        prompts: Sequence[Prompt],
        samplings: SamplingArg,
        *,
        kind: AnswerKind = "auto",
        method: str = "sample",
        agent_ids: Sequence[str] | None = None,
    ) -> list[Solution]:
        """One batched step whose completions become `Solution`s (answers extracted), with
        `agent_ids` one per completion (default `{phase}-{i}`)."""
        completions = await self.generate(phase, prompts, samplings)
        ids = agent_ids if agent_ids is not None else [f"{phase}-{i}" for i in range(len(completions))]
        return [
            solution_from(c, agent_id=a, phase=phase, method=method, kind=kind)
            for a, c in zip(ids, completions, strict=True)
        ]

    def fallback(self, note: str) -> None:
        """Record a fallback the run took (shown in `metadata.fallbacks`)."""
        logger.debug("%s: fallback: %s", self.strategy, note)
        self.fallbacks.append(note)

    def finish(self, solution: Solution, *, selection_rule: str) -> Solution:
        """A copy of `solution` carrying this run's fallbacks, details and accounting."""
        metadata = SolutionMetadata(fallbacks=list(self.fallbacks), details=dict(self.details))
        final = solution.model_copy(update={"metadata": metadata})
        return self.client.finish(final, strategy=self.strategy, selection_rule=selection_rule)


class Pipeline(Generic[C]):
    """Base of pipeline strategies: holds the config and runs `solve` inside a `PipelineRun`."""

    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, config: C) -> None:
        self.config = config

    async def optimize(
        self,
        query: str,
        client: ModelClient,
        *,
        system: str | None = None,
        on_event: EventCallback | None = None,
    ) -> Solution:
        if not query.strip():
            raise InputError(f"{self.name} got an empty query; pass the question to answer")
        run = PipelineRun(client, self.name, on_event)
        chosen, rule = await self.solve(run, query, system)
        solution = run.finish(chosen, selection_rule=rule)
        logger.debug(
            "%s: answer %r by rule %s, %d calls, %d requests",
            self.name,
            solution.answer,
            rule,
            solution.metadata.engine_calls,
            solution.metadata.engine_requests,
        )
        return solution

    async def solve(self, run: PipelineRun, query: str, system: str | None) -> tuple[Solution, str]:
        """The algorithm: the chosen solution and the rule that chose it."""
        raise NotImplementedError
