"""The OpenAI wire format the server speaks: the chat request it reads, the responses it writes.

Requests are read leniently where OpenAI's clients differ (`max_tokens` or
`max_completion_tokens`, `stop` as a string or a list, content as a string or text parts) and
strictly everywhere else: `strategies.serve.request` turns a request into a run or a 400.
Responses follow OpenAI's `chat.completion` and `chat.completion.chunk` objects, with
`usage.prompt_tokens_details.cached_tokens` and one extension object, `optivllm`: which
strategy answered, by which rule, what each phase cost, and (on request) every candidate.

Example:
    >>> req = ChatCompletionRequest.model_validate(
    ...     {"model": "mars-m", "messages": [{"role": "user", "content": "2+2?"}], "extra_body_field": 1})
    >>> req.stream, req.messages[0].text(), req.model_extra
    (False, '2+2?', {'extra_body_field': 1})
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine import Usage
from strategies.core.solution import Solution

# -- the request --------------------------------------------------------------------------------


class ContentPart(BaseModel):
    """One part of a message's content: only `{"type": "text", "text": ...}` is served."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation; `tool_calls` and other fields arrive as extras."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        """The content as text (text parts joined with newlines)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text or "" for part in self.content)


class OptivllmOptions(BaseModel):
    """`extra_body={"optivllm": {...}}`: the strategy, its config, and what to send back."""

    model_config = ConfigDict(extra="forbid")

    strategy: str | None = Field(None, description="Registry name of the strategy (`optivllm strategies`).")
    config: dict[str, Any] = Field(default_factory=dict, description="Strategy settings, validated by its config.")
    candidates: bool = Field(False, description="Send back every candidate the run produced.")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The body of `POST /v1/chat/completions`; fields OpenAI defines that are not here arrive as
    extras, and each one that is set is refused (400) rather than ignored."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    n: int | None = None
    stop: str | list[str] | None = None
    user: str | None = None
    optivllm: OptivllmOptions | None = None
    optillm_approach: str | None = Field(None, description="optillm's way to name the approach.")


# -- the response -------------------------------------------------------------------------------


class PromptTokensDetails(BaseModel):
    cached_tokens: int = Field(0, description="Prompt tokens served from the engine's prefix cache.")


class CompletionUsage(BaseModel):
    """OpenAI's usage object: every engine request of the run counted (n samples prefill once)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails

    @classmethod
    def of(cls, usage: Usage) -> CompletionUsage:
        return cls(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            prompt_tokens_details=PromptTokensDetails(cached_tokens=usage.cached_tokens),
        )


class Candidate(BaseModel):
    """One candidate the run produced (`optivllm.candidates`, when asked for)."""

    id: str
    agent_id: str
    phase: str
    method: str
    answer: str
    reasoning: str
    is_verified: bool
    verification_score: float

    @classmethod
    def of(cls, s: Solution) -> Candidate:
        return cls(
            id=s.id,
            agent_id=s.agent_id,
            phase=s.phase,
            method=s.method,
            answer=s.answer,
            reasoning=s.reasoning,
            is_verified=s.is_verified,
            verification_score=s.verification_score,
        )


class OptivllmInfo(BaseModel):
    """The `optivllm` extension of a response: how the strategy reached its answer."""

    strategy: str
    selection_rule: str
    answer: str = Field(description="The answer extracted from the content ('' when none was found).")
    verified: bool
    confidence: float
    usage_by_phase: dict[str, Usage]
    engine_calls: int = Field(description="Batched engine calls the run made.")
    engine_requests: int = Field(description="Engine requests the run made (n samples count once).")
    wall_s: float
    fallbacks: list[str] = Field(default_factory=list)
    candidates: list[Candidate] | None = None

    @classmethod
    def of(cls, solution: Solution, candidates: list[Solution] | None = None) -> OptivllmInfo:
        meta = solution.metadata
        return cls(
            strategy=meta.strategy,
            selection_rule=meta.selection_rule,
            answer=solution.answer,
            verified=solution.is_verified,
            confidence=solution.confidence,
            usage_by_phase=meta.usage_by_phase,
            engine_calls=meta.engine_calls,
            engine_requests=meta.engine_requests,
            wall_s=round(meta.wall_s, 4),
            fallbacks=list(meta.fallbacks),
            candidates=None if candidates is None else [Candidate.of(c) for c in candidates],
        )


FinishReason = Literal["stop", "length"]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason


class ChatCompletion(BaseModel):
    """A whole answer (`stream: false`)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    optivllm: OptivllmInfo


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    reasoning_content: str | None = Field(None, description="The run's progress, one line per event.")


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: FinishReason | None = None


class ProgressInfo(BaseModel):
    """The `optivllm` extension of a progress chunk: the run's event as it was emitted."""

    event: dict[str, Any]


class ChatCompletionChunk(BaseModel):
    """One server-sent event of a streamed answer (`stream: true`)."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    optivllm: OptivllmInfo | ProgressInfo | None = None


class ModelCard(BaseModel):
    """One entry of `GET /v1/models`: the served model, alone (plain) or behind a strategy."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "optivllm"
    root: str = Field(description="The model the engine runs.")
    strategy: str
    description: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
