"""The catalog: every built-in strategy, listed explicitly, and the lookups by name.

A new built-in strategy is one module beside the others and one line in `BUILTIN`. The
catalog imports the strategies; no strategy imports the catalog, and importing a strategy
module registers nothing. Strategies added with `strategies.core.registry.register` are looked
up the same way; a name may not shadow a built-in.

Example:
    >>> get_strategy("mars", preset="lightweight").config.num_agents
    2
    >>> "self_consistency" in strategy_names()
    True
"""

from __future__ import annotations

from typing import Any

from engine import ConfigError
from strategies.autothink import AutoThink
from strategies.beam_search import BeamSearch
from strategies.best_of_n import BestOfN
from strategies.core.config import StrategyConfig, labelled
from strategies.core.registry import StrategyInfo, registered
from strategies.core.strategy import Strategy
from strategies.cot_decoding import CotDecoding
from strategies.cot_reflection import CotReflection
from strategies.deep_thinking import DeepThinking
from strategies.deepconf import DeepConf
from strategies.diverse_sampling import DiverseSampling
from strategies.dvts import Dvts
from strategies.entropy_decoding import EntropyDecoding
from strategies.leap import Leap
from strategies.mars import Mars
from strategies.mcts import Mcts
from strategies.moa import MixtureOfAgents
from strategies.particle_filter import ParticleFilter
from strategies.plain import Plain
from strategies.plansearch import PlanSearch
from strategies.pvg import ProverVerifierGame
from strategies.reread import Reread
from strategies.rsa import RecursiveSelfAggregation
from strategies.rstar import RStar
from strategies.rto import RoundTrip
from strategies.self_consistency import SelfConsistency

BUILTIN: tuple[type[Strategy[Any]], ...] = (
    AutoThink,
    BeamSearch,
    BestOfN,
    CotDecoding,
    CotReflection,
    DeepConf,
    DeepThinking,
    DiverseSampling,
    Dvts,
    EntropyDecoding,
    Leap,
    Mars,
    Mcts,
    MixtureOfAgents,
    ParticleFilter,
    Plain,
    PlanSearch,
    ProverVerifierGame,
    RecursiveSelfAggregation,
    Reread,
    RoundTrip,
    RStar,
    SelfConsistency,
)
"""The built-in strategies (their `name` is what `get_strategy` takes)."""


def available() -> dict[str, type[Strategy[Any]]]:
    """Every strategy by name: the built-ins, then the registered ones."""
    builtin = {cls.name: cls for cls in BUILTIN}
    for name, cls in registered().items():
        if name in builtin and builtin[name] is not cls:
            raise ConfigError(f"registered strategy {cls.__qualname__} uses the built-in name {name!r}; rename it")
        builtin[name] = cls
    return builtin


def list_strategies() -> list[StrategyInfo]:
    """Every strategy, sorted by name (for `optivllm strategies`)."""
    strategies = available()
    return [StrategyInfo.of(strategies[name]) for name in sorted(strategies)]


def strategy_names() -> list[str]:
    return sorted(available())


def strategy_class(name: str) -> type[Strategy[Any]]:
    """The class of strategy `name`; an unknown name is a `ConfigError` listing the valid ones."""
    strategies = available()
    if name not in strategies:
        raise ConfigError(f"unknown strategy {name!r}; valid strategies: {', '.join(sorted(strategies))}")
    return strategies[name]


def build_config(name: str, config: dict[str, Any] | StrategyConfig | None = None, **overrides: Any) -> StrategyConfig:
    """Validate a config for strategy `name`; errors name the field and the strategy."""
    config_class = strategy_class(name).config_class
    base = config.model_dump() if isinstance(config, StrategyConfig) else dict(config or {})
    with labelled(f"strategy {name!r}"):
        return config_class(**{**base, **overrides})


def get_strategy(name: str, config: dict[str, Any] | StrategyConfig | None = None, **overrides: Any) -> Strategy[Any]:
    """Build the strategy `name` with a validated config: `get_strategy("mars", num_agents=4)`."""
    return strategy_class(name)(build_config(name, config, **overrides))


get_optimizer = get_strategy
"""The earlier name of `get_strategy`."""
list_optimizers = list_strategies
"""The earlier name of `list_strategies`."""
