"""`POST /v1/chat/completions` through the real `openai` client: plain, MARS and self-consistency,
whole and streamed, the strategy named each way the server understands."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import ScriptedClient
from strategies.serve import ServeSettings
from strategies.serve.app import _Reply
from strategies.serve.request import CONVERSATION_QUERY, plan_request
from strategies.serve.schema import ChatCompletionRequest, Delta
from tests.strategies.serve.serving import MODEL, REPLY, Served, SlowStreamClient, chat, extension, serving

MARS_LIGHT = {"optivllm": {"config": {"preset": "lightweight", "verify_max_tokens": 16}}}
QUESTION: list[Any] = [{"role": "user", "content": "What is 6 * 7?"}]


def _stream(served: Served, model: str, **kwargs: Any) -> list[Any]:
    return list(served.openai().chat.completions.create(model=model, messages=QUESTION, stream=True, **kwargs))


def _reasoning(delta: Any) -> str:
    """A chunk delta's progress line (`reasoning_content`, an extra field to the client)."""
    return str((delta.model_extra or {}).get("reasoning_content") or "")


def test_plain_answers_in_openai_schema_with_cached_tokens_and_the_optivllm_record(served: Served) -> None:
    response = served.openai().chat.completions.create(model=MODEL, messages=QUESTION)
    [choice] = response.choices
    assert choice.message.role == "assistant" and choice.message.content == REPLY
    assert choice.finish_reason == "stop" and response.object == "chat.completion" and response.model == MODEL
    usage = response.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens == len(REPLY.split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 0
    info = extension(response)
    assert (info["strategy"], info["selection_rule"], info["answer"]) == ("plain", "only", "42")
    assert (info["engine_calls"], info["engine_requests"]) == (1, 1)
    assert set(info["usage_by_phase"]) == {"generate"} and "candidates" not in info


def _pieces(chunks: list[Any]) -> list[str]:
    return [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]


def test_plain_streams_the_answer_token_by_token_then_finishes_with_the_record() -> None:
    with serving(SlowStreamClient(REPLY, delay=0.02)) as paced:  # an engine writing one token a step
        chunks = _stream(paced, MODEL, stream_options={"include_usage": True})
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = _pieces(chunks)
    assert len(pieces) == len(REPLY.split(" ")) > 1 and "".join(pieces) == REPLY
    last_choice = [c for c in chunks if c.choices][-1]
    assert last_choice.choices[0].finish_reason == "stop"
    assert extension(last_choice)["strategy"] == "plain"
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None and usage_chunk.usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_text_that_piled_up_while_the_server_was_busy_goes_out_as_one_chunk(served: Served) -> None:
    # the scripted stream writes every word in one event-loop turn: nothing comes between them
    pieces = _pieces(_stream(served, MODEL))
    assert pieces == [REPLY]


def test_stream_interval_gathers_that_many_tokens_a_chunk_after_the_first() -> None:
    text = "one two three four five six seven eight"
    with serving(SlowStreamClient(text, delay=0.02), settings=ServeSettings(stream_interval=3)) as paced:
        pieces = _pieces(_stream(paced, MODEL))
    assert pieces == ["one", " two three four", " five six seven", " eight"]


def test_mars_lightweight_by_model_prefix_runs_its_phases(served: Served) -> None:
    response = served.openai().chat.completions.create(
        model=f"mars-{MODEL}", messages=QUESTION, max_tokens=32, extra_body=MARS_LIGHT
    )
    info = extension(response)
    assert info["strategy"] == "mars" and info["answer"] == "42" and info["verified"] is True
    assert set(info["usage_by_phase"]) == {"exploration", "verification"}
    assert info["engine_calls"] < info["engine_requests"]
    assert response.usage is not None
    assert response.usage.prompt_tokens == sum(u["prompt_tokens"] for u in info["usage_by_phase"].values())


def test_mars_streams_its_progress_as_reasoning_before_the_answer(served: Served) -> None:
    chunks = _stream(served, f"mars-{MODEL}", max_tokens=32, extra_body=MARS_LIGHT)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = [_reasoning(d) for d in deltas if _reasoning(d)]
    content_at = next(i for i, d in enumerate(deltas) if d.content)
    assert all(not _reasoning(d) for d in deltas[content_at:])
    assert reasoning[0] == "mars: started\n"
    assert any(line.startswith("mars: exploration: 2 requests sent") for line in reasoning)
    assert any("verified (score" in line for line in reasoning)
    assert reasoning[-1].startswith("mars: answer '42' chosen by")
    assert "".join(d.content or "" for d in deltas) == REPLY
    events = [extension(c)["event"]["type"] for c in chunks if "event" in (c.model_extra or {}).get("optivllm", {})]
    assert events[0] == "run_started" and events[-1] == "run_finished" and "phase_finished" in events


def test_self_consistency_by_extra_body_whole_and_streamed(served: Served) -> None:
    extra = {"optivllm": {"strategy": "self_consistency", "config": {"samples": 8}}}
    response = served.openai().chat.completions.create(model=MODEL, messages=QUESTION, extra_body=extra)
    info = extension(response)
    assert (info["strategy"], info["selection_rule"], info["answer"]) == ("self_consistency", "majority", "42")
    chunks = _stream(served, MODEL, extra_body=extra)
    assert extension(chunks[-1])["strategy"] == "self_consistency"
    assert any(c.choices and _reasoning(c.choices[0].delta) for c in chunks)


@pytest.mark.parametrize(
    ("model", "extra", "strategy"),
    [
        (f"bon-{MODEL}", {}, "best_of_n"),
        (f"re2-{MODEL}", {}, "reread"),
        (MODEL, {"optillm_approach": "self_consistency"}, "self_consistency"),
        (MODEL, {"optillm_approach": "none"}, "plain"),
        (f"plain-{MODEL}", {}, "plain"),
        (f"moa-{MODEL}", {"optivllm": {"strategy": "moa"}}, "moa"),
    ],
)
def test_the_optillm_forms_name_the_strategy(served: Served, model: str, extra: dict[str, Any], strategy: str) -> None:
    response = served.openai().chat.completions.create(model=model, messages=QUESTION, max_tokens=16, extra_body=extra)
    assert extension(response)["strategy"] == strategy and response.model == model


def test_models_lists_the_model_alone_and_behind_every_strategy(served: Served) -> None:
    from strategies.catalog import strategy_names

    ids = [m.id for m in served.openai().models.list()]
    assert ids == [MODEL, *(f"{name}-{MODEL}" for name in strategy_names())]


def test_candidates_come_back_when_asked_for(served: Served) -> None:
    extra = {"optivllm": {"candidates": True, "config": {"preset": "lightweight"}}}
    response = served.openai().chat.completions.create(model=f"mars-{MODEL}", messages=QUESTION, extra_body=extra)
    candidates = extension(response)["candidates"]
    assert [c["agent_id"] for c in candidates] == ["agent-0", "agent-1"]
    assert all(c["phase"] == "exploration" and c["answer"] == "42" for c in candidates)
    chunks = _stream(served, MODEL, extra_body={"optivllm": {"candidates": True}})
    assert [c["agent_id"] for c in extension(chunks[-1])["candidates"]] == ["agent-0"]


def test_sampling_parameters_reach_the_engine_and_the_system_message_is_the_strategys_system() -> None:
    client = ScriptedClient(lambda prompt, sampling: REPLY)
    with serving(client) as served:
        served.openai().chat.completions.create(
            model=MODEL,
            messages=[{"role": "system", "content": "Be terse."}, *QUESTION],
            temperature=0.5,
            seed=7,
            max_completion_tokens=20,
        )
    [(prompt, sampling, tag)] = client.requests
    assert (sampling.temperature, sampling.seed, sampling.max_tokens, tag) == (0.5, 7, 20, "generate")
    assert prompt.system == "Be terse." and prompt.messages[-1].content == "What is 6 * 7?"


def test_earlier_turns_go_before_the_last_question_as_a_transcript() -> None:
    client = ScriptedClient(lambda prompt, sampling: REPLY)
    turns = [
        {"role": "user", "content": "What is 6 * 7?"},
        {"role": "assistant", "content": "42"},
        {"role": "user", "content": [{"type": "text", "text": "And doubled?"}]},
    ]
    with serving(client) as served:
        served.openai().chat.completions.create(model=MODEL, messages=turns)  # type: ignore[arg-type]
    [(prompt, _, _)] = client.requests
    transcript = "User: What is 6 * 7?\n\nAssistant: 42"
    assert prompt.messages[-1].content == CONVERSATION_QUERY.format(transcript=transcript, query="And doubled?")


@pytest.mark.parametrize("text", ["plain", 'quotes " and \\ back', "line\nbreak\ttab", "ünï ☃ 😀", "\u2028\x00"])
def test_a_text_chunk_is_the_chunk_the_schema_would_write(text: str) -> None:
    reply = _Reply(MODEL, plan_request(ChatCompletionRequest.model_validate(chat()), served=MODEL))
    fast, slow = reply.text_chunk(text), reply.chunk(Delta(content=text))
    assert fast.startswith(b"data: ") and fast.endswith(b"\n\n")
    assert json.loads(fast[6:]) == json.loads(slow[6:])
