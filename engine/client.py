"""`ModelClient`: the one interface strategies use to reach a model.

`generate` takes every request of a step at once, so an engine can schedule them as one batch;
`stream` yields the text of one request as it is generated and aborts it in the engine when the
consumer stops reading. Implementations: `VLLMClient` (in-process vLLM) and `ScriptedClient`
(canned answers, for testing strategy logic).

Example:
    >>> async def ask(client: ModelClient) -> str:
    ...     [c] = await client.generate([Prompt.user("2+2?")], Sampling(temperature=0), tag="ask")
    ...     return c.text
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from engine.errors import InputError
from engine.types import Completion, Prompt, ResponseEvent, Sampling
from engine.usage import ClientStats

SamplingArg = Sampling | Sequence[Sampling]
TagArg = str | None | Sequence[str | None]


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

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        """How many tokens `prompt` takes once rendered with the model's chat template."""
        ...


def pair_requests(
    prompts: Sequence[Prompt], samplings: SamplingArg, tag: TagArg
) -> list[tuple[Prompt, Sampling, str | None]]:
    """Pair each prompt with its sampling and tag, broadcasting single values.

    >>> len(pair_requests([Prompt.user("a"), Prompt.user("b")], Sampling(), "explore"))
    2
    """
    n = len(prompts)
    if isinstance(samplings, Sampling):
        samp: Sequence[Sampling] = [samplings] * n
    else:
        samp = list(samplings)
    tags: Sequence[str | None] = [tag] * n if tag is None or isinstance(tag, str) else list(tag)
    if len(samp) != n:
        raise InputError(f"generate got {n} prompts but {len(samp)} samplings; pass one or {n}")
    if len(tags) != n:
        raise InputError(f"generate got {n} prompts but {len(tags)} tags; pass one or {n}")
    for p in prompts:
        if not isinstance(p, Prompt):
            raise InputError(f"generate expects Prompt objects, got {type(p).__name__}")
    return list(zip(prompts, samp, tags, strict=True))
