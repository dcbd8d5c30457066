"""`StrategyConfig`: the base of every strategy's settings, and the one way from settings to `Sampling`.

A config is a frozen pydantic model: unknown keys are errors, and a bad value raises
`engine.ConfigError` naming the config, the field and what it accepts, whether the config is
built by hand (`MarsConfig(num_agents=0)`) or from a dict (`build_config`). `sampling()` turns a
config into the `Sampling` of a request: its `temperature`, `max_tokens` and `seed` fields,
with any of them overridden for one step.

Example:
    >>> class Demo(StrategyConfig):
    ...     temperature: float = 0.7
    >>> s = Demo(max_tokens=64).sampling(n=3)
    >>> s.temperature, s.max_tokens, s.n
    (0.7, 64, 3)
    >>> try:
    ...     Demo(max_tokens=0)
    ... except ConfigError as err:
    ...     print(str(err).splitlines()[1])
      max_tokens: Input should be greater than or equal to 1 (got 0)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import ConfigError, Sampling

_KEEP: Any = object()
_LABEL: ContextVar[str | None] = ContextVar("config_label", default=None)


class StrategyConfig(BaseModel):
    """Base of every strategy config: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(default=512, ge=1, description="Completion budget of each generated response.")
    budget_tokens: int | None = Field(
        default=None,
        ge=1,
        description="Most completion tokens one query may spend over all its steps (None: no "
        "limit). Each step's max_tokens is cut to fit what is left; when nothing is left the "
        "strategy answers from the candidates it has (a fallback).",
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise config_error(_LABEL.get() or type(self).__name__, type(self), err) from None

    def sampling(
        self,
        temperature: float | None = None,
        *,
        n: int = 1,
        max_tokens: int | None = None,
        seed: int | None = _KEEP,
        **fields: Any,
    ) -> Sampling:
        """The `Sampling` of one request: the config's `temperature` (1.0 if it has none),
        `max_tokens` and `seed` (None if it has none), each overridable, plus `Sampling` `fields`."""
        return Sampling(
            temperature=temperature if temperature is not None else getattr(self, "temperature", 1.0),
            max_tokens=max_tokens if max_tokens is not None else self.max_tokens,
            n=n,
            seed=getattr(self, "seed", None) if seed is _KEEP else seed,
            **fields,
        )


@contextmanager
def labelled(what: str) -> Iterator[None]:
    """Configs built inside the block name `what` in their errors (`strategy 'mars'`)."""
    token = _LABEL.set(what)
    try:
        yield
    finally:
        _LABEL.reset(token)


def config_error(what: str, config: type[BaseModel], err: ValidationError) -> ConfigError:
    """A `ConfigError` listing each invalid field of `config`, the value given and the valid fields."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(config)"
        given = f" (got {e['input']!r})" if e["type"] != "missing" and not isinstance(e["input"], dict) else ""
        message = e["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc}: {message}{given}")
    fields = ", ".join(sorted(config.model_fields))
    return ConfigError(f"invalid config for {what}:\n" + "\n".join(lines) + f"\nvalid fields: {fields}")
