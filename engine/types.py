"""The values every strategy speaks to a model with: `Prompt` and `Sampling` in, `Completion` out.

They are small frozen dataclasses because strategies build thousands of them per batch; each
validates itself on construction so a bad value fails where it is made, with a message that
names the field.

Example:
    >>> p = Prompt.user("What is 2 + 2?", system="Answer briefly.")
    >>> s = Sampling(temperature=0.3, max_tokens=64, seed=1)
    >>> s.with_(temperature=1.0).temperature
    1.0
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from engine.errors import InputError

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "abort", "error"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """A chat prompt: messages, an optional system prompt, and an optional start of the answer.

    `assistant_prefix` is text the model's answer must begin with (it continues from there):
    deep_thinking uses it to continue a sequence whose thinking ended too early. Two prompts
    that share their first messages share a token prefix, which the engine's prefix cache
    serves once; put what varies last.
    """

    messages: tuple[Message, ...]
    system: str | None = None
    assistant_prefix: str = ""

    def __post_init__(self) -> None:
        if not self.messages:
            raise InputError("Prompt.messages is empty; a prompt needs at least one message")
        for m in self.messages:
            if m.role not in ("system", "user", "assistant"):
                raise InputError(f"Prompt message role {m.role!r} is not system, user or assistant")
            if not isinstance(m.content, str):
                raise InputError(f"Prompt message content must be str, got {type(m.content).__name__}")

    @classmethod
    def user(cls, text: str, *, system: str | None = None) -> Prompt:
        """A one-turn prompt: `Prompt.user("2+2?")`."""
        return cls(messages=(Message("user", text),), system=system)

    @classmethod
    def chat(
        cls,
        messages: Sequence[Message | dict[str, str]],
        *,
        system: str | None = None,
        assistant_prefix: str = "",
    ) -> Prompt:
        """A prompt from messages given as `Message`s or OpenAI-style dicts."""
        msgs = tuple(
            m if isinstance(m, Message) else Message(m["role"], m["content"])  # type: ignore[arg-type]
            for m in messages
        )
        return cls(messages=msgs, system=system, assistant_prefix=assistant_prefix)

    def continued(self, text: str) -> Prompt:
        """The same prompt with `text` appended to the start of the answer."""
        return dataclasses.replace(self, assistant_prefix=self.assistant_prefix + text)

    def as_openai_messages(self) -> list[dict[str, str]]:
        """The messages in OpenAI chat format, the system prompt first."""
        out = [{"role": "system", "content": self.system}] if self.system is not None else []
        out.extend({"role": m.role, "content": m.content} for m in self.messages)
        return out


@dataclass(frozen=True, slots=True)
class Sampling:
    """How to sample one request. Every field may differ between requests of one batch.

    Defaults follow vLLM's `SamplingParams` except `max_tokens` (512 instead of 16).
    `n` samples share the prompt's prefill. `logprobs=k` returns the top-k log-probabilities
    of every generated token. `seed` makes a sampled request reproducible. `extra` pairs go to
    the engine as `SamplingParams.extra_args` (how custom logits processors are switched on).
    `choice` constrains the response to one of the given strings (vLLM's structured outputs):
    a response cut short by `max_tokens` is still a prefix of exactly one of them when the
    choices start differently, so a verdict or a rating is always readable.
    `stream_interval` is how many new tokens a streamed request gathers per piece (vLLM's
    `SamplingParams.stream_interval`; the first and the last piece come at once): fewer, larger
    pieces cost the host less per token. It does not change what is generated.
    """

    temperature: float = 0.7
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    max_tokens: int = 512
    min_tokens: int = 0
    n: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = ()
    logprobs: int | None = None
    extra: tuple[tuple[str, object], ...] = ()
    choice: tuple[str, ...] | None = None
    stream_interval: int = 1

    def __post_init__(self) -> None:
        def bad(name: str, value: object, why: str) -> InputError:
            return InputError(f"Sampling.{name}={value!r} is invalid: {why}")

        if not (isinstance(self.temperature, (int, float)) and 0.0 <= self.temperature <= 2.0):
            raise bad("temperature", self.temperature, "must be in [0, 2]")
        if math.isnan(self.top_p) or not 0.0 < self.top_p <= 1.0:
            raise bad("top_p", self.top_p, "must be in (0, 1]")
        if self.top_k < 0:
            raise bad("top_k", self.top_k, "must be >= 0 (0 disables it)")
        if not 0.0 <= self.min_p <= 1.0:
            raise bad("min_p", self.min_p, "must be in [0, 1]")
        if self.max_tokens < 1:
            raise bad("max_tokens", self.max_tokens, "must be >= 1")
        if not 0 <= self.min_tokens <= self.max_tokens:
            raise bad("min_tokens", self.min_tokens, "must be in [0, max_tokens]")
        if self.n < 1:
            raise bad("n", self.n, "must be >= 1")
        if self.n > 1 and self.temperature == 0.0:
            raise bad("n", self.n, "n > 1 needs temperature > 0 (greedy samples are identical)")
        if self.logprobs is not None and not 0 <= self.logprobs <= 20:
            raise bad("logprobs", self.logprobs, "must be in [0, 20]")
        if self.stream_interval < 1:
            raise bad("stream_interval", self.stream_interval, "must be >= 1")
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        if self.choice is not None:
            object.__setattr__(self, "choice", tuple(self.choice))
            if not self.choice or not all(isinstance(c, str) and c for c in self.choice):
                raise bad("choice", self.choice, "must be a non-empty list of non-empty strings")

    def with_(self, **changes: object) -> Sampling:
        """A copy with some fields changed: `s.with_(temperature=0.0)`."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TopLogprob:
    """One candidate token at a position, with its log-probability."""

    token_id: int
    token: str
    logprob: float


@dataclass(frozen=True, slots=True)
class TokenLogprobs:
    """The generated token at one position and the top-k alternatives the engine reported."""

    token_id: int
    token: str
    logprob: float
    top: tuple[TopLogprob, ...] = ()


@dataclass(frozen=True, slots=True)
class Completion:
    """One generated sequence.

    A request with `n` samples yields `n` completions with `sample_index` 0..n-1; they share
    `request_id`, `prompt_tokens` and `cached_tokens` (the prompt is prefilled once), so usage
    counts the prompt of sample 0 only. `cached_tokens` are prompt tokens the prefix cache served.
    """

    text: str
    token_ids: tuple[int, ...]
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    logprobs: tuple[TokenLogprobs, ...] | None = None
    request_id: str = ""
    sample_index: int = 0
    tag: str | None = None
    temperature: float = 0.0


@dataclass(frozen=True, slots=True)
class TextDelta:
    """Streaming event: newly generated text (and its token ids) of one sequence."""

    text: str
    token_ids: tuple[int, ...] = ()
    logprobs: tuple[TokenLogprobs, ...] | None = None
    type: Literal["text_delta"] = "text_delta"


@dataclass(frozen=True, slots=True)
class Completed:
    """Streaming event: the sequence finished; `completion` holds the whole text and usage."""

    completion: Completion
    type: Literal["completed"] = "completed"


ResponseEvent = TextDelta | Completed


SamplingArg = Sampling | Sequence[Sampling]
"""One sampling for every request of a call, or one per request."""
TagArg = str | None | Sequence[str | None]
"""One request tag (the phase) for every request of a call, or one per request."""


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
