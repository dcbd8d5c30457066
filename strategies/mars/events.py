"""MARS progress events: small frozen pydantic models, told apart by their `type` literal.

A run delivers them through an `EventSink` (a callback; nothing waits for a reader) or, with
`Mars.events`, as an async iterator. `MarsEvent` is their discriminated union, so a JSON line
written by `event.model_dump_json()` reads back with `EVENT_ADAPTER.validate_json(line)`.

Example:
    >>> EVENT_ADAPTER.validate_json('{"type": "completed", "solution_id": "a1"}')
    Completed(type='completed', solution_id='a1')
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExplorationStarted(_Event):
    type: Literal["exploration_started"] = "exploration_started"
    num_agents: int


class SolutionGenerated(_Event):
    """A new candidate from exploration or aggregation."""

    type: Literal["solution_generated"] = "solution_generated"
    solution_id: str
    agent_id: str


class VerificationStarted(_Event):
    type: Literal["verification_started"] = "verification_started"
    round: int = Field(description="1 for the exploration round, then one per later round.")


class SolutionVerified(_Event):
    """A solution's reviews of one round: verified or not, and their mean score in [0, 1]."""

    type: Literal["solution_verified"] = "solution_verified"
    solution_id: str
    is_correct: bool
    score: float


class AggregationStarted(_Event):
    type: Literal["aggregation_started"] = "aggregation_started"
    method: str


class AggregationDone(_Event):
    type: Literal["aggregation_done"] = "aggregation_done"
    num_new: int


class ImprovementIterationStarted(_Event):
    type: Literal["improvement_iteration_started"] = "improvement_iteration_started"
    iteration: int


class SolutionImproved(_Event):
    """`solution_id` is the revision of `parent_id`."""

    type: Literal["solution_improved"] = "solution_improved"
    solution_id: str
    parent_id: str


class SelectionDone(_Event):
    type: Literal["selection_done"] = "selection_done"
    solution_id: str
    rule: str


class Completed(_Event):
    type: Literal["completed"] = "completed"
    solution_id: str


class Error(_Event):
    """The run failed in `phase`; the exception is raised right after this event."""

    type: Literal["error"] = "error"
    phase: str
    message: str


MarsEvent = Annotated[
    ExplorationStarted
    | SolutionGenerated
    | VerificationStarted
    | SolutionVerified
    | AggregationStarted
    | AggregationDone
    | ImprovementIterationStarted
    | SolutionImproved
    | SelectionDone
    | Completed
    | Error,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[MarsEvent] = TypeAdapter(MarsEvent)
"""Validates or parses any MARS event from a dict or JSON."""
