"""The exception tree every part of optivllm raises from.

    OptivllmError                      base: catch this to catch everything of ours
    ├── ConfigError                    a bad value in a config or models.toml (also a ValueError)
    │   └── ModelNotFoundError         a model name or path that is not there
    ├── InputError                     a bad query or input record (also a ValueError)
    ├── ClientError                    a request the model client could not serve
    │   ├── ContextLengthError         the prompt does not fit the model's context (recoverable)
    │   ├── RequestAbortedError        the request was aborted before it finished (recoverable)
    │   ├── EngineStartError           the engine could not be started (fatal)
    │   └── EngineDeadError            the engine died; every later request fails (fatal)
    └── StrategyError                  a strategy could not produce a solution
        (MarsError and its phase errors live in ``strategies``)

``recoverable`` on an error says whether the same client can serve further requests.
Causes are chained with ``raise ... from err``; no error string is ever returned as an answer.

Example:
    >>> try:
    ...     raise ContextLengthError(prompt_tokens=3000, max_model_len=2048)
    ... except ClientError as err:
    ...     print(err.recoverable, err)
    True prompt is 3000 tokens but the model's context is 2048 tokens (max_model_len); shorten the prompt or raise max_model_len
"""

from __future__ import annotations


class OptivllmError(Exception):
    """Base of every error optivllm raises."""

    recoverable: bool = True


class ConfigError(OptivllmError, ValueError):
    """A configuration value is wrong; the message names the entry and field and how to fix it."""


class ModelNotFoundError(ConfigError):
    """A model name is not in the registry, or its weights are not where the entry says."""


class InputError(OptivllmError, ValueError):
    """A query or an input record is malformed (empty question, missing id, bad JSON...)."""


class ClientError(OptivllmError):
    """A model client could not serve a request."""


class ContextLengthError(ClientError):
    """The prompt (plus nothing else) does not fit into the model's context window."""

    def __init__(self, prompt_tokens: int, max_model_len: int, *, tag: str | None = None) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_model_len = max_model_len
        self.tag = tag
        where = f" (request tag {tag!r})" if tag else ""
        super().__init__(
            f"prompt is {prompt_tokens} tokens but the model's context is {max_model_len} tokens "
            f"(max_model_len){where}; shorten the prompt or raise max_model_len"
        )


class RequestAbortedError(ClientError):
    """The request was aborted (cancelled by the caller or by the engine) before it finished."""


class EngineStartError(ClientError):
    """The engine could not be started: bad engine options, missing weights, no memory."""

    recoverable = False


class EngineDeadError(ClientError):
    """The engine process died; this client cannot serve any further request."""

    recoverable = False


class StrategyError(OptivllmError):
    """A strategy failed to produce a solution."""


class BudgetExhausted(StrategyError):
    """A query's token budget cannot pay for its next step; the strategy answers from what it has."""
