"""MARS, the multi-agent reasoning system (see `strategies.mars.mars` for the algorithm).

Example:
    >>> from strategies.mars import Mars, MarsConfig
    >>> Mars(MarsConfig.lightweight()).config.num_agents
    2
"""

from strategies.mars.config import MarsConfig
from strategies.mars.errors import (
    AggregationError,
    ExplorationError,
    ImprovementError,
    MarsError,
    SelectionError,
    VerificationError,
)
from strategies.mars.events import (
    EVENT_ADAPTER,
    AggregationDone,
    AggregationStarted,
    ImprovementIterationStarted,
    MarsEvent,
    SelectionDone,
    SolutionImproved,
    VerificationStarted,
)
from strategies.mars.mars import Mars
from strategies.mars.phases import Phase
from strategies.mars.run import MarsRun
from strategies.mars.select import SelectionRule

__all__ = [
    "AggregationDone",
    "AggregationError",
    "AggregationStarted",
    "EVENT_ADAPTER",
    "ExplorationError",
    "ImprovementError",
    "ImprovementIterationStarted",
    "Mars",
    "MarsConfig",
    "MarsError",
    "MarsEvent",
    "MarsRun",
    "Phase",
    "SelectionDone",
    "SelectionError",
    "SelectionRule",
    "SolutionImproved",
    "VerificationError",
    "VerificationStarted",
]
