"""rStar's search tree: reasoning states, the five actions, UCT selection with virtual visits.

A node is a partial trajectory: the steps from the root to it. Its children come from actions:

    A1  propose one next step                     any state below max_depth
    A2  propose the remaining steps to the end    the simulation of every new state; terminal
    A3  propose a sub-question and answer it      any state below max_depth
    A4  re-answer the last sub-question           only right after A3
    A5  rephrase the question (conditions, goal)  only at the root

Each expansion action is tried once per node, in the order A4, A1, A3, A5. `select` walks from
the root: it stops at the first node with an untried action, otherwise it goes to the child of
best UCT value (unvisited first). It adds a virtual visit to every node on the way, so the
other rollouts of the same wave spread out; `backpropagate` then adds the reward only.

Example:
    >>> root = Node.root("What is 2 + 3?")
    >>> node, action = select(root, max_depth=2, exploration=1.4)
    >>> action, node is root, root.visits
    ('A1', True, 1)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Literal

Action = Literal["A1", "A2", "A3", "A4", "A5"]

EXPANSION_ORDER: tuple[Action, ...] = ("A4", "A1", "A3", "A5")
"""Expansion actions in the order they are tried at a node (A2 is the simulation)."""

_ids = itertools.count()


@dataclass(eq=False)
class Node:
    """A reasoning state. `step` is the text its action wrote ('' for the root and for A5,
    whose rephrasing becomes the `question` its subtree works on)."""

    question: str
    action: Action | None = None
    step: str = ""
    parent: Node | None = None
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    tried: set[Action] = field(default_factory=set)
    visits: int = 0
    value: float = 0.0
    id: int = field(default_factory=lambda: next(_ids))

    @classmethod
    def root(cls, question: str) -> Node:
        return cls(question=question)

    @property
    def terminal(self) -> bool:
        return self.action == "A2"

    @property
    def q(self) -> float:
        """Mean reward of the rollouts through this node (0 before any)."""
        return self.value / self.visits if self.visits else 0.0

    def child(self, action: Action, text: str) -> Node:
        """Attach the state `action` wrote (`text`)."""
        rephrased = action == "A5"
        node = Node(
            question=f"{self.question}\n\nRephrased:\n{text}" if rephrased else self.question,
            action=action,
            step="" if rephrased else text,
            parent=self,
            depth=self.depth if action == "A2" else self.depth + 1,
        )
        self.children.append(node)
        return node

    def path(self) -> list[Node]:
        """The nodes from the root to this one."""
        node: Node | None = self
        out = []
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]

    def steps(self) -> list[str]:
        """The step texts of the trajectory up to this node, in order."""
        return [n.step for n in self.path() if n.step]

    def applicable(self, max_depth: int) -> list[Action]:
        """The expansion actions this state allows, in `EXPANSION_ORDER`."""
        if self.terminal or self.depth >= max_depth:
            return []
        allowed = {"A1", "A3"} | ({"A4"} if self.action == "A3" else set())
        allowed |= {"A5"} if self.parent is None else set()
        return [a for a in EXPANSION_ORDER if a in allowed]

    def untried(self, max_depth: int) -> list[Action]:
        return [a for a in self.applicable(max_depth) if a not in self.tried]

    def open(self, max_depth: int) -> bool:
        """Whether an expansion is still possible at or below this node."""
        return bool(self.untried(max_depth)) or any(c.open(max_depth) for c in self.children)


def uct(child: Node, parent_visits: int, exploration: float) -> float:
    """Upper confidence bound of `child`; unvisited children come first."""
    if child.visits == 0:
        return math.inf
    return child.q + exploration * math.sqrt(math.log(max(parent_visits, 1)) / child.visits)


def select(root: Node, *, max_depth: int, exploration: float) -> tuple[Node, Action] | None:
    """The next (node, action) to expand, reserved and virtually visited; None when the tree
    has no expansion left."""
    node = root
    while True:
        untried = node.untried(max_depth)
        node.visits += 1
        if untried:
            node.tried.add(untried[0])
            return node, untried[0]
        options = [c for c in node.children if not c.terminal and c.open(max_depth)]
        if not options:
            for n in node.path():  # undo the virtual visits of this dead end
                n.visits -= 1
            return None
        node = max(options, key=lambda c: uct(c, node.visits, exploration))


def backpropagate(terminal: Node, reward: float) -> None:
    """Add `reward` along the path; the new expansion and its terminal get their first visit
    (the nodes above were visited virtually when selected)."""
    expanded = terminal.parent
    terminal.visits += 1
    if expanded is not None:
        expanded.visits += 1
    for node in terminal.path():
        node.value += reward
