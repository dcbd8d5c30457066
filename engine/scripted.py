"""`ScriptedClient`: a deterministic `ModelClient` with canned answers, for testing strategy logic.

Like httpx's `MockTransport` or DSPy's `DummyLM`: no engine, no model, the same interface.
Answers come from a list (consumed in order, one per sample) or from a function of the prompt
and sampling. Every `generate` call is recorded, so a test can assert how a strategy batched
its requests. Tokens are counted as whitespace-separated words. It never stands in for the
engine in an integration test.

Example:
    >>> import asyncio
    >>> client = ScriptedClient(lambda prompt, sampling: "Answer: 4")
    >>> [c] = asyncio.run(client.generate([Prompt.user("2+2?")]))
    >>> c.text, len(client.calls)
    ('Answer: 4', 1)
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass

from engine.errors import ClientError, ContextLengthError
from engine.fanout import StreamsUntil
from engine.types import (
    Completed,
    Completion,
    Prompt,
    ResponseEvent,
    Sampling,
    SamplingArg,
    TagArg,
    TextDelta,
    TokenLogprobs,
    pair_requests,
)
from engine.usage import ClientStats, UsageLedger


@dataclass(frozen=True, slots=True)
class ScriptedReply:
    """A canned answer with optional per-token logprobs (one entry per whitespace token)."""

    text: str
    logprobs: tuple[TokenLogprobs, ...] | None = None
    finish_reason: str = "stop"


Responder = Callable[[Prompt, Sampling], "str | ScriptedReply"]


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    """One recorded `generate` (or `stream`) call: its requests, in order."""

    prompts: tuple[Prompt, ...]
    samplings: tuple[Sampling, ...]
    tags: tuple[str | None, ...]


def render_text(prompt: Prompt) -> str:
    """A plain rendering of a prompt, used to count its tokens."""
    parts = [prompt.system or ""] + [m.content for m in prompt.messages] + [prompt.assistant_prefix]
    return "\n".join(p for p in parts if p)


class ScriptedClient(StreamsUntil):
    """A `ModelClient` that answers from a script instead of a model."""

    def __init__(self, script: Iterable[str | ScriptedReply] | Responder, *, max_model_len: int = 4096) -> None:
        if callable(script):
            self._responder: Responder = script
        else:
            answers = iter(list(script))

            def next_answer(prompt: Prompt, sampling: Sampling) -> str | ScriptedReply:
                try:
                    return next(answers)
                except StopIteration:
                    raise ClientError("ScriptedClient ran out of scripted responses") from None

            self._responder = next_answer
        self._max_model_len = max_model_len
        self._ledger = UsageLedger()
        self._ids = itertools.count()
        self.calls: list[ScriptedCall] = []

    @property
    def max_model_len(self) -> int:
        return self._max_model_len

    @property
    def stats(self) -> ClientStats:
        return self._ledger.snapshot()

    def reset_stats(self) -> None:
        self._ledger.reset()

    @property
    def requests(self) -> list[tuple[Prompt, Sampling, str | None]]:
        """Every request of every call, flattened in order."""
        return [r for call in self.calls for r in zip(call.prompts, call.samplings, call.tags, strict=True)]

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        return len(render_text(prompt).split())

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        requests = pair_requests(prompts, samplings, tag)
        for prompt, _, t in requests:
            self._check_length(prompt, t)
        self.calls.append(
            ScriptedCall(tuple(r[0] for r in requests), tuple(r[1] for r in requests), tuple(r[2] for r in requests))
        )
        out = [c for p, s, t in requests for c in self._complete(p, s, t)]
        self._ledger.record(out)
        return out

    async def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        self._check_length(prompt, tag)
        self.calls.append(ScriptedCall((prompt,), (sampling,), (tag,)))
        completion = self._complete(prompt, sampling.with_(n=1), tag)[0]
        words = [w if i == 0 else " " + w for i, w in enumerate(completion.text.split(" "))]
        # a word is a token here: the first piece alone, then `stream_interval` words a piece
        step = sampling.stream_interval
        starts = [0, *range(1, len(words), step)]
        emitted: list[str] = []
        try:
            for start, end in zip(starts, [*starts[1:], len(words)], strict=True):
                piece = "".join(words[start:end])
                emitted.append(piece)
                lp = completion.logprobs[start:end] if completion.logprobs else None
                yield TextDelta(piece, tuple(range(start, end)), lp)
        except GeneratorExit:
            text = "".join(emitted)
            aborted = _completion(prompt, sampling, tag, text, "abort", self, None, 0, completion.request_id)
            self._ledger.record([aborted])
            raise
        self._ledger.record([completion])
        yield Completed(completion)

    def _check_length(self, prompt: Prompt, tag: str | None) -> None:
        n = self.count_prompt_tokens(prompt)
        if n >= self._max_model_len:
            raise ContextLengthError(n, self._max_model_len, tag=tag)

    def _complete(self, prompt: Prompt, sampling: Sampling, tag: str | None) -> list[Completion]:
        out = []
        request_id = f"scripted-{next(self._ids)}"  # the samples of one request share it, as in vLLM
        for i in range(sampling.n):
            reply = self._responder(prompt, sampling)
            if isinstance(reply, str):
                reply = ScriptedReply(reply)
            text = constrained(reply.text, sampling)
            if sampling.max_tokens < len(text.split()):
                text, finish = " ".join(text.split()[: sampling.max_tokens]), "length"
            else:
                finish = reply.finish_reason
            out.append(_completion(prompt, sampling, tag, text, finish, self, reply.logprobs, i, request_id))
        return out


def constrained(text: str, sampling: Sampling) -> str:
    """A scripted reply under the sampling's constraints, as the engine would return it: cut at
    the first `stop` string, and with `choice`, the longest choice the reply contains (the
    first choice if it contains none).

    >>> constrained("The sum is wrong. VERDICT: INCORRECT", Sampling(choice=("CORRECT", "INCORRECT")))
    'INCORRECT'
    """
    for stop in sampling.stop:
        if stop in text:
            text = text[: text.index(stop)]
    if sampling.choice is not None:
        found = [c for c in sampling.choice if c in text]
        text = max(found, key=len) if found else sampling.choice[0]
    return text


def _completion(
    prompt: Prompt,
    sampling: Sampling,
    tag: str | None,
    text: str,
    finish: str,
    client: ScriptedClient,
    logprobs: tuple[TokenLogprobs, ...] | None,
    index: int,
    request_id: str,
) -> Completion:
    n_words = len(text.split())
    return Completion(
        text=text,
        token_ids=tuple(range(n_words)),
        finish_reason=finish,  # type: ignore[arg-type]
        prompt_tokens=client.count_prompt_tokens(prompt),
        completion_tokens=n_words,
        cached_tokens=0,
        logprobs=logprobs,
        request_id=request_id,
        sample_index=index,
        tag=tag,
        temperature=sampling.temperature,
    )
