"""Every bad request gets its status and a message saying what to change, in OpenAI's error schema."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from strategies.catalog import strategy_names
from strategies.serve import ServeSettings
from tests.strategies.serve.serving import MODEL, DeadClient, GatedClient, Served, chat, extension, scripted, serving

QUESTION: list[Any] = [{"role": "user", "content": "What is 6 * 7?"}]


def _refused(served: Served, **kwargs: Any) -> openai.APIStatusError:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", QUESTION)
    with pytest.raises(openai.APIStatusError) as caught:
        served.openai().chat.completions.create(**kwargs)
    return caught.value


def test_an_unknown_model_is_400_naming_the_served_model_and_the_strategies(served: Served) -> None:
    err = _refused(served, model="gpt-4o")
    assert err.status_code == 400 and isinstance(err.body, dict)
    assert err.body["code"] == "model_not_found" and err.body["param"] == "model"
    assert "unknown model 'gpt-4o'" in err.body["message"] and f"'{MODEL}'" in err.body["message"]
    assert ", ".join(strategy_names()) in err.body["message"]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"model": f"magic-{MODEL}"}, "unknown strategy 'magic' in the model name"),
        ({"extra_body": {"optivllm": {"strategy": "magic"}}}, "unknown strategy 'magic' in optivllm.strategy"),
        ({"extra_body": {"optillm_approach": "z3"}}, "unknown strategy 'z3' in optillm_approach"),
    ],
)
def test_an_unknown_strategy_is_400_listing_the_valid_ones(served: Served, kwargs: dict[str, Any], named: str) -> None:
    err = _refused(served, **kwargs)
    assert err.status_code == 400 and named in err.message
    assert f"valid strategies: {', '.join(strategy_names())}" in err.message


def test_two_different_strategies_in_one_request_are_400(served: Served) -> None:
    err = _refused(served, model=f"mars-{MODEL}", extra_body={"optivllm": {"strategy": "moa"}})
    assert err.status_code == 400 and "'mars' (the model name) and 'moa' (optivllm.strategy)" in err.message


def test_an_optillm_combination_is_400(served: Served) -> None:
    err = _refused(served, model=f"moa|bon-{MODEL}")
    assert err.status_code == 400 and "combines approaches" in err.message


def test_a_bad_config_value_is_400_naming_the_field(served: Served) -> None:
    err = _refused(served, model=f"mars-{MODEL}", extra_body={"optivllm": {"config": {"num_agents": 0}}})
    assert err.status_code == 400 and isinstance(err.body, dict)
    assert err.body["param"] == "num_agents" and err.body["code"] == "invalid_config"
    assert "invalid config for strategy 'mars': num_agents: Input should be greater than or equal to 1" in err.message


def test_an_unknown_config_field_is_400_listing_the_valid_fields(served: Served) -> None:
    err = _refused(served, extra_body={"optivllm": {"config": {"agents": 3}}})
    assert err.status_code == 400 and "agents: Extra inputs are not permitted" in err.message
    assert "valid fields: budget_tokens, max_tokens, seed, temperature" in err.message


@pytest.mark.parametrize(
    ("model", "kwargs", "param"),
    [
        (f"mars-{MODEL}", {"temperature": 0.2}, "temperature"),
        (MODEL, {"n": 2}, "n"),
        (MODEL, {"stop": ["\n"]}, "stop"),
        (MODEL, {"top_p": 0.9}, "top_p"),
    ],
)
def test_a_sampling_parameter_the_strategy_has_no_field_for_is_400(
    served: Served, model: str, kwargs: dict[str, Any], param: str
) -> None:
    err = _refused(served, model=model, **kwargs)
    assert err.status_code == 400 and isinstance(err.body, dict) and err.body["param"] == param
    assert f"parameter '{param}' does not apply to strategy" in err.message and "its fields:" in err.message


def test_a_parameter_given_twice_with_different_values_is_400(served: Served) -> None:
    err = _refused(served, temperature=0.3, extra_body={"optivllm": {"config": {"temperature": 0.9}}})
    assert err.status_code == 400 and "temperature=0.3 and optivllm.config.temperature=0.9 disagree" in err.message


def test_an_openai_feature_the_server_does_not_have_is_400_not_ignored(served: Served) -> None:
    err = _refused(served, logprobs=True)
    assert err.status_code == 400 and "parameter 'logprobs' is not supported" in err.message
    assert _refused(served, tools=[{"type": "function", "function": {"name": "f"}}]).status_code == 400
    served.openai().chat.completions.create(model=MODEL, messages=QUESTION, logprobs=False, n=1)  # asks for nothing


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        (
            [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
            "last message must be the user's",
        ),
        ([{"role": "user", "content": "  "}], "the last user message is empty"),
        ([{"role": "tool", "content": "x", "tool_call_id": "1"}], "role 'tool' is not served"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}],
            "only text content is served",
        ),
    ],
)
def test_messages_the_server_cannot_answer_are_400(served: Served, messages: list[Any], message: str) -> None:
    err = _refused(served, messages=messages)
    assert err.status_code == 400 and message in err.message


def test_a_prompt_longer_than_the_context_is_400_with_both_lengths() -> None:
    with serving(scripted(max_model_len=64)) as served:
        err = _refused(served, messages=[{"role": "user", "content": "word " * 100}])
    assert err.status_code == 400 and isinstance(err.body, dict) and err.body["code"] == "context_length_exceeded"
    assert "prompt is 1" in err.message and "but the model's context is 64 tokens" in err.message


def test_a_body_that_is_not_json_or_lacks_messages_is_400(served: Served) -> None:
    status, body = served.post("/v1/chat/completions", b"{not json")
    assert status == 400 and "not valid JSON" in body["error"]["message"]
    status, body = served.post("/v1/chat/completions", {"model": MODEL})
    assert status == 400 and body["error"]["message"] == "invalid request: messages: Field required"
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["param"] == "messages"


def test_an_oversized_body_is_413() -> None:
    with serving(settings=ServeSettings(max_body_bytes=1000)) as served:
        status, body = served.post("/v1/chat/completions", chat("x" * 2000))
        assert status == 413 and "larger than 1000 bytes" in body["error"]["message"]
        assert served.post("/v1/chat/completions", chat("What is 6 * 7?"))[0] == 200


def test_an_unknown_route_is_404_in_the_error_schema(served: Served) -> None:
    status, body, _ = served.get("/v1/nothing")
    assert status == 404 and b'"type":"not_found_error"' in body


def test_with_a_key_set_a_missing_or_wrong_key_is_401_and_the_right_one_passes() -> None:
    with serving(settings=ServeSettings(api_keys=("sekrit",))) as served:
        err = _refused(served)  # the client sends "Bearer unused"
        assert err.status_code == 401 and isinstance(err.body, dict) and err.body["code"] == "invalid_api_key"
        status, body = served.post("/v1/chat/completions", chat())
        assert status == 401 and body["error"]["code"] == "missing_api_key"
        assert served.get("/v1/models")[0] == 401
        assert served.get("/v1/models", {"Authorization": "Bearer sekrit"})[0] == 200
        good = served.openai(api_key="sekrit").chat.completions.create(model=MODEL, messages=QUESTION)
        assert extension(good)["answer"] == "42"
        assert served.get("/health")[0] == 200 and served.get("/metrics")[0] == 200  # open routes


def test_without_a_key_set_any_key_or_none_passes(served: Served) -> None:
    assert served.post("/v1/chat/completions", chat())[0] == 200
    assert served.openai(api_key="anything").models.list().data


def test_past_max_in_flight_a_request_is_429_with_retry_after() -> None:
    import threading

    client = GatedClient()
    with serving(client, settings=ServeSettings(max_in_flight=1, retry_after_s=3)) as served:
        first = threading.Thread(target=served.post, args=("/v1/chat/completions", chat()))
        first.start()
        assert client.entered.wait(10)
        err = _refused(served)
        assert err.status_code == 429 and err.response.headers["retry-after"] == "3"
        assert "limit of 1 requests" in err.message
        client.release.set()
        first.join(10)
        assert served.post("/v1/chat/completions", chat())[0] == 200


def test_a_dead_engine_is_503_and_fails_health_from_then_on() -> None:
    with serving(DeadClient()) as served:
        assert served.get("/health")[0] == 200
        err = _refused(served)
        assert err.status_code == 503 and "the engine is not available" in err.message
        status, body, _ = served.get("/health")
        assert status == 503 and b"engine_dead" in body
        assert _refused(served).status_code == 503


def test_a_dead_engine_in_a_stream_ends_it_with_an_error_event() -> None:
    with serving(DeadClient()) as served:
        stream = served.openai().chat.completions.create(
            model=f"mars-{MODEL}",
            messages=QUESTION,
            stream=True,  # type: ignore[arg-type]
        )
        with pytest.raises(openai.APIError, match="the engine is not available"):
            list(stream)
        assert served.get("/health")[0] == 503
