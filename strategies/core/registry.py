"""Strategies registered from outside the catalog, and what `optivllm strategies` shows of each.

The built-in strategies are listed explicitly in `strategies.catalog`; importing a strategy
module never changes any registry. A third-party strategy (a `Strategy` subclass with its class
attributes set) joins with `register`, after which `get_strategy` builds it by name like any
built-in.

Example:
    >>> from strategies.core.strategy import Strategy
    >>> @register
    ... class Echo(Strategy[StrategyConfig]):
    ...     name, description, calls = "echo-demo", "Repeats the question.", "0 calls"
    >>> StrategyInfo.of(registered()["echo-demo"]).calls
    '0 calls'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from engine import ConfigError
from strategies.core.config import StrategyConfig
from strategies.core.strategy import Strategy

S = TypeVar("S", bound=type[Strategy[Any]])

_PLUGINS: dict[str, type[Strategy[Any]]] = {}


@dataclass(frozen=True)
class StrategyInfo:
    """What `optivllm strategies` shows about a strategy."""

    name: str
    description: str
    calls: str
    config: type[StrategyConfig]
    factory: type[Strategy[Any]]

    @classmethod
    def of(cls, strategy: type[Strategy[Any]]) -> StrategyInfo:
        return cls(strategy.name, strategy.description, strategy.calls, strategy.config_class, strategy)


def register(strategy: S) -> S:
    """Make a third-party `Strategy` subclass buildable by its `name` (usable as a decorator)."""
    for attribute in ("name", "description"):
        if not isinstance(getattr(strategy, attribute, None), str):
            raise ConfigError(f"strategy class {strategy.__qualname__} needs a string class attribute {attribute!r}")
    _PLUGINS[strategy.name] = strategy
    return strategy


def registered() -> dict[str, type[Strategy[Any]]]:
    """The strategies added with `register`, by name."""
    return dict(_PLUGINS)
