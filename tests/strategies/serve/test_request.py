"""From an OpenAI request to a `Plan`: the strategy, the config fields the parameters land on, the question."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.serve import APIError, Plan, plan_request, served_models
from strategies.serve.schema import ChatCompletionRequest

SERVED = "tiny"


def plan(**fields: Any) -> Plan:
    body = {"model": SERVED, "messages": [{"role": "user", "content": "2+2?"}], **fields}
    return plan_request(ChatCompletionRequest.model_validate(body), served=SERVED)


def test_a_plain_model_name_is_plain_with_the_strategys_defaults() -> None:
    p = plan()
    assert (p.strategy, p.query, p.system, p.stream, p.candidates) == ("plain", "2+2?", None, False, False)
    assert p.config.model_dump()["temperature"] == 0.0


def test_the_default_max_tokens_applies_only_when_the_request_sets_none() -> None:
    body = {"model": SERVED, "messages": [{"role": "user", "content": "2+2?"}]}
    request = ChatCompletionRequest.model_validate(body)
    assert plan_request(request, served=SERVED, default_max_tokens=99).config.max_tokens == 99
    request = ChatCompletionRequest.model_validate({**body, "max_tokens": 7})
    assert plan_request(request, served=SERVED, default_max_tokens=99).config.max_tokens == 7


def test_a_stop_string_lands_on_a_stop_field_as_a_list() -> None:
    with pytest.raises(APIError, match="parameter 'stop' does not apply to strategy 'plain'"):
        plan(stop="\n")
    assert plan(stop=[]).strategy == "plain"  # an empty list asks for nothing


def test_the_same_strategy_named_twice_is_fine() -> None:
    p = plan(model=f"mars-{SERVED}", optivllm={"strategy": "mars"}, optillm_approach="mars")
    assert p.strategy == "mars"


def test_stream_options_and_candidates_are_carried() -> None:
    p = plan(stream=True, stream_options={"include_usage": True}, optivllm={"candidates": True})
    assert (p.stream, p.include_usage, p.candidates) == (True, True, True)


def test_system_and_developer_messages_are_joined_into_the_system_prompt() -> None:
    messages = [
        {"role": "system", "content": "Be terse."},
        {"role": "developer", "content": "Use digits."},
        {"role": "user", "content": "2+2?"},
    ]
    p = plan(messages=messages)
    assert p.system == "Be terse.\n\nUse digits." and p.query == "2+2?"


def test_unknown_optivllm_options_are_400() -> None:
    with pytest.raises(Exception, match="strategy_name"):
        plan(optivllm={"strategy_name": "mars"})


def test_served_models_are_the_model_then_every_strategy_prefix() -> None:
    models = served_models(SERVED)
    assert models[0] == (SERVED, "plain") and (f"mars-{SERVED}", "mars") in models
