"""MARS errors: one per phase, all `StrategyError`s.

    OptivllmError                     (engine.errors)
    └── StrategyError
        └── MarsError                 MARS could not produce a solution
            ├── ExplorationError      no agent gave a non-empty response, or the engine failed
            ├── VerificationError     the engine failed during a verification round
            ├── AggregationError      the engine failed during aggregation
            ├── ImprovementError      the engine failed during an improvement iteration
            └── SelectionError        the synthesis fallback failed or wrote nothing

An engine error (`ClientError`) inside a phase is re-raised as that phase's error with the
engine error chained as its cause (`raise ... from err`); `recoverable` is copied from it, so a
`ContextLengthError` stays recoverable and an `EngineDeadError` stays fatal.

Example:
    >>> from engine import ContextLengthError
    >>> try:
    ...     with phase_errors(VerificationError):
    ...         raise ContextLengthError(3000, 2048)
    ... except MarsError as err:
    ...     print(err.phase, type(err.__cause__).__name__, err.recoverable)
    verification ContextLengthError True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from engine import ClientError, StrategyError
from strategies.mars.phases import Phase


class MarsError(StrategyError):
    """MARS could not produce a solution; `phase` names where it stopped."""

    phase: ClassVar[str] = "mars"


class ExplorationError(MarsError):
    phase = Phase.EXPLORATION


class VerificationError(MarsError):
    phase = Phase.VERIFICATION


class AggregationError(MarsError):
    phase = Phase.AGGREGATION


class ImprovementError(MarsError):
    phase = Phase.IMPROVEMENT


class SelectionError(MarsError):
    phase = Phase.SELECTION


@contextmanager
def phase_errors(error: type[MarsError]) -> Iterator[None]:
    """Re-raise an engine error from the block as `error`, naming the phase, cause chained."""
    try:
        yield
    except ClientError as err:
        wrapped = error(f"MARS {error.phase} phase failed: {err}")
        wrapped.recoverable = err.recoverable
        raise wrapped from err
