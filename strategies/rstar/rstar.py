"""`rstar` (Qi et al., 2024): MCTS over reasoning steps with five actions, then a second model
pass that keeps only the trajectories it can reproduce (mutual consistency).

Rollouts run in waves of `parallel`; each wave is two batched calls:
1) select + expand: each rollout walks the tree by UCT (`strategies.rstar.tree`) to a state
   with an untried action (A1 next step, A3 sub-question and answer, A4 re-answer the
   sub-question, A5 rephrase the question) and writes that action's new state; the wave's
   rollouts go out in one call;
2) simulate: every new state is finished with A2 (the remaining steps to the final answer),
   again in one call; each finished trajectory's answer (any extracted answer, numeric or
   not) is rewarded by its agreement with the answers of all trajectories so far (consensus
   kernel), and the reward is backed up its path.
3) discriminate: for each finished trajectory, a seeded random share in `keep` of its lines
   (at least one) is shown to the model, which completes the solution; the trajectory is
   mutually consistent when the completion reaches the same answer. All in one call.
4) select: among the consistent trajectories, the best by MCTS value (the mean reward of its
   last expanded state) plus agreement. With none consistent, all answered trajectories
   compete (a fallback); with no answer at all, the first trajectory is returned.

Defaults are small for tiny CPU models: 4 rollouts in waves of 2, depth 3 (at most 3 expanded
steps before the A2 finish), temperature 0.2 (optillm). Calls: 2 per wave + 1; requests:
3 x rollouts (fewer only when the tree runs out of untried actions, noted as a fallback).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> rstar = get_strategy("rstar", rollouts=4, parallel=2, max_depth=3)
    >>> solution = asyncio.run(rstar.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'rstar')
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from pydantic import Field, field_validator

from engine import Prompt, Sampling
from strategies.blocks.prompts import join_system, numbered_list, render
from strategies.blocks.sampling import seeded
from strategies.blocks.voting import agreement, ranking
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy
from strategies.rstar.tree import Action, Node, backpropagate, select

RSTAR_SYSTEM = (
    "You are a helpful assistant focused on solving mathematical and reasoning problems. "
    "Stick to the given question and do not introduce new scenarios."
)

STATE_PROMPT = "Question:\n{question}\n\nSteps so far:\n{steps}\n\n---\n{instruction}"

ACTION_PROMPTS: dict[Action, str] = {
    "A1": "Write only the next single step of the solution: one clear thought that moves "
    "toward the answer. Do not write any further steps.",
    "A2": "Write the remaining steps of the solution, to the end. End with the final answer on "
    "its own line as: Answer: <answer>",
    "A3": "Pose the next sub-question that must be answered to solve the question, and answer "
    "it. Write exactly:\nSub-question: <the sub-question>\nSub-answer: <its answer>",
    "A4": "Answer the last sub-question again, carefully and step by step, without trusting "
    "its previous answer. Write exactly:\nSub-question: <the same sub-question>\n"
    "Sub-answer: <its answer>",
    "A5": "Do not solve the question. Rephrase it: list every given condition, then state exactly what is asked.",
}

DISCRIMINATE_PROMPT = (
    "Question:\n{question}\n\nPartial solution:\n{partial}\n\n---\n"
    "Continue this partial solution to the end. End with the final answer on its own line "
    "as: Answer: <answer>"
)


class RStarConfig(StrategyConfig):
    """Size of the search, and how trajectories are checked."""

    rollouts: int = Field(4, ge=1, le=256, description="MCTS rollouts (optillm: 5; small for CPU).")
    parallel: int = Field(2, ge=1, le=256, description="Rollouts per wave; a wave is two batched calls.")
    max_depth: int = Field(3, ge=1, le=16, description="Most expanded steps before the A2 finish.")
    exploration: float = Field(1.4, ge=0.0, le=10.0, description="UCT exploration constant c.")
    temperature: float = Field(0.2, ge=0.0, le=2.0, description="Temperature of every step (optillm: 0.2).")
    keep: tuple[float, float] = Field(
        (0.2, 0.8),
        description="Range of the share of a trajectory's lines the discriminator is shown "
        "(drawn per trajectory, seeded); both in [0, 1], low <= high.",
    )
    seed: int | None = Field(0, description="Seed of the step samplings and the masks (None: unseeded).")

    @field_validator("keep")
    @classmethod
    def _keep_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"keep = {value} must satisfy 0 <= low <= high <= 1")
        return value


def state_prompt(node: Node, action: Action, system: str) -> Prompt:
    """The request that applies `action` to the state `node`."""
    steps = numbered_list(node.steps(), empty="(none yet)")
    text = render(STATE_PROMPT, question=node.question, steps=steps, instruction=ACTION_PROMPTS[action])
    return Prompt.user(text, system=system)


def masked(terminal: Node, share: float) -> str:
    """The first `share` of the trajectory's lines as the discriminator's hint: at least one
    line, and never the last (which holds the answer).

    >>> masked(Node.root("q").child("A1", "a").child("A2", "b\\nc\\nAnswer: 4"), 0.5)
    'a\\nb'
    """
    lines = [line for step in terminal.steps() for line in step.splitlines() if line.strip()]
    keep = min(len(lines) - 1, max(1, int(len(lines) * share)))
    return "\n".join(lines[:keep]) or "(none)"


class RStar(Strategy[RStarConfig]):
    name = "rstar"
    description = (
        "rStar: MCTS over reasoning steps with five actions (step, finish, sub-question, "
        "re-answer, rephrase), rollouts batched in waves, answers kept when a second model pass "
        "completing a masked trajectory agrees."
    )
    calls = (
        "2 calls per wave (expand: one request per rollout; simulate: one per rollout) + 1 "
        "discriminator call (one per trajectory): 2 * ceil(rollouts / parallel) + 1 calls, "
        "3 * rollouts requests; default 5 calls, 12 requests"
    )
    config_class = RStarConfig

    async def solve(self, run: Run[RStarConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        system = join_system(system, RSTAR_SYSTEM)
        base = cfg.sampling()
        root = Node.root(query)
        search = Search(root, [], [])
        while len(search.terminals) < cfg.rollouts:
            # 1) select + expand: one new state per rollout of the wave, one call
            size = min(cfg.parallel, cfg.rollouts - len(search.terminals))
            picks = [select(root, max_depth=cfg.max_depth, exploration=cfg.exploration) for _ in range(size)]
            targets = [p for p in picks if p is not None]
            if not targets:
                run.fallback(f"no untried action left in the tree after {len(search.terminals)} rollouts")
                break
            prompts = [state_prompt(node, action, system) for node, action in targets]
            texts = await run.texts("expand", prompts, seeded(base, len(prompts)))
            states = [node.child(action, text) for (node, action), text in zip(targets, texts, strict=True)]
            # 2) simulate: finish every new state with A2 in one call; reward = agreement
            finish = [state_prompt(state, "A2", system) for state in states]
            finished = await run.solutions("simulate", finish, seeded(base, len(finish)), method="rollout")
            search.add(states, finished)
        # 3) discriminate: complete a masked part of each trajectory, compare the answers
        consistent = await self._discriminate(run, query, search, system, base)
        # 4) select among the consistent trajectories
        run.details.update(search.summary(consistent))
        return choose(run, search, consistent)

    async def _discriminate(self, run: Run, query: str, search: Search, system: str, base: Sampling) -> list[bool]:
        rng = random.Random(self.config.seed)
        hints = [masked(t, rng.uniform(*self.config.keep)) for t in search.terminals]
        prompts = [
            Prompt.user(render(DISCRIMINATE_PROMPT, question=query, partial=hint), system=system) for hint in hints
        ]
        checks = await run.solutions("discriminate", prompts, seeded(base, len(prompts)), method="discriminator")
        return [
            bool(s.answer_key) and c.answer_key == s.answer_key for s, c in zip(search.solutions, checks, strict=True)
        ]


@dataclass
class Search:
    """The tree, and its finished trajectories (terminal nodes) with their solutions."""

    root: Node
    terminals: list[Node]
    solutions: list[Solution]

    def add(self, states: list[Node], finished: list[Solution]) -> None:
        """Attach each state's A2 finish, then reward the new trajectories by agreement."""
        for state, solution in zip(states, finished, strict=True):
            self.terminals.append(state.child("A2", solution.reasoning))
            self.solutions.append(solution)
        rewards = agreement(self.solutions)
        for terminal, reward in zip(self.terminals[-len(states) :], rewards[-len(states) :], strict=True):
            backpropagate(terminal, reward)

    def scored(self, consistent: list[bool]) -> list[Solution]:
        """Each trajectory as a solution: its full text, MCTS value and consistency."""
        return [
            s.model_copy(
                update={
                    "reasoning": "\n\n".join(t.steps()),
                    "verification_score": min(1.0, t.parent.q if t.parent else 0.0),
                    "is_verified": ok,
                }
            )
            for t, s, ok in zip(self.terminals, self.solutions, consistent, strict=True)
        ]

    def summary(self, consistent: list[bool]) -> dict[str, object]:
        """What `details` shows: action counts, tree size and the trajectories."""
        nodes, stack = [], [self.root]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.children)
        actions = Counter(n.action for n in nodes if n.action is not None)
        return {
            "actions": {a: actions.get(a, 0) for a in ("A1", "A2", "A3", "A4", "A5")},
            "nodes": len(nodes),
            "trajectories": [
                {
                    "actions": [n.action for n in t.path() if n.action],
                    "answer": s.answer,
                    "value": round(t.parent.q, 4) if t.parent else 0.0,
                    "consistent": ok,
                }
                for t, s, ok in zip(self.terminals, self.solutions, consistent, strict=True)
            ],
        }


def choose(run: Run, search: Search, consistent: list[bool]) -> tuple[Solution, str]:
    """The best consistent trajectory by value plus agreement; without one, the best of all."""
    scored = search.scored(consistent)
    pool, rule = [s for s in scored if s.is_verified], "mutual-consistency"
    if not pool:
        run.fallback("no trajectory was mutually consistent; chose among all trajectories")
        pool, rule = scored, "value"
    best = pool[ranking(pool)[0]]
    if not best.answer_key:
        run.fallback("no trajectory reached an answer")
        return best, rule
    share = sum(s.answer_key == best.answer_key for s in scored) / len(scored)
    return best.model_copy(update={"confidence": share}), rule
