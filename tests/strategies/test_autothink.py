"""AutoThink: difficulty from text and a one-token self-assessment, then routing."""

from __future__ import annotations

import math

import pytest

from engine import Prompt, Sampling, ScriptedClient, ScriptedReply
from strategies.autothink import AutoThink, AutoThinkConfig, model_p_hard, text_difficulty
from tests.strategies.logprob_replies import confident_reply, first_token_reply

EASY = "What is 2 + 2?"
HARD = (
    "A train leaves at 3 pm and travels 60 km each hour, then stops for 20 minutes. A second "
    "train leaves 1 hour later at 80 km/h. If both travel 240 km, how many minutes after the "
    "first does the second arrive? Prove that your answer is the total delay."
)


def client_for(assessment: list[tuple[str, float]]) -> ScriptedClient:
    """Answers the self-assessment from `assessment`, thinks briefly, and answers 4."""

    def respond(prompt: Prompt, sampling: Sampling) -> ScriptedReply:
        if sampling.max_tokens == 1:
            return first_token_reply(assessment)
        if sampling.logprobs:
            return confident_reply("x x Answer: 4", 3.0)
        if sampling.stop:
            return ScriptedReply("let me see")
        return ScriptedReply("Answer: 4")

    return ScriptedClient(respond)


def test_text_heuristic_ranks_a_multi_step_word_problem_above_a_sum():
    assert text_difficulty(EASY) < 0.35 <= 0.65 <= text_difficulty(HARD)


async def test_model_p_hard_compares_easy_and_hard_token_mass():
    reply = first_token_reply([("Easy", -0.2), ("Hard", -2.0), ("The", -3.0), (" difficult", -4.0)])
    client = ScriptedClient([reply])
    [completion] = await client.generate([Prompt.user("q")], Sampling(max_tokens=1))
    easy, hard = math.exp(-0.2), math.exp(-2.0) + math.exp(-4.0)
    assert model_p_hard(completion) == pytest.approx(hard / (easy + hard))


async def test_an_easy_query_goes_to_plain_with_the_small_budget():
    client = client_for([("easy", -0.1), ("hard", -3.0)])
    config = AutoThinkConfig(easy_max_tokens=64)
    solution = await AutoThink(config).optimize(EASY, client)
    assess, answer = client.calls
    assert assess.tags == ("assess",) and assess.samplings[0].logprobs == 20
    assert answer.samplings[0].max_tokens == 64
    details = solution.metadata.details
    assert details["tier"] == "easy" and details["routed_to"] == "plain"
    assert details["difficulty"]["model_p_hard"] < 0.1
    assert solution.metadata.strategy == "autothink" and solution.metadata.selection_rule == "route:easy"
    assert solution.metadata.engine_calls == 2 and set(solution.metadata.usage_by_phase) == {
        "assess",
        "generate",
    }


async def test_a_hard_query_gets_deep_thinking_with_the_large_budget():
    client = client_for([("hard", -0.1), ("easy", -3.0)])
    config = AutoThinkConfig(hard_thinking=(2, 40), max_tokens=16)
    solution = await AutoThink(config).optimize(HARD, client)
    details = solution.metadata.details
    assert details["tier"] == "hard" and details["routed_to"] == "deep_thinking"
    think = client.calls[1]
    assert think.samplings[0].max_tokens == 40 and think.tags == ("think",)
    assert details["inner"]["details"]["thinking_tokens"] == 3
    assert solution.answer_key == "4"


async def test_a_hard_query_can_go_to_deepconf_and_without_self_assessment():
    client = client_for([])
    config = AutoThinkConfig(self_assess=False, hard_strategy="deepconf", max_tokens=16)
    solution = await AutoThink(config).optimize(HARD, client)
    assert client.calls[0].tags == ("warmup",)
    details = solution.metadata.details
    assert details["routed_to"] == "deepconf" and details["difficulty"]["model_p_hard"] is None
    assert solution.answer_key == "4"


async def test_the_routed_strategy_is_counted_once_and_reports_its_phases():
    events = []
    client = client_for([("easy", -0.1), ("hard", -3.0)])
    solution = await AutoThink(AutoThinkConfig()).optimize(EASY, client, on_event=events.append)
    meta = solution.metadata
    assert meta.engine_calls == meta.engine_requests == meta.usage.requests == len(client.calls) == 2
    assert [(e.strategy, e.phase) for e in events if e.type == "phase_started"] == [
        ("autothink", "assess"),
        ("plain", "generate"),
    ]


def test_thresholds_are_ordered():
    with pytest.raises(ValueError, match="easy_below"):
        AutoThinkConfig(easy_below=0.8, hard_from=0.5)
