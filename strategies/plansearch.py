"""`plansearch` (Wang et al., 2024): search over plans built from observations, not over answers.

1) observe: one request lists `num_observations` observations (hints) about the problem;
2) derive: P plans explored in parallel, one request each in one call: plan i starts from a
   different window of `observations_per_plan` observations (windows over the list, wrapping
   around, so every observation is used) and derives `num_derived` new ones from them;
3) plan: each plan's observations become a natural-language solution sketch (one call);
4) implement: each sketch becomes a solution (one call): a final answer, or with
   `task='code'` a Python program (optillm's competitive-programming setting);
5) select: the model rates every candidate 0-10 (one call, `strategies.blocks.rating`); the
   best rating wins, ties going to the answer more candidates agree on. Without ratings
   (`rate=False`, or none readable, noted as a fallback) the majority answer wins.

An observation list the model did not number is read line by line; an empty one leaves the
plans with only their derived observations (noted as a fallback).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> ps = get_strategy("plansearch", num_plans=3)
    >>> solution = asyncio.run(ps.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'plansearch')
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kernels import AnswerKind
from strategies.blocks.aggregate import rsa_subsets
from strategies.blocks.parsing import parse_list
from strategies.blocks.prompts import followup_prompt, join_system, numbered_list
from strategies.blocks.rating import RatingConfig, best_rated, rate_batch, unrated_fallbacks
from strategies.blocks.sampling import seeded
from strategies.blocks.voting import majority
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

PLANSEARCH_SYSTEM = (
    "You are an expert problem solver and programmer. Follow each request's instructions "
    "exactly and be as creative as the problem allows."
)

OBSERVE_PROMPT = (
    "Problem:\n{query}\n\n"
    "---\n"
    "Do not solve the problem yet. List {count} useful, non-obvious and correct observations "
    "about it, like hints toward a solution. Write them as a numbered list, one per line."
)

DERIVE_PROMPT = (
    "Problem:\n{query}\n\n"
    "Observations:\n{observations}\n\n"
    "---\n"
    "Do not solve the problem yet. From these observations, derive {count} new, useful and "
    "correct observations. Write them as a numbered list, one per line."
)

PLAN_PROMPT = (
    "Problem:\n{query}\n\n"
    "Observations:\n{observations}\n\n"
    "---\n"
    "Use these observations to write a natural-language plan that solves the problem, step "
    "by step. Quote the observation each step relies on."
)

IMPLEMENT_PROMPT = "Problem:\n{query}\n\nPlan:\n{plan}\n\n---\n{finish}"

FINISH = {
    "general": "Carry out this plan to solve the problem. End with the final answer on its own "
    "line as: Answer: <answer>",
    "code": "Implement this plan as a complete, correct Python program. Reply only with the "
    "program in one markdown code block.",
}
"""The last instruction of the implement step, per task."""

Task = Literal["general", "code"]


class PlanSearchConfig(RatingConfig):
    """How many observations and plans, how they are written, and how the answer is chosen."""

    num_observations: int = Field(3, ge=1, le=16, description="First observations listed (optillm: 3).")
    num_derived: int = Field(2, ge=1, le=16, description="New observations each plan derives (optillm: 2).")
    num_plans: int = Field(3, ge=1, le=32, description="Plans explored in parallel (P).")
    observations_per_plan: int = Field(
        2, ge=1, le=16, description="First observations each plan starts from (a window of them)."
    )
    task: Task = Field("general", description="'general': plans end in an answer; 'code': in a Python program.")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Temperature of every writing step.")
    seed: int | None = Field(None, description="Seed of plan 0; plan i uses seed + i (None: unseeded).")
    rate: bool = Field(True, description="Rate the candidates with the model (one call); False: majority vote.")

    @model_validator(mode="after")
    def _window_fits(self) -> PlanSearchConfig:
        if self.observations_per_plan > self.num_observations:
            raise ValueError(
                f"observations_per_plan ({self.observations_per_plan}) must be <= "
                f"num_observations ({self.num_observations}); lower it or list more observations"
            )
        return self


def plan_starts(observations: list[str], per_plan: int, plans: int) -> list[list[str]]:
    """Each plan's first observations: windows of `per_plan` over the list, wrapping around.

    >>> plan_starts(["a", "b", "c"], 2, 4)
    [['a', 'b'], ['b', 'c'], ['c', 'a'], ['a', 'b']]
    """
    if not observations:
        return [[] for _ in range(plans)]
    windows = rsa_subsets(list(range(len(observations))), per_plan, plans)
    return [[observations[i] for i in window] for window in windows]


class PlanSearch(Strategy[PlanSearchConfig]):
    name = "plansearch"
    description = (
        "PlanSearch: observations, then P plans derived from different observation "
        "subsets explored in parallel, each implemented; the best-rated (or majority) answer wins."
    )
    calls = (
        "5 calls (observe 1, derive P, plan P, implement P, rating P), 1 + 4P requests; "
        "default P = 3: 13 requests (rate=False: 4 calls, 1 + 3P)"
    )
    config_class = PlanSearchConfig

    async def solve(self, run: Run[PlanSearchConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        system = join_system(system, PLANSEARCH_SYSTEM)
        base = cfg.sampling()
        spread = seeded(base, cfg.num_plans)
        # 1) observe: first observations
        observe = followup_prompt(query, OBSERVE_PROMPT, system=system, count=cfg.num_observations)
        [listed] = await run.texts("observe", [observe], base)
        observations = parse_list(listed, cfg.num_observations)
        if not observations:
            run.fallback("no observations listed; plans start from derived observations only")
        # 2) derive: each plan from its own window of observations, all plans in one call
        starts = plan_starts(observations, cfg.observations_per_plan, cfg.num_plans)
        derive = [
            followup_prompt(
                query,
                DERIVE_PROMPT,
                system=system,
                observations=numbered_list(s),
                count=cfg.num_derived,
            )
            for s in starts
        ]
        derived = await run.texts("derive", derive, spread)
        plans = [s + parse_list(d, cfg.num_derived) for s, d in zip(starts, derived, strict=True)]
        # 3) plan: a natural-language solution per plan
        sketch = [followup_prompt(query, PLAN_PROMPT, system=system, observations=numbered_list(p)) for p in plans]
        sketches = await run.texts("plan", sketch, spread)
        # 4) implement: each sketch into a candidate solution
        implement = [
            followup_prompt(query, IMPLEMENT_PROMPT, system=system, plan=s, finish=FINISH[cfg.task]) for s in sketches
        ]
        kind: AnswerKind = "code" if cfg.task == "code" else "auto"
        candidates = await run.solutions("implement", implement, spread, kind=kind, method="plan")
        run.details.update(observations=observations, plans=plans)
        # 5) select: best rating (ties: agreement), else the majority answer
        return await self._select(run, query, candidates)

    async def _select(self, run: Run, query: str, candidates: list[Solution]) -> tuple[Solution, str]:
        if self.config.rate:
            ratings = await rate_batch(
                run,
                [c.reasoning for c in candidates],
                sampling=self.config.rating_sampling,
                source=self.config.rating_source,
            )
            for note in unrated_fallbacks(ratings, "candidate"):
                run.fallback(note)
            run.details["ratings"] = [r.summary() for r in ratings]
            best = best_rated(candidates, ratings)
            if best >= 0:
                run.details["chosen_plan"] = best
                confidence = ratings[best].score or 0.0
                return candidates[best].model_copy(update={"confidence": confidence}), "rating"
            run.fallback("no candidate rating was readable; chose by majority vote")
        pick = majority(candidates)
        if pick.index < 0:
            run.fallback("no candidate stated an answer; kept plan 0")
        index = max(pick.index, 0)
        run.details["chosen_plan"] = index
        return candidates[index].model_copy(update={"confidence": pick.share}), "majority"
