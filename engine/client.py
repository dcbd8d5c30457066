"""`ModelClient`: the one interface strategies use to reach a model.

`generate` takes every request of a step at once, so an engine can schedule them as one batch;
`stream` yields the text of one request as it is generated and aborts it in the engine when the
consumer stops reading; `generate_until` streams many at once, each with its own stop condition. Implementations: `VLLMClient` (in-process vLLM) and `ScriptedClient`
(canned answers, for testing strategy logic).

Example:
    >>> async def ask(client: ModelClient) -> str:
    ...     [c] = await client.generate([Prompt.user("2+2?")], Sampling(temperature=0), tag="ask")
    ...     return c.text
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from engine.fanout import SettleCheck, StopCheck, StreamOutcome
from engine.types import Completion, Prompt, ResponseEvent, Sampling, SamplingArg, TagArg
from engine.usage import ClientStats


@runtime_checkable
class ModelClient(Protocol):
    """What a strategy needs from a model: batched generation, streaming, and accounting."""

    @property
    def max_model_len(self) -> int:
        """The model's context window in tokens (prompt plus completion)."""
        ...

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the counters per request tag since creation or the last reset."""
        ...

    def reset_stats(self) -> None:
        """Zero the counters."""
        ...

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        """Run every request at once and return their completions in request order.

        `samplings` and `tag` are one value for all requests or one per request. A request with
        `n` samples contributes `n` consecutive completions (`sample_index` 0..n-1).
        Raises `ContextLengthError` before submitting anything if a prompt cannot fit.
        """
        ...

    def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        """Yield `TextDelta`s then one `Completed`; closing the iterator early aborts the request."""
        ...

    async def generate_until(
        self,
        prompts: Sequence[Prompt],
        samplings: SamplingArg,
        stops: Sequence[StopCheck],
        *,
        tag: TagArg = None,
        settle: SettleCheck | None = None,
    ) -> list[StreamOutcome]:
        """Stream every request at once; stop (abort in the engine) request i when `stops[i]`
        returns True for a new piece of its text, and every request still streaming once
        `settle(i, completion)` returns True for a finished one. See `engine.fanout.stream_until`."""
        ...

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        """How many tokens `prompt` takes once rendered with the model's chat template."""
        ...
