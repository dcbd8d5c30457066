"""rstar: MCTS with the five actions, rollouts batched in waves, and the discriminator pass."""

from engine import Prompt, Sampling, ScriptedClient
from strategies.rstar import Node, RStar, RStarConfig
from strategies.rstar.rstar import ACTION_PROMPTS, DISCRIMINATE_PROMPT
from strategies.rstar.tree import backpropagate, select

DISCRIMINATE_MARK = DISCRIMINATE_PROMPT.split("\n")[-1]
STEP_REPLIES = {
    "A1": "Step: add the tens.",
    "A3": "Sub-question: what is 20 + 10?\nSub-answer: 30",
    "A4": "Sub-question: what is 20 + 10?\nSub-answer: 30 again",
    "A5": "Given 23 and 12; find their sum.",
}


def action_of(prompt: Prompt) -> str | None:
    text = prompt.messages[-1].content
    return next((a for a, instruction in ACTION_PROMPTS.items() if text.endswith(instruction)), None)


def script(finish=lambda text: "So the sum is 35.\nAnswer: 35", check=lambda text: "Answer: 35"):
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        text = prompt.messages[-1].content
        if text.endswith(DISCRIMINATE_MARK):
            return check(text)
        action = action_of(prompt)
        return finish(text) if action == "A2" else STEP_REPLIES[action]

    return ScriptedClient(reply)


async def optimize(client: ScriptedClient, **config: object):
    return await RStar(RStarConfig(**config)).optimize("What is 23 + 12?", client)


async def test_default_run_batches_rollouts_in_waves():
    client = script()
    solution = await optimize(client)
    assert [c.tags[0] for c in client.calls] == [
        "expand",
        "simulate",
        "expand",
        "simulate",
        "discriminate",
    ]
    assert [len(c.prompts) for c in client.calls] == [2, 2, 2, 2, 4]
    assert (solution.metadata.engine_calls, solution.metadata.engine_requests) == (5, 12)
    assert solution.answer == "35" and solution.metadata.selection_rule == "mutual-consistency"
    assert solution.is_verified and solution.confidence == 1.0


async def test_the_search_uses_all_five_actions():
    # the A3 trajectory agrees with the first; the rephrased one does not, so UCT picks the A3
    # state for the fourth rollout, whose first untried action is A4
    client = script(finish=lambda text: "Answer: 9" if "Rephrased:" in text else "Answer: 35")
    solution = await optimize(client, rollouts=4, parallel=1)
    expanded = [action_of(c.prompts[0]) for c in client.calls if c.tags[0] == "expand"]
    assert expanded == ["A1", "A3", "A5", "A4"]
    assert solution.metadata.details["actions"] == {"A1": 1, "A2": 4, "A3": 1, "A4": 1, "A5": 1}
    trajectories = solution.metadata.details["trajectories"]
    assert trajectories[3]["actions"] == ["A3", "A4", "A2"]
    a4_prompt = [c for c in client.calls if c.tags[0] == "expand"][3].prompts[0].messages[-1].content
    assert "1. Sub-question: what is 20 + 10?" in a4_prompt
    assert solution.answer == "35"


async def test_the_discriminator_completes_masked_trajectories():
    client = script(finish=lambda text: "First 20 + 10 = 30.\nThen 3 + 2 = 5.\nAnswer: 35")
    solution = await optimize(client)
    [check] = [c for c in client.calls if c.tags[0] == "discriminate"]
    for prompt in check.prompts:
        partial = prompt.messages[-1].content.split("Partial solution:\n")[1].split("\n\n---")[0]
        assert partial and "Answer: 35" not in partial
    assert all(t["consistent"] for t in solution.metadata.details["trajectories"])


async def test_without_consistent_trajectories_the_best_value_wins_with_a_fallback():
    solution = await optimize(script(check=lambda text: "Answer: 99"))
    assert solution.metadata.selection_rule == "value" and not solution.is_verified
    assert solution.metadata.fallbacks == ["no trajectory was mutually consistent; chose among all trajectories"]
    assert solution.answer == "35"


async def test_answers_need_not_be_numbers():
    client = script(
        finish=lambda text: "The capital is Paris.\nAnswer: Paris",
        check=lambda text: "Answer: paris",
    )
    solution = await optimize(client)
    assert solution.answer == "Paris" and solution.metadata.selection_rule == "mutual-consistency"


async def test_a_saturated_tree_stops_early_with_a_fallback():
    solution = await optimize(script(), rollouts=5, parallel=1, max_depth=1)
    assert solution.metadata.details["actions"]["A2"] == 3
    assert solution.metadata.fallbacks == ["no untried action left in the tree after 3 rollouts"]


async def test_empty_responses_never_crash():
    solution = await optimize(ScriptedClient(lambda prompt, sampling: ""))
    assert solution.answer == "" and "no trajectory reached an answer" in solution.metadata.fallbacks


def test_selection_reserves_actions_and_spreads_a_wave():
    root = Node.root("q")
    picks = [select(root, max_depth=2, exploration=1.4) for _ in range(4)]
    assert [(node is root, action) for node, action in picks[:3]] == [
        (True, "A1"),
        (True, "A3"),
        (True, "A5"),
    ]
    assert picks[3] is None and root.visits == 3  # children are not written yet: nothing left


def test_backpropagation_adds_the_reward_once_along_the_path():
    root = Node.root("q")
    node, action = select(root, max_depth=2, exploration=1.4)
    terminal = node.child(action, "step").child("A2", "Answer: 1")
    backpropagate(terminal, 0.5)
    assert [(n.visits, n.value) for n in terminal.path()] == [(1, 0.5), (1, 0.5), (1, 0.5)]
