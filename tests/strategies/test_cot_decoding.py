"""CoT decoding's control flow on a scripted model with scripted top-2 margins."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Prompt, Sampling, ScriptedClient, ScriptedReply
from strategies import get_strategy
from strategies.cot_decoding import CotDecoding, CotDecodingConfig, answer_margin
from tests.strategies.logprob_replies import first_token_reply, margin_reply

FIRST = [("So", -0.2), ("I", -1.5), ("The", -2.0), ("", -2.5), ("So", -3.0), ("We", -3.5)]


def client_with(paths: dict[str, ScriptedReply]) -> ScriptedClient:
    def respond(prompt: Prompt, sampling: Sampling) -> ScriptedReply:
        if sampling.max_tokens == 1:
            return first_token_reply(FIRST)
        return paths[prompt.assistant_prefix]

    return ScriptedClient(respond)


PATHS = {
    "So": margin_reply("guess Answer: 5", [0.9, 0.9, 0.1]),
    "I": margin_reply("think Answer: 4", [0.1, 0.1, 0.8]),
    "The": margin_reply("sum Answer: 4", [0.1, 0.1, 0.7]),
    "We": margin_reply("say Answer: 6", [0.1, 0.1, 0.05]),
}


async def test_branches_on_distinct_first_tokens_then_decodes_them_greedily_in_one_call():
    client = client_with(PATHS)
    solution = await CotDecoding(CotDecodingConfig(k=3, max_tokens=16)).optimize("2+2?", client)
    branch, decode = client.calls
    assert branch.samplings[0].max_tokens == 1 and branch.samplings[0].logprobs == 5
    assert [p.assistant_prefix for p in decode.prompts] == ["So", "I", "The"]
    assert all(s.temperature == 0.0 and s.logprobs == 2 for s in decode.samplings)
    assert decode.tags == ("decode",) * 3
    assert solution.metadata.engine_calls == 2 and solution.metadata.engine_requests == 4


async def test_the_answer_with_the_largest_summed_answer_margin_wins():
    client = client_with(PATHS)
    solution = await CotDecoding(CotDecodingConfig(k=3, max_tokens=16)).optimize("2+2?", client)
    # "5" has the highest margins overall but not on its answer token (0.1 vs 0.8 + 0.7)
    assert solution.answer_key == "4"
    assert solution.agent_id == "path-1" and solution.reasoning.startswith("I")
    paths = solution.metadata.details["paths"]
    assert [p["confidence"] for p in paths] == pytest.approx([0.1, 0.8, 0.7])
    assert all(p["span"] == "answer" and p["answer_tokens"] == 1 for p in paths)
    assert solution.confidence == pytest.approx(1.5 / 1.6)
    assert solution.metadata.strategy == "cot_decoding" and not solution.metadata.fallbacks


async def test_empty_and_repeated_first_tokens_are_skipped():
    client = client_with(PATHS)
    await CotDecoding(CotDecodingConfig(k=4, max_tokens=16)).optimize("2+2?", client)
    assert [p.assistant_prefix for p in client.calls[1].prompts] == ["So", "I", "The", "We"]


async def test_a_path_without_an_answer_is_scored_on_its_whole_completion_and_noted():
    paths = dict(PATHS, I=margin_reply("no idea", [0.5, 0.3]))
    client = client_with(paths)
    solution = await CotDecoding(CotDecodingConfig(k=2, max_tokens=16)).optimize("2+2?", client)
    details = solution.metadata.details["paths"]
    assert details[1]["span"] == "completion" and details[1]["answer_tokens"] == 3
    assert solution.metadata.fallbacks == ["path 1: no answer span, scored the whole completion"]


def test_answer_margin_averages_over_the_answer_tokens_only():
    pieces = ["The", " answer", " is", " 4", "2", "."]
    margins = np.array([0.9, 0.9, 0.9, 0.2, 0.4, 0.9])
    assert answer_margin(pieces, margins, "42") == (pytest.approx(0.3), 2, True)
    assert answer_margin(pieces, margins, "17") == (pytest.approx(0.7), 6, False)


def test_k_is_capped_by_the_engine_logprobs_limit():
    with pytest.raises(Exception, match="k"):
        get_strategy("cot_decoding", k=21)
