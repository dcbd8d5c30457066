"""`SharedBatch`: the `generate` calls of every request in flight, sent to the engine together.

The server runs each request's strategy as its own task on one client. The `generate` calls
those tasks make in the same turn of the event loop, or within `window_s` of the first of them
(a burst of new requests, or many runs whose previous step finished in the same engine
output), are sent as ONE call of the inner client: one batch for a client that batches within
a call only (a remote server, `ScriptedClient`: one `calls` entry). A merged call returns
when its last request does, so each caller waits for the longest request merged with its own.
vLLM batches concurrent calls continuously by itself, which is why `optivllm serve` does not
put a `VLLMClient` behind one (`ServeSettings.share_batches`).

A caller gets back exactly its own completions. A merged call that fails with a recoverable
error (one caller's prompt too long for the context, say) is sent again caller by caller, so
each caller gets its own result or error; a fatal error (`EngineDeadError`) goes to every
caller. A cancelled caller (a client that went away) is dropped: when every caller of a
merged call is gone the call is cancelled, which aborts its requests in the engine; while
others still wait on it, its requests finish (at most one step of wasted tokens).
`stream` and `generate_until` go straight to the inner client: each is per-request already.

Example:
    >>> import asyncio
    >>> from engine import Prompt, ScriptedClient
    >>> inner = ScriptedClient(lambda p, s: "Answer: 4")
    >>> shared = SharedBatch(inner)
    >>> async def three_callers():
    ...     return await asyncio.gather(*(shared.generate([Prompt.user(f"q{i}")]) for i in range(3)))
    >>> [len(out) for out in asyncio.run(three_callers())], len(inner.calls)
    ([1, 1, 1], 1)
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from engine import (
    ClientError,
    ClientStats,
    Completion,
    ModelClient,
    Prompt,
    ResponseEvent,
    Sampling,
    SamplingArg,
    SettleCheck,
    StopCheck,
    StreamOutcome,
    TagArg,
    pair_requests,
)

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Caller:
    """One `generate` call waiting for its share of a merged call."""

    prompts: list[Prompt]
    samplings: list[Sampling]
    tags: list[str | None]
    future: asyncio.Future[list[Completion]]

    @property
    def completions(self) -> int:
        return sum(s.n for s in self.samplings)


@dataclass(eq=False)
class _Merged:
    callers: list[_Caller]
    task: asyncio.Task[None] | None = None
    done: bool = False


class SharedBatch:
    """A `ModelClient` over `inner` whose concurrent `generate` calls share one inner call."""

    def __init__(self, inner: ModelClient, *, window_s: float = 0.0) -> None:
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        self.inner = inner
        self.window_s = window_s
        self._waiting: list[_Caller] = []
        self._merged: set[asyncio.Task[None]] = set()
        self.merged_calls = 0
        """Inner `generate` calls made (each may hold many callers' requests)."""

    # -- pass-through ---------------------------------------------------------------------------

    @property
    def max_model_len(self) -> int:
        return self.inner.max_model_len

    @property
    def stats(self) -> ClientStats:
        return self.inner.stats

    def reset_stats(self) -> None:
        self.inner.reset_stats()

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        return self.inner.count_prompt_tokens(prompt)

    def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        return self.inner.stream(prompt, sampling, tag=tag)

    async def generate_until(
        self,
        prompts: Sequence[Prompt],
        samplings: SamplingArg,
        stops: Sequence[StopCheck],
        *,
        tag: TagArg = None,
        settle: SettleCheck | None = None,
    ) -> list[StreamOutcome]:
        return await self.inner.generate_until(prompts, samplings, stops, tag=tag, settle=settle)

    # -- the shared batch -----------------------------------------------------------------------

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        requests = pair_requests(prompts, samplings, tag)
        if not requests:
            return []
        loop = asyncio.get_running_loop()
        caller = _Caller(
            [p for p, _, _ in requests], [s for _, s, _ in requests], [t for _, _, t in requests], loop.create_future()
        )
        if not self._waiting:  # the first caller of a batch: send it after this turn (or the window)
            if self.window_s:
                loop.call_later(self.window_s, self._flush)
            else:
                loop.call_soon(self._flush)  # after every task that is ready in this turn has run
        self._waiting.append(caller)
        return await caller.future  # cancelling the caller cancels its future

    def _flush(self) -> None:
        callers = [c for c in self._waiting if not c.future.done()]
        self._waiting = []
        if not callers:
            return
        merged = _Merged(callers)
        merged.task = asyncio.ensure_future(self._run(merged))
        self._merged.add(merged.task)
        merged.task.add_done_callback(self._merged.discard)
        for c in callers:
            c.future.add_done_callback(functools.partial(self._caller_left, merged))

    def _caller_left(self, merged: _Merged, _: object) -> None:
        """Cancel the merged call once none of its callers waits for it any more."""
        if merged.done or merged.task is None:
            return
        if all(c.future.cancelled() for c in merged.callers):
            merged.task.cancel()

    async def _run(self, merged: _Merged) -> None:
        callers = merged.callers
        try:
            out = await self._generate(callers)
        except asyncio.CancelledError:
            merged.done = True
            for c in callers:
                c.future.cancel()
            raise
        except ClientError as err:
            if not err.recoverable or len(callers) == 1:
                merged.done = True
                _fail(callers, err)
                return
            logger.debug("a merged call of %d callers failed (%s); sending each alone", len(callers), err)
            await asyncio.gather(*(self._alone(c) for c in callers if not c.future.done()))
            merged.done = True
            return
        except BaseException as err:
            merged.done = True
            _fail(callers, err)
            return
        merged.done = True
        start = 0
        for c in callers:
            share = out[start : start + c.completions]
            start += c.completions
            if not c.future.done():
                c.future.set_result(share)

    async def _alone(self, caller: _Caller) -> None:
        try:
            out = await self._generate([caller])
        except asyncio.CancelledError:
            raise
        except BaseException as err:
            _fail([caller], err)
        else:
            if not caller.future.done():
                caller.future.set_result(out)

    async def _generate(self, callers: Sequence[_Caller]) -> list[Completion]:
        self.merged_calls += 1
        return await self.inner.generate(
            [p for c in callers for p in c.prompts],
            [s for c in callers for s in c.samplings],
            tag=[t for c in callers for t in c.tags],
        )


def _fail(callers: Sequence[_Caller], err: BaseException) -> None:
    for c in callers:
        if not c.future.done():
            c.future.set_exception(err)
