"""`mcts`: Monte Carlo tree search over reasoning steps.

A node is a partial solution: the reasoning steps written so far (the root has none). An
action is the next reasoning step: the model continues the node's text up to the next blank
line (at most `step_tokens` tokens). A node with `max_steps` steps is terminal. Each of the
`simulations` iterations:

1) select: from the root, follow the child with the best UCT value,
   `mean value + exploration_weight * sqrt(ln(parent visits + 1) / visits)`, to a leaf;
2) expand: the leaf gets `num_actions` children, its next steps sampled in one request
   (n = num_actions, one prefill);
3) simulate: each new child is rolled out `depth` more steps (one call per step, one
   request per child); rollouts are not added to the tree;
4) evaluate: the model rates each child's rollout 0-10 in one call (`rate_batch`); a reply
   without a readable rating counts as `unrated_value` (noted in `metadata.fallbacks`);
5) backpropagate: each rating is added to its child and every ancestor (one visit each).

A simulation that selects a terminal leaf makes no call: the leaf's mean value is
backpropagated again. Final answer: from the root, follow the most visited child (ties: the
higher mean value) to a leaf; one last request continues that leaf's rollout to the end of
the solution (greedy), and the answer is extracted from the whole text. The tree (steps,
visits, mean values, ratings) is in `metadata.details["tree"]`.

Requests per query, when no simulation meets a terminal leaf (always when simulations <=
max_steps): simulations x (1 + depth x A + A) + 1, in simulations x (2 + depth) + 1 calls.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> mcts = get_strategy("mcts", simulations=2, num_actions=3, depth=1)
    >>> solution = asyncio.run(mcts.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'mcts')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from engine import Prompt
from strategies.blocks.prompts import solve_prompt
from strategies.blocks.rating import RatingConfig, rate_batch
from strategies.blocks.sampling import SampledConfig
from strategies.core.run import Run
from strategies.core.solution import Solution, solution_from
from strategies.core.strategy import Strategy

STEP_SEPARATOR = "\n\n"
"""Steps end at a blank line: the stop string of a step, and what joins steps into a text."""


def extend(text: str, step: str) -> str:
    """`text` followed by `step` (stripped) after a blank line; empty steps add nothing."""
    step = step.strip()
    return f"{text}{STEP_SEPARATOR}{step}" if text and step else text or step


class MctsConfig(RatingConfig, SampledConfig):
    """The search's size and the sampling of its steps (temperature, seed: `SampledConfig`)."""

    simulations: int = Field(2, ge=1, le=64, description="Select-expand-simulate iterations.")
    exploration_weight: float = Field(
        0.2, ge=0.0, le=10.0, description="UCT exploration constant c (0: pure exploitation)."
    )
    num_actions: int = Field(3, ge=1, le=16, description="Children per expansion (A), sampled in one request.")
    depth: int = Field(1, ge=0, le=16, description="Rollout steps per new child before rating.")
    max_steps: int = Field(8, ge=1, le=64, description="Steps that make a node terminal.")
    step_tokens: int = Field(128, ge=1, description="Completion budget of one reasoning step.")
    unrated_value: float = Field(0.5, ge=0.0, le=1.0, description="Value of a child whose rating could not be read.")


@dataclass(eq=False)
class Node:
    """A partial solution: its parent's steps plus `step`; visit count and summed value."""

    id: str
    step: str = ""
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    visits: int = 0
    value_sum: float = 0.0
    rollout: str = ""
    rating: float | None = None

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def text(self) -> str:
        """The steps from the root to here, joined by blank lines."""
        return self.step if self.parent is None else extend(self.parent.text, self.step)

    @property
    def mean(self) -> float:
        return self.value_sum / self.visits if self.visits else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "step": self.step,
            "visits": self.visits,
            "value": round(self.mean, 4),
            "rating": self.rating,
            "children": [c.summary() for c in self.children],
        }


def uct(child: Node, parent_visits: int, c: float) -> float:
    """The UCT value of `child`; an unvisited child comes first."""
    if child.visits == 0:
        return math.inf
    return child.mean + c * math.sqrt(math.log(parent_visits + 1) / child.visits)


def select(root: Node, c: float) -> Node:
    """The leaf reached by following the best UCT child (ties: the earlier child)."""
    node = root
    while node.children:
        scores = [uct(child, node.visits, c) for child in node.children]
        node = node.children[scores.index(max(scores))]
    return node


def backpropagate(node: Node | None, value: float) -> None:
    while node is not None:
        node.visits += 1
        node.value_sum += value
        node = node.parent


def most_visited_path(root: Node) -> list[Node]:
    """The nodes from the root's most visited child down to a leaf (ties: higher mean)."""
    path = []
    node = root
    while node.children:
        node = max(node.children, key=lambda child: (child.visits, child.mean))
        path.append(node)
    return path


def continued(base: Prompt, text: str) -> Prompt:
    """`base` with its answer started by `text` and a step separator (the root: `base`)."""
    return base.continued(text + STEP_SEPARATOR) if text else base


class Mcts(Strategy[MctsConfig]):
    name = "mcts"
    description = (
        "Monte Carlo tree search over reasoning steps: UCT selection, batched "
        "expansion and rollouts, model-rated evaluation, a final completion of the best path."
    )
    calls = (
        "per simulation: 1 expansion request (n = A), depth x A rollout requests, A rating "
        "probes (2 + depth calls); then 1 final request. Default (2 simulations, A = 3, depth "
        "1): 7 calls, 15 requests"
    )
    config_class = MctsConfig

    async def solve(self, run: Run[MctsConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        base = solve_prompt(query, system=system)
        step = cfg.sampling().with_(max_tokens=cfg.step_tokens, stop=(STEP_SEPARATOR,))
        root = Node("0")
        selected: list[str] = []
        for _ in range(cfg.simulations):
            # 1) select
            leaf = select(root, cfg.exploration_weight)
            selected.append(leaf.id)
            if leaf.depth >= cfg.max_steps:
                backpropagate(leaf, leaf.mean)
                continue
            # 2) expand: A next steps in one request
            steps = await run.texts("expansion", [continued(base, leaf.text)], step.with_(n=cfg.num_actions))
            leaf.children = [Node(f"{leaf.id}.{i}", s.strip(), leaf) for i, s in enumerate(steps)]
            # 3) simulate: every child `depth` more steps, one call per step
            rollouts = [child.text for child in leaf.children]
            for _ in range(cfg.depth):
                more = await run.texts("simulation", [continued(base, text) for text in rollouts], step)
                rollouts = [extend(text, s) for text, s in zip(rollouts, more, strict=True)]
            # 4) evaluate: every rollout rated in one call
            ratings = await rate_batch(
                run, rollouts, sampling=cfg.rating_sampling, phase="evaluation", source=cfg.rating_source
            )
            # 5) backpropagate
            for child, rollout, rating in zip(leaf.children, rollouts, ratings, strict=True):
                child.rollout, child.rating = rollout, rating.score
                if rating.score is None:
                    run.fallback(f"evaluation of node {child.id}: no readable rating; valued {cfg.unrated_value}")
                backpropagate(child, cfg.unrated_value if rating.score is None else rating.score)
        # 6) final: the most visited path's rollout, written to the end (greedy)
        path = most_visited_path(root)
        chosen = path[-1]
        [end] = await run.generate(
            "final",
            [continued(base, chosen.rollout)],
            cfg.sampling(0.0, seed=None),
        )
        whole = dataclasses.replace(end, text=extend(chosen.rollout, end.text))
        solution = solution_from(whole, agent_id=chosen.id, phase="final", method="mcts")
        solution.confidence = chosen.mean
        run.details.update(tree=root.summary(), selected=selected, chosen_path=[node.id for node in path])
        return solution, "most-visited"
