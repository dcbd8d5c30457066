"""Best-of-n's `scorer` option: 'self' is the model's 0-10 rating as before; 'judge' is one
batched verdict-probe call, the best P(CORRECT) kept."""

from __future__ import annotations

import math

import pytest

from engine import Prompt, Sampling, ScriptedClient, ScriptedReply
from strategies import get_strategy
from strategies.blocks.rating import RATING_SYSTEM
from strategies.blocks.scoring import JUDGE_SYSTEM
from tests.strategies.logprob_replies import first_token_reply

SAMPLES = ["A. 2 + 2 = 5. Answer: 5", "B. 2 + 2 = 4. Answer: 4", "C. 2 + 2 = 3. Answer: 3"]
P_CORRECT = {"A.": 0.3, "B.": 0.8, "C.": 0.6}


def model() -> ScriptedClient:
    pending = iter(SAMPLES)

    def reply(prompt: Prompt, sampling: Sampling) -> str | ScriptedReply:
        shown = prompt.messages[-1].content
        if prompt.system == JUDGE_SYSTEM:
            p = next(v for k, v in P_CORRECT.items() if k in shown)
            return first_token_reply([("COR", math.log(p)), ("IN", math.log(1 - p))])
        if prompt.system == RATING_SYSTEM:
            return "RATING: 9" if "A." in shown else "RATING: 2"
        return next(pending)

    return ScriptedClient(reply)


async def test_the_judge_scores_every_sample_in_one_probe_call_and_the_best_wins() -> None:
    client = model()
    solution = await get_strategy("best_of_n", samples=3, scorer="judge").optimize("2+2?", client)
    sampling, scoring = client.calls
    assert sampling.samplings[0].n == 3 and len(scoring.prompts) == 3 and set(scoring.tags) == {"scoring"}
    assert all(s.choice == ("CORRECT", "INCORRECT") for s in scoring.samplings)
    assert solution.answer == "4" and solution.metadata.selection_rule == "best-scored"
    assert solution.confidence == pytest.approx(0.8, abs=1e-3)
    assert solution.metadata.details["scores"] == pytest.approx([0.3, 0.8, 0.6], abs=1e-3)
    assert solution.metadata.engine_calls == 2 and solution.metadata.engine_requests == 4


async def test_self_is_the_default_and_rates_as_before() -> None:
    client = model()
    solution = await get_strategy("best_of_n", samples=3, rating_source="text").optimize("2+2?", client)
    assert get_strategy("best_of_n").config.scorer == "self"
    assert [c.tags[0] for c in client.calls] == ["sampling", "rating"]
    assert solution.answer == "5" and solution.metadata.selection_rule == "best-rated"
