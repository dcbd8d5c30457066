"""pvg: helpful and sneaky provers in one call, the verifier in one call, the refined query
used in the next round, and never a sneaky solution as the answer."""

from engine import Prompt, Sampling, ScriptedClient
from strategies.blocks.rating import RATING_SYSTEM
from strategies.pvg import PROVER_SYSTEM, ProverVerifierGame, PvgConfig

HELPFUL = "Careful work: 12 * 13 = 156.\nAnswer: 156"
SNEAKY = "Clearly 12 * 13 = 146.\nAnswer: 146"


def script(
    rating=lambda solution: "RATING: 10" if "146" in solution else "RATING: 3",
    refined="How much is twelve times thirteen?",
):
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        text = prompt.messages[-1].content
        if prompt.system == RATING_SYSTEM:
            return rating(text.split("Solution to rate (it may be unfinished):\n")[1])
        if (prompt.system or "").endswith(PROVER_SYSTEM["sneaky"]):
            return SNEAKY
        if (prompt.system or "").endswith(PROVER_SYSTEM["helpful"]):
            return HELPFUL
        return refined

    return ScriptedClient(reply)


async def optimize(client: ScriptedClient, **config: object):
    return await ProverVerifierGame(PvgConfig(**{"rating_source": "text", **config})).optimize(
        "What is 12 * 13?", client
    )


async def test_a_sneaky_solution_is_never_the_answer_even_when_rated_best():
    solution = await optimize(script())
    assert solution.answer == "156" and solution.method == "helpful"
    assert solution.metadata.selection_rule == "verifier" and solution.confidence == 0.3
    assert solution.metadata.details["sneaky_wins"] == 2


async def test_each_round_proves_in_one_call_and_verifies_in_one_call():
    client = script()
    solution = await optimize(client)
    assert [c.tags[0] for c in client.calls] == ["prove", "verify", "refine", "prove", "verify"]
    assert [len(c.prompts) for c in client.calls] == [6, 6, 1, 6, 6]
    roles = [p.system.endswith(PROVER_SYSTEM["sneaky"]) for p in client.calls[0].prompts]
    assert roles == [False] * 3 + [True] * 3
    assert (solution.metadata.engine_calls, solution.metadata.engine_requests) == (5, 25)
    assert [s.temperature for s in client.calls[3].samplings] == [0.6] * 6


async def test_the_refined_query_is_used_in_the_next_round():
    client = script()
    solution = await optimize(client)
    assert HELPFUL in client.calls[2].prompts[0].messages[-1].content  # refined from the best helpful
    second_round = client.calls[3].prompts[0].messages[-1].content
    assert second_round.startswith("What is 12 * 13?") and "How much is twelve times thirteen?" in second_round
    assert client.calls[4].prompts[0].messages[-1].content.startswith("Problem:\nWhat is 12 * 13?\n")
    assert solution.metadata.details["rounds"][1]["query"] == second_round


async def test_malformed_scores_fall_back_to_the_helpful_majority():
    solution = await optimize(script(rating=lambda solution: "it seems fine"), rounds=1, helpful=2, sneaky=2)
    assert solution.answer == "156" and solution.method == "helpful"
    assert solution.metadata.selection_rule == "majority"
    assert solution.metadata.fallbacks[-1] == "no helpful solution had a readable rating; chose the helpful majority"


async def test_an_empty_refinement_keeps_the_query():
    client = script(refined="")
    solution = await optimize(client, helpful=1, sneaky=1)
    assert "empty refined query; the next round keeps the current query" in solution.metadata.fallbacks
    assert client.calls[3].prompts[0].messages[-1].content == "What is 12 * 13?"


async def test_empty_responses_never_crash():
    solution = await optimize(ScriptedClient(lambda prompt, sampling: ""), helpful=1, sneaky=1)
    assert solution.method == "helpful" and solution.answer == ""
