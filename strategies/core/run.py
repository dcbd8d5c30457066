"""`Run`: one `optimize` call's state, and the one primitive every step of a strategy goes through.

A run holds the query, the system prompt, the config, the `TrackedClient` (usage per phase),
the event sink, the fallbacks taken and the strategy's details. Every engine step of every
strategy is `run.generate(phase, prompts, samplings)` (or `run.solutions`, which makes
`Solution`s of the completions, or `run.generate_until`, which streams with a stop condition):
one engine call tagged with the phase, announced by `PhaseStarted` and closed by
`PhaseFinished` with the step's usage. So the phase events and per-phase accounting of every
strategy come from here, and blocks (`strategies.blocks`) that take a run get them for free.

Agent ids follow one scheme: the ids a step passes (MARS's `agent-0`...), else `{phase}-{i}`
for request i; a request with `n` > 1 samples adds `/{sample}` (`sampling-0/2`).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient, Sampling
    >>> from strategies.blocks.prompts import solve_prompt
    >>> run = Run.start("2+2?", ScriptedClient(lambda p, s: "Answer: 4"), StrategyConfig(), strategy="demo")
    >>> [s] = asyncio.run(run.solutions("generate", [solve_prompt(run.query)], Sampling()))
    >>> s.answer, s.agent_id, run.client.stats["generate"].requests
    ('4', 'generate-0', 1)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from engine import (
    BudgetExhausted,
    Completion,
    ModelClient,
    Prompt,
    RequestAbortedError,
    ResponseEvent,
    Sampling,
    SamplingArg,
    SettleCheck,
    StopCheck,
    StreamOutcome,
    TagArg,
    TextDelta,
    TrackedClient,
    Usage,
    pair_requests,
)
from kernels.extract import AnswerKind
from strategies.core.config import StrategyConfig
from strategies.core.events import (
    CandidateProduced,
    CandidateVerified,
    Event,
    EventCallback,
    EventSink,
    PhaseFinished,
    PhaseStarted,
)
from strategies.core.solution import Solution, SolutionMetadata, solution_from

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=StrategyConfig)


@dataclass(eq=False)
class Run(Generic[C]):
    """One run of a strategy: inputs, tracked client, events, fallbacks and details."""

    client: TrackedClient
    query: str
    system: str | None
    config: C
    sink: EventSink
    fallbacks: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    """Strategy-specific records for `SolutionMetadata.details`."""
    phase: str = ""
    """The phase of the step in flight (or last sent): where an error happened."""
    history: list[Solution] = field(default_factory=list)
    """Every candidate the run's steps produced, in order (what a spent budget answers from)."""

    @classmethod
    def start(
        cls,
        query: str,
        client: ModelClient,
        config: C,
        *,
        system: str | None = None,
        strategy: str = "",
        on_event: EventCallback | None = None,
    ) -> Run[C]:
        """A fresh run of `query` on `client` (tracked per phase); events go to `on_event`."""
        return cls(TrackedClient(client), query, system, config, EventSink(on_event, strategy=strategy))

    @property
    def strategy(self) -> str:
        return self.sink.strategy

    async def emit(self, event: Event) -> None:
        """Send a strategy's own event to the run's listener (free when nobody listens)."""
        await self.sink.emit(event)

    # -- the generation primitive ----------------------------------------------------------------

    async def generate(
        self, phase: str, prompts: Sequence[Prompt], samplings: SamplingArg, *, tags: TagArg = None
    ) -> list[Completion]:
        """One batched step: every prompt in one `generate` call tagged `phase` (none if empty).

        `tags` overrides the request tags (one per prompt) where a step mixes phases.
        """
        if not prompts:
            return []
        samplings = self._within_budget(phase, prompts, samplings)
        start = await self._phase_started(phase, len(prompts))
        completions = await self.client.generate(prompts, samplings, tag=phase if tags is None else tags)
        await self._phase_finished(phase, len(prompts), start, Usage.of(completions))
        return completions

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
        """One batched step whose completions become `Solution`s (answers extracted), each
        announced by `CandidateProduced`; `agent_ids` gives one id per request."""
        completions = await self.generate(phase, prompts, samplings)
        ids = agent_ids_of(completions, phase, agent_ids)
        solutions = [
            solution_from(c, agent_id=a, phase=phase, method=method, kind=kind)
            for a, c in zip(ids, completions, strict=True)
        ]
        await self.produced(solutions)
        return solutions

    async def generate_until(
        self,
        phase: str,
        prompts: Sequence[Prompt],
        samplings: SamplingArg,
        stops: Sequence[StopCheck],
        *,
        settle: SettleCheck | None = None,
    ) -> list[StreamOutcome]:
        """One streamed step: every prompt streamed at once, request i stopped (aborted in the
        engine) when `stops[i]` says so, all of them once `settle` does; see
        `ModelClient.generate_until`."""
        if not prompts:
            return []
        samplings = self._within_budget(phase, prompts, samplings)
        start = await self._phase_started(phase, len(prompts))
        before = self.client.stats.by_tag.get(phase, Usage())
        outcomes = await self.client.generate_until(prompts, samplings, stops, tag=phase, settle=settle)
        after = self.client.stats.by_tag.get(phase, Usage())
        await self._phase_finished(phase, len(prompts), start, after - before)
        return outcomes

    async def stream_solution(
        self, phase: str, prompt: Prompt, sampling: Sampling, *, on_text: Callable[[TextDelta], Any], agent_id: str = ""
    ) -> tuple[Solution, Completion]:
        """One request streamed: each piece of its text goes to `on_text` as the engine writes it;
        its completion becomes a `Solution` (announced like `solutions`). Closing early aborts it."""
        fitted = self._within_budget(phase, [prompt], sampling)
        sampling = fitted if isinstance(fitted, Sampling) else fitted[0]
        start = await self._phase_started(phase, 1)
        completion: Completion | None = None
        stream = cast(AsyncGenerator[ResponseEvent, None], self.client.stream(prompt, sampling, tag=phase))
        async with aclosing(stream) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    if event.text:
                        on_text(event)
                else:
                    completion = event.completion
        if completion is None:
            raise RequestAbortedError("the engine's stream ended without its completion")
        await self._phase_finished(phase, 1, start, Usage.of([completion]))
        solution = solution_from(completion, agent_id=agent_id, phase=phase)
        await self.produced([solution])
        return solution, completion

    # -- what a strategy reports -----------------------------------------------------------------

    async def produced(self, solutions: Sequence[Solution]) -> None:
        """Record and announce new candidates (`run.solutions` does it for the solutions it makes)."""
        self.history.extend(solutions)
        if self.sink.active:
            for s in solutions:
                await self.emit(CandidateProduced(solution_id=s.id, agent_id=s.agent_id, phase=s.phase))

    async def verified(self, solution: Solution) -> None:
        """Announce that `solution` was judged (verified or not, and its score)."""
        await self.emit(
            CandidateVerified(
                solution_id=solution.id, is_verified=solution.is_verified, score=solution.verification_score
            )
        )

    def fallback(self, note: str) -> None:
        """Record a fallback the run took (shown in `metadata.fallbacks`)."""
        logger.debug("%s: fallback: %s", self.strategy, note)
        self.fallbacks.append(note)

    def metadata(self) -> SolutionMetadata:
        """The run's record for the chosen solution: fallbacks and details."""
        return SolutionMetadata(fallbacks=list(self.fallbacks), details=dict(self.details))

    def finish(self, solution: Solution, *, selection_rule: str) -> Solution:
        """A copy of `solution` carrying this run's record and accounting."""
        stats = self.client.stats
        meta = self.metadata().model_copy(
            update={
                "strategy": self.strategy,
                "selection_rule": selection_rule,
                "usage": stats.total,
                "usage_by_phase": dict(stats.by_tag),
                "engine_requests": stats.total.requests,
                "engine_calls": self.client.calls,
                "wall_s": self.client.elapsed_s,
                "budget_tokens": self.config.budget_tokens,
            }
        )
        return solution.model_copy(update={"metadata": meta})

    @property
    def spent_tokens(self) -> int:
        """Completion tokens the run has spent so far."""
        return self.client.stats.total.completion_tokens

    def best_so_far(self) -> Solution | None:
        """The answer a spent budget falls back to: the most common answer among the candidates
        produced (the earliest such candidate), else the last candidate with any text."""
        answered = [s for s in self.history if s.answer_key]
        if answered:
            counts = Counter(s.answer_key for s in answered)
            top = max(counts.values())
            return next(s for s in answered if counts[s.answer_key] == top)
        written = [s for s in self.history if s.reasoning.strip()]
        return written[-1] if written else None

    def _within_budget(self, phase: str, prompts: Sequence[Prompt], samplings: SamplingArg) -> SamplingArg:
        """`samplings` with `max_tokens` cut so the step cannot spend past the budget."""
        budget = self.config.budget_tokens
        if budget is None:
            return samplings
        requests = [s for _, s, _ in pair_requests(prompts, samplings, None)]
        left = budget - self.spent_tokens
        if sum(s.n * s.max_tokens for s in requests) <= left:
            return samplings
        cap = left // sum(s.n for s in requests)
        if cap < 1:
            raise BudgetExhausted(
                f"the budget of {budget} completion tokens is spent ({self.spent_tokens} used); "
                f"the {phase} step needs at least {sum(s.n for s in requests)} more"
            )
        self.fallback(f"budget: {phase} cut to max_tokens={cap} ({left} of {budget} completion tokens left)")
        return [s.with_(max_tokens=min(s.max_tokens, cap), min_tokens=min(s.min_tokens, cap)) for s in requests]

    async def _phase_started(self, phase: str, requests: int) -> float:
        self.phase = phase
        await self.emit(PhaseStarted(phase=phase, requests=requests))
        return time.perf_counter()

    async def _phase_finished(self, phase: str, requests: int, start: float, usage: Usage) -> None:
        wall = time.perf_counter() - start
        await self.emit(PhaseFinished(phase=phase, requests=requests, wall_s=wall, usage=usage))


def agent_ids_of(completions: Sequence[Completion], phase: str, agent_ids: Sequence[str] | None) -> list[str]:
    """The agent id of each completion: its request's id (given, or `{phase}-{i}`), plus
    `/{sample}` when the request has several samples."""
    samples = Counter(c.request_id for c in completions)
    out = []
    request = -1
    for c in completions:
        request += c.sample_index == 0
        base = agent_ids[request] if agent_ids is not None else f"{phase}-{request}"
        out.append(base if samples[c.request_id] == 1 else f"{base}/{c.sample_index}")
    return out
