"""optivllm's strategies: inference-time optimization algorithms over a `ModelClient`.

Example:
    >>> from strategies import get_optimizer, list_optimizers
    >>> "plain" in [info.name for info in list_optimizers()]
    True
"""

from strategies.base import (
    Optimizer,
    OptimizerInfo,
    StrategyConfig,
    build_config,
    get_optimizer,
    list_optimizers,
    register,
    strategy_names,
)
from strategies.batch import BatchItem, BatchResult, run_batch, run_batch_sync
from strategies.events import EventSink, iterate_events
from strategies.solution import Solution, SolutionMetadata
from strategies.tracking import TrackedClient

__all__ = [
    "BatchItem",
    "BatchResult",
    "EventSink",
    "Optimizer",
    "OptimizerInfo",
    "Solution",
    "SolutionMetadata",
    "StrategyConfig",
    "TrackedClient",
    "build_config",
    "get_optimizer",
    "iterate_events",
    "list_optimizers",
    "register",
    "run_batch",
    "run_batch_sync",
    "strategy_names",
]
