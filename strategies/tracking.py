"""`TrackedClient`: per-query accounting for a strategy run on a shared client.

Many queries run concurrently on one engine, so the client's own counters mix them. A strategy
wraps the client once per `optimize` call; every completion that passes through is counted
under its request tag (the phase), and `finish` writes the totals into the solution.

Example:
    >>> from engine import ScriptedClient, Prompt
    >>> import asyncio
    >>> tracked = TrackedClient(ScriptedClient(lambda p, s: "4"))
    >>> _ = asyncio.run(tracked.generate([Prompt.user("2+2?")], tag="explore"))
    >>> tracked.stats["explore"].requests, tracked.calls
    (1, 1)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence

from engine import ClientStats, Completed, Completion, ModelClient, Prompt, ResponseEvent, Sampling, Usage, UsageLedger
from engine.client import SamplingArg, TagArg
from strategies.solution import Solution


class TrackedClient:
    """A `ModelClient` that forwards to another and keeps its own per-tag counters."""

    def __init__(self, inner: ModelClient) -> None:
        self.inner = inner
        self._ledger = UsageLedger()
        self.calls = 0
        self._start = time.perf_counter()

    @property
    def max_model_len(self) -> int:
        return self.inner.max_model_len

    @property
    def stats(self) -> ClientStats:
        return self._ledger.snapshot()

    def reset_stats(self) -> None:
        self._ledger.reset()

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        return self.inner.count_prompt_tokens(prompt)

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        self.calls += 1
        start = time.perf_counter()
        out = await self.inner.generate(prompts, samplings, tag=tag)
        self._ledger.record(out, wall_s=time.perf_counter() - start)
        return out

    async def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        self.calls += 1
        done = False
        tokens = 0
        try:
            async for event in self.inner.stream(prompt, sampling, tag=tag):
                if isinstance(event, Completed):
                    done = True
                    self._ledger.record([event.completion])
                else:
                    tokens += len(event.token_ids)
                yield event
        finally:
            if not done:
                prompt_tokens = self.inner.count_prompt_tokens(prompt)
                self._ledger.add(
                    tag,
                    Usage(requests=1, prompt_tokens=prompt_tokens, completion_tokens=tokens, aborted_requests=1),
                )

    def finish(self, solution: Solution, *, strategy: str, selection_rule: str | None = None) -> Solution:
        """Write this run's accounting into `solution.metadata` and return the solution."""
        stats = self.stats
        meta = solution.metadata
        meta.strategy = strategy
        if selection_rule is not None:
            meta.selection_rule = selection_rule
        meta.usage = stats.total
        meta.usage_by_phase = dict(stats.by_tag)
        meta.engine_requests = stats.total.requests
        meta.engine_calls = self.calls
        meta.wall_s = time.perf_counter() - self._start
        return solution
