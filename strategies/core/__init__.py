"""The machinery every strategy runs on: its config, its run and the run's primitive, its events,
its solution, the `Strategy` base class and the registry of third-party strategies.

Example:
    >>> from strategies.core import Run, Strategy, StrategyConfig
    >>> Strategy.run_class is Run and StrategyConfig().max_tokens
    512
"""

from strategies.core.config import StrategyConfig, config_error
from strategies.core.events import (
    EVENT_ADAPTER,
    CandidateProduced,
    CandidateVerified,
    Error,
    Event,
    EventCallback,
    EventSink,
    PhaseFinished,
    PhaseStarted,
    RunEvent,
    RunFinished,
    RunStarted,
    iterate_events,
)
from strategies.core.registry import StrategyInfo, register, registered
from strategies.core.run import Run, agent_ids_of
from strategies.core.solution import Solution, SolutionMetadata, new_id, solution_from
from strategies.core.strategy import Optimizer, Strategy

__all__ = [
    "CandidateProduced",
    "CandidateVerified",
    "EVENT_ADAPTER",
    "Error",
    "Event",
    "EventCallback",
    "EventSink",
    "Optimizer",
    "PhaseFinished",
    "PhaseStarted",
    "Run",
    "RunEvent",
    "RunFinished",
    "RunStarted",
    "Solution",
    "SolutionMetadata",
    "Strategy",
    "StrategyConfig",
    "StrategyInfo",
    "agent_ids_of",
    "config_error",
    "iterate_events",
    "new_id",
    "register",
    "registered",
    "solution_from",
]
