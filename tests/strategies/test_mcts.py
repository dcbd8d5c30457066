"""MCTS over reasoning steps: UCT selection, batched expansion/rollouts/ratings, the final path."""

from __future__ import annotations

import itertools
import math

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient
from strategies import get_strategy
from strategies.blocks.rating import RATING_SYSTEM
from strategies.mcts import STEP_SEPARATOR, Node, backpropagate, most_visited_path, select, uct


def tree(*children: tuple[int, float]) -> Node:
    """A root with one child per (visits, summed value); the root's visits are their sum."""
    root = Node("0", visits=sum(v for v, _ in children))
    root.children = [Node(f"0.{i}", f"step {i}", root, visits=v, value_sum=s) for i, (v, s) in enumerate(children)]
    return root


def test_select_follows_the_child_with_the_best_uct_value() -> None:
    root = tree((5, 4.0), (2, 1.0), (3, 2.7))
    scores = [uct(c, root.visits, 0.2) for c in root.children]
    assert scores[2] == pytest.approx(0.9 + 0.2 * math.sqrt(math.log(11) / 3))
    assert select(root, 0.2) is root.children[2]  # best mean, moderate exploration bonus


def test_a_large_exploration_weight_prefers_the_least_visited_child() -> None:
    root = tree((5, 4.0), (2, 1.0), (3, 2.7))
    assert select(root, 5.0) is root.children[1]


def test_an_unvisited_child_is_selected_first() -> None:
    root = tree((5, 4.5), (0, 0.0))
    assert select(root, 0.2) is root.children[1]


def test_backpropagation_adds_one_visit_and_the_value_to_every_ancestor() -> None:
    root = tree((1, 0.5))
    grandchild = Node("0.0.0", "deeper", root.children[0])
    root.children[0].children = [grandchild]
    backpropagate(grandchild, 0.9)
    assert (grandchild.visits, root.children[0].visits, root.visits) == (1, 2, 2)
    assert root.children[0].value_sum == pytest.approx(1.4)
    assert grandchild.text == f"step 0{STEP_SEPARATOR}deeper"


def test_the_final_path_follows_the_most_visited_children() -> None:
    root = tree((2, 1.0), (4, 1.0), (4, 2.0))
    assert [n.id for n in most_visited_path(root)] == ["0.2"]  # ties: higher mean


class StepScript:
    """Steps "s1", "s2", ...; a rollout containing a "good" step is rated 9, others 2."""

    def __init__(self, good: set[int], malformed: bool = False) -> None:
        self.counter = itertools.count(1)
        self.good = good
        self.malformed = malformed

    def __call__(self, prompt: Prompt, sampling: Sampling) -> str:
        if prompt.system == RATING_SYSTEM:
            if self.malformed:
                return "looks fine"
            return "RATING: 9" if "good" in prompt.messages[-1].content else "RATING: 2"
        if not sampling.stop:  # the final completion
            return "Answer: 4"
        k = next(self.counter)
        return f"s{k} good" if k in self.good else f"s{k}"


async def test_default_search_makes_the_documented_calls_and_requests() -> None:
    client = ScriptedClient(StepScript(good={2}))
    solution = await get_strategy("mcts", rating_source="text").optimize("2+2?", client)
    tags = [call.tags[0] for call in client.calls]
    assert tags == ["expansion", "simulation", "evaluation"] * 2 + ["final"]
    expansion = client.calls[0]
    assert len(expansion.prompts) == 1 and expansion.samplings[0].n == 3
    assert expansion.samplings[0].stop == (STEP_SEPARATOR,)
    assert [len(c.prompts) for c in client.calls] == [1, 3, 3, 1, 3, 3, 1]
    assert solution.metadata.engine_calls == 7 and solution.metadata.engine_requests == 15


async def test_the_second_simulation_expands_the_best_rated_child() -> None:
    client = ScriptedClient(StepScript(good={2}))
    solution = await get_strategy("mcts", rating_source="text").optimize("2+2?", client)
    details = solution.metadata.details
    assert details["selected"] == ["0", "0.1"]  # child s2 was rated 9, the others 2
    root = details["tree"]
    assert root["visits"] == 6
    assert [c["visits"] for c in root["children"]] == [1, 4, 1]
    assert root["children"][1]["step"] == "s2 good"
    assert details["chosen_path"][0] == "0.1"
    # the second expansion continues the chosen child's text
    second = client.calls[3].prompts[0]
    assert second.assistant_prefix == "s2 good" + STEP_SEPARATOR
    assert solution.answer_key == "4" and solution.reasoning.startswith("s2 good")


async def test_unreadable_ratings_get_the_fallback_value_and_are_noted() -> None:
    client = ScriptedClient(StepScript(good=set(), malformed=True))
    solution = await get_strategy("mcts", simulations=1, unrated_value=0.25, rating_source="text").optimize("x", client)
    root = solution.metadata.details["tree"]
    assert [c["value"] for c in root["children"]] == [0.25, 0.25, 0.25]
    assert len(solution.metadata.fallbacks) == 3 and "no readable rating" in solution.metadata.fallbacks[0]


async def test_a_terminal_leaf_is_revalued_without_a_call() -> None:
    client = ScriptedClient(StepScript(good={1}))
    mcts = get_strategy("mcts", simulations=2, max_steps=1, depth=0, num_actions=2, rating_source="text")
    solution = await mcts.optimize("x", client)
    assert [c.tags[0] for c in client.calls] == ["expansion", "evaluation", "final"]
    assert solution.metadata.details["selected"] == ["0", "0.0"]
    assert solution.metadata.details["tree"]["children"][0]["visits"] == 2


def test_config_rejects_bad_values_with_the_field_named() -> None:
    with pytest.raises(ConfigError, match="exploration_weight"):
        get_strategy("mcts", exploration_weight=-1)
    with pytest.raises(ConfigError, match="num_actions"):
        get_strategy("mcts", num_actions=0)
