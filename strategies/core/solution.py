"""`Solution`: what every strategy returns, with the accounting of how it was reached.

`solution_from` makes one from a completion, with its answer extracted by the kernels.

Example:
    >>> s = Solution(agent_id="agent-0", reasoning="2 + 2 = 4. Answer: 4", answer="4", answer_key="4")
    >>> s.is_verified, s.metadata.usage.requests
    (False, 0)
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine import Completion, Usage
from kernels import extract_answer, normalize_answer
from kernels.extract import AnswerKind


def new_id() -> str:
    """A short unique id for a solution."""
    return uuid.uuid4().hex[:12]


class SolutionMetadata(BaseModel):
    """How a solution was reached: per-phase usage, wall time, requests, strategy details."""

    model_config = ConfigDict(extra="forbid")

    strategy: str = Field("", description="Registry name of the strategy that produced it.")
    selection_rule: str = Field("", description="Which rule picked this solution as the answer.")
    usage: Usage = Field(default_factory=Usage, description="Engine usage of the whole run.")
    usage_by_phase: dict[str, Usage] = Field(default_factory=dict, description="Engine usage per phase (request tag).")
    wall_s: float = Field(0.0, description="Wall time of the whole `optimize` call, seconds.")
    engine_requests: int = Field(0, description="Engine requests made (n samples count once).")
    engine_calls: int = Field(0, description="`generate`/`stream` calls made (batched steps).")
    budget_tokens: int | None = Field(None, description="The query's completion-token budget, if it had one.")
    fallbacks: list[str] = Field(default_factory=list, description="Fallbacks taken, e.g. an unparseable rating.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Strategy-specific details (tree, principles, votes...)."
    )


class Solution(BaseModel):
    """A candidate or final answer to a query, with provenance and scores."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id)
    agent_id: str = Field("", description="The agent (or step) that wrote it.")
    reasoning: str = Field("", description="The full response text.")
    answer: str = Field("", description="The extracted final answer ('' when none was found).")
    answer_key: str = Field("", description="Canonical key of the answer, comparable with ==.")
    answer_rule: str = Field("", description="Which extraction rule found the answer.")
    temperature: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = Field(0, description="Tokens generated for this solution's text.")
    verification_score: float = Field(0.0, ge=0.0, le=1.0)
    is_verified: bool = False
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    phase: str = Field("", description="Phase that produced it (exploration, aggregation...).")
    method: str = Field("", description="How it was produced (sample, rsa-merge, improve...).")
    metadata: SolutionMetadata = Field(default_factory=SolutionMetadata)

    @property
    def token_count(self) -> int:
        return self.completion_tokens


def solution_from(
    completion: Completion,
    *,
    agent_id: str = "",
    phase: str = "",
    method: str = "sample",
    kind: AnswerKind = "auto",
) -> Solution:
    """A `Solution` from one completion, its answer extracted and normalized by the kernels."""
    extraction = extract_answer(completion.text, kind=kind)
    return Solution(
        agent_id=agent_id,
        reasoning=completion.text,
        answer=extraction.answer,
        answer_key=normalize_answer(extraction.answer) if extraction.answer else "",
        answer_rule=str(extraction.rule),
        temperature=completion.temperature,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        phase=phase,
        method=method,
    )
