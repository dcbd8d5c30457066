"""Streaming fan-out: many requests streamed at once, each stopped by its own condition.

`generate` waits for every request to finish; some strategies want to stop a request as soon as
its text shows it is not worth finishing (deepconf stops a trace whose confidence drops). A
`stream_until` call streams every request concurrently and hands each new piece of a request to
that request's `StopCheck`; when the check returns True the stream is closed, which aborts the
request in the engine, so its remaining tokens are never computed. A `SettleCheck` sees each
request that finishes and may settle the whole call (a vote that can no longer change): every
request still streaming is then aborted. Every `ModelClient`'s
`generate_until` is this function over the client's own `stream`.

Example:
    >>> import asyncio
    >>> from engine import Prompt, Sampling, ScriptedClient
    >>> client = ScriptedClient(lambda p, s: "one two three four")
    >>> outcomes = asyncio.run(stream_until(client, [Prompt.user("a")] * 2, Sampling(),
    ...     [lambda d: False, lambda d: "two" in d.text]))
    >>> [o.stopped for o in outcomes], outcomes[1].completion_tokens
    ([False, True], 2)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Protocol, cast

from engine.types import (
    Completed,
    Completion,
    Prompt,
    ResponseEvent,
    Sampling,
    SamplingArg,
    TagArg,
    TextDelta,
    pair_requests,
)

StopCheck = Callable[[TextDelta], bool]
"""Called with each new piece of one request's text; True stops (aborts) the request."""

SettleCheck = Callable[[int, Completion], bool]
"""Called when request i finishes; True settles the call: every request still streaming stops."""


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    """How one request of `stream_until` ended: its completion, or stopped after some tokens."""

    completion: Completion | None
    """The finished completion; None when the stop check stopped the request."""
    completion_tokens: int
    """Tokens generated: all of them, or those before the stop."""

    @property
    def stopped(self) -> bool:
        return self.completion is None


async def stream_until(
    client: _Streams,
    prompts: Sequence[Prompt],
    samplings: SamplingArg,
    stops: Sequence[StopCheck],
    *,
    tag: TagArg = None,
    settle: SettleCheck | None = None,
) -> list[StreamOutcome]:
    """Stream every prompt concurrently; stop request i when `stops[i]` returns True, and every
    request still streaming once `settle(i, completion)` returns True for a finished one.

    Outcomes come back in prompt order. Requests are one sample each (`n` is ignored).
    """
    requests = pair_requests(prompts, samplings, tag)
    if len(stops) != len(requests):
        raise ValueError(f"stream_until got {len(requests)} prompts but {len(stops)} stop checks")
    settled = asyncio.Event()

    async def one(i: int, stream: AsyncIterator[ResponseEvent], stop: StopCheck) -> StreamOutcome:
        tokens = 0
        async with aclosing(cast(AsyncGenerator[ResponseEvent, None], stream)) as events:
            async for event in events:
                if isinstance(event, Completed):
                    if settle is not None and settle(i, event.completion):
                        settled.set()
                    return StreamOutcome(event.completion, event.completion.completion_tokens)
                tokens += len(event.token_ids)
                if settled.is_set() or stop(event):
                    break  # leaving the `aclosing` block closes the stream: the engine aborts it
        return StreamOutcome(None, tokens)

    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(one(i, client.stream(p, s.with_(n=1), tag=t), stop))
            for i, ((p, s, t), stop) in enumerate(zip(requests, stops, strict=True))
        ]
    return [task.result() for task in tasks]


class _Streams(Protocol):
    """What `stream_until` needs of a client (every `ModelClient` has it)."""

    def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]: ...


class StreamsUntil:
    """`generate_until` as `stream_until` over the client's own `stream`: what a client that can
    stream inherits (`VLLMClient`, `ScriptedClient`)."""

    async def generate_until(
        self: _Streams,
        prompts: Sequence[Prompt],
        samplings: SamplingArg,
        stops: Sequence[StopCheck],
        *,
        tag: TagArg = None,
        settle: SettleCheck | None = None,
    ) -> list[StreamOutcome]:
        return await stream_until(self, prompts, samplings, stops, tag=tag, settle=settle)
