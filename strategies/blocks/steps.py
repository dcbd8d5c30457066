"""Step-level generation for reward-guided search: trajectories grown one step at a time.

A trajectory is the answer so far, a sequence of steps. A step ends at the delimiter
(`step_delimiter`, a blank line by default: the stop string of its request, kept as the step's
last characters) or at its token budget (`step_tokens`). A trajectory ends when a step
- states the answer (contains `answer_marker`, "Answer:" by default),
- is empty: the model ended its answer (the engine reports EOS and a delimiter stop alike, so
  an answer that ends without the marker shows as the empty step after it),
- is its `max_steps`-th: that step has no delimiter and is written to the end of the answer,
- or spends its `max_tokens`: the config's budget of one response is a whole trajectory's.

`expand` grows every live trajectory of a search in ONE `run.generate` call (trajectory i one
request with n = its number of children, so siblings share their prefill), and `score_all`
scores every new trajectory in ONE scorer call (`strategies.blocks.scoring`).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies.blocks.prompts import solve_prompt
    >>> from strategies.core import Run
    >>> run = Run.start("2+2?", ScriptedClient(lambda p, s: "2 + 2 = 4."), StepConfig(max_steps=3))
    >>> [a, b] = asyncio.run(expand(run, solve_prompt(run.query), [Trajectory()], [2]))
    >>> a.id, a.steps, a.finish, run.client.calls
    ('0.0', ('2 + 2 = 4.\\n\\n',), None, 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from engine import Completion, Prompt, Sampling
from kernels import VoteWeights
from strategies.blocks.sampling import SampledConfig
from strategies.blocks.scoring import JUDGE, Partial, Scorer, check_scorer
from strategies.blocks.voting import agreement, weighted
from strategies.core.run import Run
from strategies.core.solution import Solution, solution_from

Finish = Literal["answer", "eos", "max_steps", "budget"]
"""Why a trajectory ended: it stated the answer, the model ended it, its last step, its budget."""

Selection = Literal["best", "vote"]


class StepConfig(SampledConfig):
    """Settings of the step-level searches: the steps, when a trajectory ends, the scorer."""

    scorer: str = Field(
        JUDGE,
        description="What scores partial solutions: 'judge' (the model's own verdict probe, P(CORRECT)) "
        'or the name of a models.toml entry with kind = "reward" (a reward model in a second engine).',
    )
    step_delimiter: str = Field("\n\n", min_length=1, description="Where a step ends (its stop string).")
    step_tokens: int = Field(128, ge=1, description="Most tokens of one step.")
    max_steps: int = Field(4, ge=1, le=64, description="Steps of a trajectory; the last is written to the end.")
    answer_marker: str = Field(
        "Answer:", description="A step containing it (any case) ends its trajectory ('' turns it off)."
    )
    selection: Selection = Field(
        "best", description="The final answer: 'best' (the best-scored trajectory) or 'vote' (score-weighted vote)."
    )

    @field_validator("scorer")
    @classmethod
    def _known_scorer(cls, name: str) -> str:
        return check_scorer(name)

    def step_sampling(self, parent: Trajectory, n: int) -> Sampling:
        """The sampling of `parent`'s next step: up to the delimiter within the step and the
        trajectory's budget, or, for the last step, to the end within the trajectory's budget."""
        left = self.max_tokens - parent.tokens
        if len(parent.steps) + 1 >= self.max_steps:
            return self.sampling(n=n, max_tokens=left)
        return self.sampling(n=n, max_tokens=min(self.step_tokens, left), stop=(self.step_delimiter,))


@dataclass(frozen=True, slots=True)
class Trajectory:
    """A partial (or finished) answer: its steps, the score after each, the tokens they took."""

    id: str = "0"
    steps: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    tokens: int = 0
    finish: Finish | None = None

    @property
    def text(self) -> str:
        return "".join(self.steps)

    @property
    def done(self) -> bool:
        return self.finish is not None

    @property
    def score(self) -> float:
        """The score of the latest step (0 before any)."""
        return self.scores[-1] if self.scores else 0.0

    def partial(self, question: str) -> Partial:
        return Partial(question, self.steps)

    def extended(self, completion: Completion, cfg: StepConfig, id: str) -> Trajectory:
        """This trajectory with `completion` as its next step (child `id`), ended if it ends."""
        last = len(self.steps) + 1 >= cfg.max_steps
        text = completion.text
        ended_at_delimiter = completion.finish_reason == "stop" and not last
        step = text + cfg.step_delimiter if ended_at_delimiter and text.strip() else text
        tokens = self.tokens + completion.completion_tokens
        finish: Finish | None = None
        if cfg.answer_marker and cfg.answer_marker.lower() in text.lower():
            finish = "answer"
        elif not text.strip() or (last and completion.finish_reason == "stop"):
            finish = "eos"
        elif last:
            finish = "max_steps"
        elif tokens >= cfg.max_tokens:
            finish = "budget"
        return Trajectory(id, (*self.steps, step), self.scores, tokens, finish)

    def scored(self, score: float) -> Trajectory:
        return dataclasses.replace(self, scores=(*self.scores, score))

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly record for `SolutionMetadata.details`."""
        return {"id": self.id, "steps": len(self.steps), "score": round(self.score, 4), "finish": self.finish}


def step_prompt(base: Prompt, trajectory: Trajectory) -> Prompt:
    """`base` with its answer started by the trajectory's steps (the root: `base`)."""
    return base.continued(trajectory.text) if trajectory.steps else base


async def expand(
    run: Run[Any], base: Prompt, parents: Sequence[Trajectory], counts: Sequence[int], *, phase: str = "step"
) -> list[Trajectory]:
    """`counts[i]` next steps of `parents[i]`, every parent in one generate call (parent i one
    request, n = counts[i]); the children in order, child k of parent p called `{p.id}.{k}`."""
    cfg: StepConfig = run.config
    samplings = [cfg.step_sampling(p, n) for p, n in zip(parents, counts, strict=True)]
    if cfg.seed is not None:  # equal prompts in one call still sample different steps
        samplings = [s.with_(seed=cfg.seed + i) for i, s in enumerate(samplings)]
    completions = iter(await run.generate(phase, [step_prompt(base, p) for p in parents], samplings))
    return [
        p.extended(next(completions), cfg, f"{p.id}.{k}")
        for p, n in zip(parents, counts, strict=True)
        for k in range(n)
    ]


async def score_all(
    run: Run[Any], scorer: Scorer, trajectories: Sequence[Trajectory], *, phase: str = "scoring"
) -> list[Trajectory]:
    """Every trajectory with the score of its latest step appended, all in one scorer call."""
    scores = await scorer.score(run, [t.partial(run.query) for t in trajectories], phase=phase)
    return [t.scored(s) for t, s in zip(trajectories, scores, strict=True)]


def solution_of(trajectory: Trajectory, *, phase: str, method: str) -> Solution:
    """The trajectory as a `Solution`: its whole text, the answer extracted, its score kept."""
    text = trajectory.text.strip()
    completion = Completion(text, (), "stop", 0, trajectory.tokens)
    solution = solution_from(completion, agent_id=trajectory.id, phase=phase, method=method)
    return solution.model_copy(update={"verification_score": min(max(trajectory.score, 0.0), 1.0)})


async def announce(
    run: Run[Any], trajectories: Sequence[Trajectory], into: dict[str, Solution], *, method: str
) -> None:
    """Make each newly ended trajectory a solution in `into` (by id), announced
    (`CandidateProduced`) and recorded as it ends, so a spent budget answers from it."""
    new = [t for t in dict.fromkeys(trajectories) if t.done and t.id not in into]
    solutions = [solution_of(t, phase="step", method=method) for t in new]
    await run.produced(solutions)
    into.update((t.id, s) for t, s in zip(new, solutions, strict=True))


def choose(solutions: Sequence[Solution], weights: Sequence[float], selection: Selection) -> tuple[int, str]:
    """The chosen solution's index and rule. `best`: the highest weight, ties to the answer more
    solutions agree on, then the earlier; `vote`: the answer whose solutions' weights sum highest,
    represented by its best-weighted solution (`best` when no solution has an answer).

    >>> sols = [Solution(answer_key=k) for k in ("5", "4", "4")]
    >>> choose(sols, [0.9, 0.5, 0.6], "best"), choose(sols, [0.9, 0.5, 0.6], "vote")
    ((0, 'best-scored'), (2, 'weighted-vote'))
    """
    if selection == "vote":
        weighted_sols = [
            s.model_copy(update={"verification_score": w}) for s, w in zip(solutions, weights, strict=True)
        ]
        pick = weighted(weighted_sols, VoteWeights(count=0.0, verification=1.0))
        if pick.index >= 0:
            return pick.index, "weighted-vote"
    agree = agreement(solutions)
    best = max(range(len(solutions)), key=lambda i: (weights[i], agree[i], -i))
    return best, "best-scored"
