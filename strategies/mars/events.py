"""MARS's own events, on top of the shared vocabulary of `strategies.core.events`.

A MARS run emits what every run does (`RunStarted`; `PhaseStarted`/`PhaseFinished` around
every step, so its five phases show by name; `CandidateProduced`, `CandidateVerified`;
`RunFinished` or `Error`) and these, which say what only MARS does: verification rounds,
aggregation, improvement iterations, revisions and the selection. `MarsEvent` is the union of
both, so a JSON line written by `event.model_dump_json()` reads back with
`EVENT_ADAPTER.validate_json(line)`.

Example:
    >>> EVENT_ADAPTER.validate_json('{"type": "run_finished", "solution_id": "a1", "answer": "4", "selection_rule": "verified"}').answer
    '4'
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from strategies.core.events import SHARED_EVENTS, Event


class VerificationStarted(Event):
    type: Literal["verification_started"] = "verification_started"
    round: int = Field(description="1 for the exploration round, then one per later round.")


class AggregationStarted(Event):
    type: Literal["aggregation_started"] = "aggregation_started"
    method: str


class AggregationDone(Event):
    type: Literal["aggregation_done"] = "aggregation_done"
    num_new: int


class ImprovementIterationStarted(Event):
    type: Literal["improvement_iteration_started"] = "improvement_iteration_started"
    iteration: int


class SolutionImproved(Event):
    """`solution_id` is the revision of `parent_id`."""

    type: Literal["solution_improved"] = "solution_improved"
    solution_id: str
    parent_id: str


class SelectionDone(Event):
    type: Literal["selection_done"] = "selection_done"
    solution_id: str
    rule: str


MarsEvent = Annotated[
    SHARED_EVENTS
    | VerificationStarted
    | AggregationStarted
    | AggregationDone
    | ImprovementIterationStarted
    | SolutionImproved
    | SelectionDone,
    Field(discriminator="type"),
]
"""Any event of a MARS run."""

EVENT_ADAPTER: TypeAdapter[MarsEvent] = TypeAdapter(MarsEvent)
"""Validates or parses any MARS event from a dict or JSON."""
