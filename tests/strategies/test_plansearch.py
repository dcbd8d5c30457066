"""plansearch: observations, several plans explored in parallel (one call per step), selection
by model rating or majority."""

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient
from strategies.blocks.rating import RATING_SYSTEM
from strategies.catalog import build_config
from strategies.plansearch import PlanSearch, PlanSearchConfig

OBSERVATIONS = "1. The sum is even.\n2. Both numbers are odd.\n3. Order does not matter."


def script(rating=lambda text: "RATING: 5", observations: str = OBSERVATIONS):
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        text = prompt.messages[-1].content
        if prompt.system == RATING_SYSTEM:
            return rating(text)
        if "List 3 useful" in text:
            return observations
        if "derive 2 new" in text:
            return "1. Derived A.\n2. Derived B."
        if text.endswith("Quote the observation each step relies on."):
            return f"Plan using: {text.split('Observations:')[1].split(chr(10))[1]}"
        plan = text.split("Plan:\n")[1]
        return "Answer: 9" if "Order" in plan else "Answer: 8"

    return ScriptedClient(reply)


async def optimize(client: ScriptedClient, **config: object):
    return await PlanSearch(PlanSearchConfig(**{"rating_source": "text", **config})).optimize("What is 3 + 5?", client)


async def test_plans_are_explored_in_parallel_one_call_per_step():
    client = script()
    solution = await optimize(client)
    assert [c.tags[0] for c in client.calls] == ["observe", "derive", "plan", "implement", "rating"]
    assert [len(c.prompts) for c in client.calls] == [1, 3, 3, 3, 3]
    assert solution.metadata.engine_requests == 13 and solution.metadata.engine_calls == 5
    derive = [p.messages[-1].content for p in client.calls[1].prompts]
    assert "1. The sum is even.\n2. Both numbers are odd." in derive[0]
    assert "1. Both numbers are odd.\n2. Order does not matter." in derive[1]
    assert "1. Order does not matter.\n2. The sum is even." in derive[2]
    assert solution.metadata.details["plans"][0] == [
        "The sum is even.",
        "Both numbers are odd.",
        "Derived A.",
        "Derived B.",
    ]


async def test_the_best_rated_candidate_wins():
    client = script(rating=lambda text: "RATING: 9" if "Answer: 9" in text else "RATING: 2")
    solution = await optimize(client)
    assert solution.answer == "9" and solution.metadata.selection_rule == "rating"
    assert solution.metadata.details["chosen_plan"] == 2 and solution.confidence == 0.9


async def test_malformed_ratings_fall_back_to_the_majority_answer():
    client = script(rating=lambda text: "looks fine to me")
    solution = await optimize(client)
    assert solution.answer == "8" and solution.metadata.selection_rule == "majority"
    notes = solution.metadata.fallbacks
    assert len(notes) == 4 and notes[-1] == "no candidate rating was readable; chose by majority vote"


async def test_without_rating_the_majority_wins_in_four_calls():
    client = script()
    solution = await optimize(client, rate=False)
    assert solution.answer == "8" and solution.metadata.engine_calls == 4
    assert solution.metadata.engine_requests == 10


async def test_empty_responses_never_crash():
    client = ScriptedClient(lambda prompt, sampling: "")
    solution = await optimize(client)
    assert solution.answer == "" and solution.metadata.selection_rule == "majority"
    assert "no observations listed; plans start from derived observations only" in solution.metadata.fallbacks
    assert "no candidate stated an answer; kept plan 0" in solution.metadata.fallbacks


async def test_code_task_extracts_programs():
    client = ScriptedClient(
        lambda p, s: "1. x\n```python\nprint(8)\n```" if "Plan:" in p.messages[-1].content else "1. x"
    )
    solution = await optimize(client, task="code", rate=False)
    assert solution.answer == "print(8)" and "Python program" in client.calls[3].prompts[0].messages[-1].content


def test_a_window_larger_than_the_observations_is_a_clear_config_error():
    with pytest.raises(ConfigError, match="observations_per_plan \\(4\\) must be <= num_observations \\(3\\)"):
        build_config("plansearch", observations_per_plan=4)
