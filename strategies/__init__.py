"""optivllm's strategies: inference-time optimization algorithms over a `ModelClient`.

What a user embedding optivllm needs is exported here: every built-in strategy and its
config, the catalog lookups, `Strategy` and `Run` (and the blocks in `strategies.blocks`) for
writing one's own, the event vocabulary, and the batch and JSONL runners.

Example:
    >>> from strategies import get_strategy, list_strategies
    >>> "plain" in [info.name for info in list_strategies()]
    True
"""

from strategies.autothink import AutoThink, AutoThinkConfig
from strategies.beam_search import BeamSearch, BeamSearchConfig
from strategies.best_of_n import BestOfN, BestOfNConfig
from strategies.catalog import (
    BUILTIN,
    build_config,
    get_optimizer,
    get_strategy,
    list_optimizers,
    list_strategies,
    strategy_class,
    strategy_names,
)
from strategies.core.config import StrategyConfig
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
from strategies.core.run import Run
from strategies.core.solution import Solution, SolutionMetadata, solution_from
from strategies.core.strategy import Optimizer, Strategy
from strategies.cot_decoding import CotDecoding, CotDecodingConfig
from strategies.cot_reflection import CotReflection, CotReflectionConfig
from strategies.deep_thinking import DeepThinking, DeepThinkingConfig
from strategies.deepconf import DeepConf, DeepConfConfig
from strategies.diverse_sampling import DiverseSampling, DiverseSamplingConfig
from strategies.dvts import Dvts, DvtsConfig
from strategies.entropy_decoding import EntropyDecoding, EntropyDecodingConfig
from strategies.leap import Leap, LeapConfig
from strategies.mars import Mars, MarsConfig, MarsEvent, MarsRun
from strategies.mcts import Mcts, MctsConfig
from strategies.moa import MixtureOfAgents, MoaConfig
from strategies.particle_filter import ParticleFilter, ParticleFilterConfig
from strategies.plain import Plain, PlainConfig
from strategies.plansearch import PlanSearch, PlanSearchConfig
from strategies.pvg import ProverVerifierGame, PvgConfig
from strategies.reread import Reread
from strategies.rsa import RecursiveSelfAggregation, RsaConfig
from strategies.rstar import RStar, RStarConfig
from strategies.rto import RoundTrip, RtoConfig
from strategies.runner.batch import BatchItem, BatchResult, run_batch, run_batch_sync
from strategies.runner.jsonl import RunOptions, run_jsonl
from strategies.runner.replicas import RayReplicas, RaySettings, run_batch_ray
from strategies.self_consistency import SelfConsistency, SelfConsistencyConfig

OptimizerInfo = StrategyInfo
"""The earlier name of `StrategyInfo`."""
Pipeline = Strategy
"""The earlier name of `Strategy` (every strategy runs the same `optimize` now)."""

__all__ = [
    "AutoThink",
    "AutoThinkConfig",
    "BUILTIN",
    "BatchItem",
    "BatchResult",
    "BeamSearch",
    "BeamSearchConfig",
    "BestOfN",
    "BestOfNConfig",
    "CandidateProduced",
    "CandidateVerified",
    "CotDecoding",
    "CotDecodingConfig",
    "CotReflection",
    "CotReflectionConfig",
    "DeepConf",
    "DeepConfConfig",
    "DeepThinking",
    "DeepThinkingConfig",
    "DiverseSampling",
    "DiverseSamplingConfig",
    "Dvts",
    "DvtsConfig",
    "EVENT_ADAPTER",
    "EntropyDecoding",
    "EntropyDecodingConfig",
    "Error",
    "Event",
    "EventCallback",
    "EventSink",
    "Leap",
    "LeapConfig",
    "Mars",
    "MarsConfig",
    "MarsEvent",
    "MarsRun",
    "Mcts",
    "MctsConfig",
    "MixtureOfAgents",
    "MoaConfig",
    "Optimizer",
    "OptimizerInfo",
    "ParticleFilter",
    "ParticleFilterConfig",
    "PhaseFinished",
    "PhaseStarted",
    "Pipeline",
    "Plain",
    "PlainConfig",
    "PlanSearch",
    "PlanSearchConfig",
    "ProverVerifierGame",
    "PvgConfig",
    "RStar",
    "RStarConfig",
    "RayReplicas",
    "RaySettings",
    "RecursiveSelfAggregation",
    "Reread",
    "RoundTrip",
    "RsaConfig",
    "RtoConfig",
    "Run",
    "RunEvent",
    "RunFinished",
    "RunOptions",
    "RunStarted",
    "SelfConsistency",
    "SelfConsistencyConfig",
    "Solution",
    "SolutionMetadata",
    "Strategy",
    "StrategyConfig",
    "StrategyInfo",
    "build_config",
    "get_optimizer",
    "get_strategy",
    "iterate_events",
    "list_optimizers",
    "list_strategies",
    "register",
    "registered",
    "run_batch",
    "run_batch_ray",
    "run_batch_sync",
    "run_jsonl",
    "solution_from",
    "strategy_class",
    "strategy_names",
]
