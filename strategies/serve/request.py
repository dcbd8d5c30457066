"""From an OpenAI chat request to a strategy run: which strategy, which config, which question.

1) the strategy: named by a model-name prefix (`mars-<model>`), by
   `extra_body={"optivllm": {"strategy": "mars"}}`, or by optillm's `optillm_approach` field;
   a plain model name means `plain`. optillm's own slugs are understood (`bon` is best_of_n,
   `re2` reread, `none` plain, `thinkdeeper` deep_thinking). Two different names in one
   request, an unknown name or model, and optillm's combinations (`moa|bon-...`) are 400s;
2) the config: `optivllm.config`, then the request's sampling parameters (`temperature`,
   `top_p`, `max_tokens` or `max_completion_tokens`, `seed`, `n`, `stop`) on the config fields
   of the same name. A parameter whose field the strategy's config lacks is a 400 naming it
   (MARS has per-agent `temperatures`, not one `temperature`): never silently ignored, and so
   is any other OpenAI parameter that asks for something (`logprobs`, `tools`...).
   `build_config` validates the result; its `ConfigError` names the field;
3) the question: the system messages (and developer messages) joined are the strategy's
   `system`; the last message, which must be the user's, is the query. Earlier user and
   assistant turns are put before it as a transcript (`CONVERSATION_QUERY`), so a strategy
   that answers one question sees the conversation it belongs to.

Example:
    >>> from strategies.serve.schema import ChatCompletionRequest
    >>> body = {"model": "mars-tiny", "messages": [{"role": "user", "content": "2+2?"}], "max_tokens": 64,
    ...         "optivllm": {"config": {"preset": "lightweight"}}}
    >>> plan = plan_request(ChatCompletionRequest.model_validate(body), served="tiny")
    >>> plan.strategy, plan.config.num_agents, plan.config.max_tokens, plan.query
    ('mars', 2, 64, '2+2?')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine import ConfigError
from strategies.catalog import build_config, strategy_class, strategy_names
from strategies.core.config import StrategyConfig
from strategies.serve.errors import APIError
from strategies.serve.schema import ChatCompletionRequest, ChatMessage

OPTILLM_SLUGS = {"bon": "best_of_n", "none": "plain", "re2": "reread", "thinkdeeper": "deep_thinking"}
"""optillm's approach names that differ from the strategy's registry name."""

SAMPLING_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("max_tokens", "max_tokens"),
    ("max_completion_tokens", "max_tokens"),
    ("seed", "seed"),
    ("n", "n"),
    ("stop", "stop"),
)
"""(request parameter, strategy config field) pairs: a parameter that is set goes to its field."""

SYSTEM_ROLES = ("system", "developer")
TURN_ROLES = ("user", "assistant")

CONVERSATION_QUERY = (
    "This question continues a conversation.\n\nThe conversation so far:\n{transcript}\n\nThe question:\n{query}"
)
"""The query of a multi-turn request: the earlier turns first, so repeats share a prefix."""


@dataclass(frozen=True)
class Plan:
    """What one request runs: a strategy with a validated config on one question."""

    strategy: str
    config: StrategyConfig
    query: str
    system: str | None
    stream: bool = False
    include_usage: bool = False
    candidates: bool = False


def served_models(served: str) -> list[tuple[str, str]]:
    """(model id, strategy) of every model name the server answers to: `served` itself (plain),
    then `<strategy>-<served>` for every strategy."""
    return [(served, "plain"), *((f"{name}-{served}", name) for name in strategy_names())]


def plan_request(request: ChatCompletionRequest, *, served: str, default_max_tokens: int | None = None) -> Plan:
    """The run `request` asks for, or an `APIError` (400) saying what to change."""
    refuse_unsupported(request)
    strategy = chosen_strategy(request, served)
    options = request.optivllm
    config = strategy_config(strategy, request, dict(options.config) if options else {}, default_max_tokens)
    system, query = conversation(request.messages)
    return Plan(
        strategy=strategy,
        config=config,
        query=query,
        system=system,
        stream=request.stream,
        include_usage=bool(request.stream_options and request.stream_options.include_usage),
        candidates=bool(options and options.candidates),
    )


# -- 1) the strategy ----------------------------------------------------------------------------


def chosen_strategy(request: ChatCompletionRequest, served: str) -> str:
    """The one strategy the request names (plain when it names none)."""
    named: list[tuple[str, str]] = []
    prefix = _model_prefix(request.model, served)
    if prefix is not None:
        named.append((_known(prefix, f"the model name {request.model!r}", optillm=True), "the model name"))
    if request.optivllm is not None and request.optivllm.strategy is not None:
        named.append((_known(request.optivllm.strategy, "optivllm.strategy"), "optivllm.strategy"))
    if request.optillm_approach is not None:
        named.append((_known(request.optillm_approach, "optillm_approach", optillm=True), "optillm_approach"))
    names = {name for name, _ in named}
    if len(names) > 1:
        listed = " and ".join(f"{name!r} ({where})" for name, where in named)
        raise APIError(400, f"the request names more than one strategy: {listed}; name one", param="model")
    return names.pop() if names else "plain"


def _model_prefix(model: str, served: str) -> str | None:
    """The strategy part of `<strategy>-<served>`; None for `served` itself."""
    if model == served:
        return None
    if model.endswith("-" + served) and len(model) > len(served) + 1:
        return model[: -len(served) - 1]
    raise APIError(
        400,
        f"unknown model {model!r}: this server runs {served!r}; ask for {served!r} (plain) or "
        f"'<strategy>-{served}' with a strategy from: {', '.join(strategy_names())} (GET /v1/models lists them)",
        param="model",
        code="model_not_found",
    )


def _known(name: str, where: str, *, optillm: bool = False) -> str:
    if optillm and any(op in name for op in "&|"):
        raise APIError(
            400, f"{where} combines approaches ({name!r}); optivllm serve runs one strategy per request", param="model"
        )
    resolved = OPTILLM_SLUGS.get(name, name) if optillm else name
    if resolved not in strategy_names():
        raise APIError(
            400,
            f"unknown strategy {name!r} in {where}; valid strategies: {', '.join(strategy_names())}",
            param="model" if where.startswith("the model") else where,
            code="unknown_strategy",
        )
    return resolved


# -- 2) the config ------------------------------------------------------------------------------


def refuse_unsupported(request: ChatCompletionRequest) -> None:
    """A 400 for any OpenAI parameter outside this server's schema that asks for something."""
    for key, value in (request.model_extra or {}).items():
        if value is None or value is False or value == 0 or value in ("", [], {}):
            continue  # it asks for nothing
        raise APIError(
            400,
            f"parameter {key!r} is not supported by optivllm serve (it runs a strategy and answers with "
            "one message); leave it out",
            param=key,
            code="unsupported_parameter",
        )


def strategy_config(
    strategy: str, request: ChatCompletionRequest, settings: dict[str, Any], default_max_tokens: int | None
) -> StrategyConfig:
    """`settings` with the request's sampling parameters on their fields, validated."""
    fields = strategy_class(strategy).config_class.model_fields
    given_by = {key: f"optivllm.config.{key}" for key in settings}
    for param, field in SAMPLING_PARAMETERS:
        value = getattr(request, param)
        if value is None or (param == "n" and value == 1) or (param == "stop" and not value):
            continue  # unset, or what one answer per request gives anyway
        if param == "stop" and isinstance(value, str):
            value = [value]
        if field not in fields:
            raise APIError(
                400,
                f"parameter {param!r} does not apply to strategy {strategy!r}: its config has no {field!r} "
                f"field. Leave it out, or set the strategy's own fields with "
                f'extra_body={{"optivllm": {{"config": {{...}}}}}}; its fields: {", ".join(sorted(fields))}',
                param=param,
                code="unsupported_parameter",
            )
        if field in settings and settings[field] != value:
            raise APIError(
                400,
                f"{param}={value!r} and {given_by[field]}={settings[field]!r} disagree; give {field} once",
                param=param,
            )
        settings[field] = value
        given_by[field] = param
    if default_max_tokens is not None and "max_tokens" not in settings:
        settings["max_tokens"] = default_max_tokens
    try:
        return build_config(strategy, settings)
    except ConfigError as err:
        raise APIError(400, one_line(str(err)), param=_first_field(str(err)), code="invalid_config") from err


def one_line(message: str) -> str:
    """A config error's field list on one line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    out = ""
    for line in lines:
        out += line if not out else (" " if out.endswith(":") else "; ") + line
    return out


def _first_field(message: str) -> str | None:
    """The first invalid field a `config_error` message lists (`  name: why`)."""
    for line in message.splitlines()[1:]:
        if line.startswith("  ") and ":" in line:
            return line.strip().split(":", 1)[0]
    return None


# -- 3) the question ----------------------------------------------------------------------------


def conversation(messages: Sequence[ChatMessage]) -> tuple[str | None, str]:
    """(system, query) of a conversation: the system messages joined, the last user message
    with any earlier turns before it as a transcript."""
    systems: list[str] = []
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        _check_message(i, message)
        if message.role in SYSTEM_ROLES:
            systems.append(message.text())
        else:
            turns.append((message.role, message.text()))
    if not turns or turns[-1][0] != "user":
        raise APIError(
            400, "the last message must be the user's: it is the question the strategy answers", param="messages"
        )
    query = turns[-1][1]
    if not query.strip():
        raise APIError(400, "the last user message is empty; send the question to answer", param="messages")
    if len(turns) > 1:
        transcript = "\n\n".join(f"{role.capitalize()}: {text}" for role, text in turns[:-1])
        query = CONVERSATION_QUERY.format(transcript=transcript, query=query)
    return ("\n\n".join(systems) if systems else None), query


def _check_message(i: int, message: ChatMessage) -> None:
    if message.role not in SYSTEM_ROLES + TURN_ROLES:
        raise APIError(
            400,
            f"messages[{i}]: role {message.role!r} is not served (system, developer, user and assistant are)",
            param=f"messages[{i}].role",
        )
    if isinstance(message.content, list):
        for part in message.content:
            if part.type != "text":
                raise APIError(
                    400,
                    f"messages[{i}]: only text content is served (got a {part.type!r} part)",
                    param=f"messages[{i}]",
                )
    for key, value in (message.model_extra or {}).items():
        if value:
            raise APIError(400, f"messages[{i}]: {key!r} is not supported", param=f"messages[{i}].{key}")
