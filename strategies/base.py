"""The `Optimizer` protocol every strategy implements, and the registry that names them.

A strategy is a class with a pydantic config, registered under a name with `@register`.
`get_optimizer("mars", num_agents=4)` builds one with its config validated;
`list_optimizers()` describes them all (for `optivllm strategies`).

Example:
    >>> from strategies import get_optimizer, list_optimizers   # doctest: +SKIP
    >>> mars = get_optimizer("mars", num_agents=2)               # doctest: +SKIP
    >>> solution = await mars.optimize("What is 2 + 2?", client) # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from engine import ConfigError, ModelClient
from strategies.events import EventCallback
from strategies.solution import Solution


class StrategyConfig(BaseModel):
    """Base of every strategy config: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = 512
    """Completion budget of each generated response."""


@runtime_checkable
class Optimizer(Protocol):
    """An inference-time optimization strategy."""

    name: ClassVar[str]
    description: ClassVar[str]

    async def optimize(
        self,
        query: str,
        client: ModelClient,
        *,
        system: str | None = None,
        on_event: EventCallback | None = None,
    ) -> Solution:
        """Answer `query` using `client`; `system` is an optional system prompt."""
        ...


@dataclass(frozen=True)
class OptimizerInfo:
    """What `optivllm strategies` shows about a registered strategy."""

    name: str
    description: str
    calls: str
    config: type[StrategyConfig]
    factory: Callable[[StrategyConfig], Optimizer]


_REGISTRY: dict[str, OptimizerInfo] = {}

T = TypeVar("T")


def register(name: str, *, description: str, calls: str, config: type[StrategyConfig]) -> Callable[[T], T]:
    """Class decorator: register a strategy whose constructor takes its config.

    `calls` documents how many engine calls (`generate` steps) and requests a query costs.
    """

    def wrap(cls: T) -> T:
        cls.name = name  # type: ignore[attr-defined]
        cls.description = description  # type: ignore[attr-defined]
        _REGISTRY[name] = OptimizerInfo(name, description, calls, config, cls)  # type: ignore[arg-type]
        return cls

    return wrap


def _ensure_loaded() -> None:
    import strategies.catalog  # noqa: F401  (registers every built-in strategy)


def list_optimizers() -> list[OptimizerInfo]:
    """Every registered strategy, sorted by name."""
    _ensure_loaded()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def strategy_names() -> list[str]:
    _ensure_loaded()
    return sorted(_REGISTRY)


def build_config(name: str, config: dict[str, Any] | StrategyConfig | None = None, **overrides: Any) -> StrategyConfig:
    """Validate a config for strategy `name`; errors name the field and the strategy."""
    info = _info(name)
    if isinstance(config, StrategyConfig):
        base = config.model_dump()
    else:
        base = dict(config or {})
    try:
        return info.config.model_validate({**base, **overrides})
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "(config)"
            lines.append(f"  {loc}: {e['msg']}")
        fields = ", ".join(sorted(info.config.model_fields))
        raise ConfigError(
            f"invalid config for strategy {name!r}:\n" + "\n".join(lines) + f"\nvalid fields: {fields}"
        ) from None


def get_optimizer(name: str, config: dict[str, Any] | StrategyConfig | None = None, **overrides: Any) -> Optimizer:
    """Build the strategy `name` with a validated config: `get_optimizer("mars", num_agents=4)`."""
    info = _info(name)
    return info.factory(build_config(name, config, **overrides))


def _info(name: str) -> OptimizerInfo:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown strategy {name!r}; valid strategies: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]
