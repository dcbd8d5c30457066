"""`TrackedClient`: per-run accounting for one strategy run on a shared client.

Many queries run concurrently on one engine, so the client's own counters mix them. A strategy
run wraps the client once; every completion that passes through is counted under its request
tag (the phase), every engine call (a `generate`, a `stream`, a `generate_until`) once.

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

from engine.client import ModelClient
from engine.fanout import SettleCheck, StopCheck, StreamOutcome, stream_until
from engine.types import Completed, Completion, Prompt, ResponseEvent, Sampling, SamplingArg, TagArg
from engine.usage import ClientStats, Usage, UsageLedger


class TrackedClient:
    """A `ModelClient` that forwards to another and keeps its own per-tag counters."""

    def __init__(self, inner: ModelClient) -> None:
        self.inner = inner
        self._ledger = UsageLedger()
        self.calls = 0
        """Engine calls made through this client: one per `generate`, `stream` or `generate_until`."""
        self._start = time.perf_counter()

    @property
    def max_model_len(self) -> int:
        return self.inner.max_model_len

    @property
    def stats(self) -> ClientStats:
        return self._ledger.snapshot()

    @property
    def elapsed_s(self) -> float:
        """Seconds since this client was made (the run's wall time)."""
        return time.perf_counter() - self._start

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
        async for event in self._counted_stream(prompt, sampling, tag=tag):
            yield event

    async def generate_until(
        self,
        prompts: Sequence[Prompt],
        samplings: SamplingArg,
        stops: Sequence[StopCheck],
        *,
        tag: TagArg = None,
        settle: SettleCheck | None = None,
    ) -> list[StreamOutcome]:
        self.calls += 1
        return await stream_until(_Counted(self), prompts, samplings, stops, tag=tag, settle=settle)

    async def _counted_stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
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


class _Counted:
    """The streams of a `generate_until` call: counted per request, not as calls of their own."""

    def __init__(self, tracked: TrackedClient) -> None:
        self._tracked = tracked

    def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        return self._tracked._counted_stream(prompt, sampling, tag=tag)
