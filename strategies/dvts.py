"""`dvts`: diverse verifier tree search (search-and-learn's DVTS): N/M independent greedy subtrees.

The N candidates of the first step are split into N/M subtrees of M; from then on each subtree
is searched on its own and greedily: its path expands into M candidate next steps and keeps
the best-scored one. Subtrees never compete, so the search keeps N/M different lines of
reasoning where beam search may collapse onto one. Steps and when a trajectory ends:
`strategies.blocks.steps`; scorers: `strategies.blocks.scoring`.

1) expand: the next step of every live subtree, all in ONE generate call (one request per
   subtree, n = M; the first step is one request, n = N, from the question);
2) score: every candidate in ONE scorer call (the judge: one verdict probe each);
3) keep: each subtree's best-scored candidate (ties: the earlier) becomes its path; a subtree
   whose path has ended stops. The search ends when every subtree has stopped (at the latest
   after `max_steps` steps, the last written to the end);
4) select: among the N/M paths, the best-scored (`selection = "best"`) or the answer with the
   highest summed score (`"vote"`).

Calls per query: 2 per step (1 generation + 1 scoring), at most 2 x max_steps. Requests per
step: generation 1 at the first step, then one per live subtree (at most N/M); scoring, with
the judge, N at the first step, then M per live subtree.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "CORRECT" if sampling.choice else "6 * 7 = 42. Answer: 42")
    >>> solution = asyncio.run(get_strategy("dvts", beams=4, beam_width=2).optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.details["paths"][1]["id"]
    ('42', '0.2')
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, model_validator

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.scoring import Scorer, scorer_for
from strategies.blocks.steps import StepConfig, Trajectory, announce, choose, expand, score_all
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class DvtsConfig(StepConfig):
    """The candidates (N), the subtrees' width (M) and the steps (`StepConfig`)."""

    beams: int = Field(4, ge=1, le=256, description="Candidates of the first step (N), split into N/M subtrees.")
    beam_width: int = Field(2, ge=1, le=64, description="Candidate next steps per subtree and step (M).")

    @model_validator(mode="after")
    def _width_divides_beams(self) -> DvtsConfig:
        if self.beams % self.beam_width:
            raise ValueError(f"beam_width ({self.beam_width}) must divide beams ({self.beams})")
        return self


def best_of_groups(candidates: Sequence[Trajectory], width: int) -> list[Trajectory]:
    """The best-scored trajectory of each consecutive group of `width` (ties: the earlier)."""
    groups = [candidates[i : i + width] for i in range(0, len(candidates), width)]
    return [max(group, key=lambda t: t.score) for group in groups]


class Dvts(Strategy[DvtsConfig]):
    name = "dvts"
    description = (
        "Diverse verifier tree search: N/M independent subtrees, each greedily keeping its "
        "best-scored of M next steps; scored by the model's verdict probe or a reward model."
    )
    calls = (
        "2 calls per step (1 generation: 1 request at the first step, then 1 per live subtree <= N/M; "
        "1 scoring: N judge probes, then M per live subtree), at most 2 x max_steps; default "
        "(N 4, M 2, 4 steps) <= 8 calls, <= 23 requests"
    )
    config_class = DvtsConfig

    def __init__(self, config: DvtsConfig | None = None, *, scorer: Scorer | None = None) -> None:
        super().__init__(config)
        self.scorer = scorer or scorer_for(self.config.scorer)

    async def solve(self, run: Run[DvtsConfig]) -> tuple[Solution, str]:
        cfg = self.config
        base = solve_prompt(run.query, system=run.system)
        width = cfg.beam_width
        paths: list[Trajectory] = [Trajectory()]
        steps: list[dict[str, object]] = []
        solutions: dict[str, Solution] = {}
        while live := [i for i, p in enumerate(paths) if not p.done]:
            parents = [paths[i] for i in live]
            first = not paths[0].steps
            # 1) expand: every live subtree in one call (the first step: N from the question)
            candidates = await expand(run, base, parents, [cfg.beams] if first else [width] * len(parents))
            # 2) score: every candidate in one call
            candidates = await score_all(run, self.scorer, candidates)
            # 3) keep: each subtree's best candidate
            best = best_of_groups(candidates, width)
            if first:
                paths = best
            else:
                for i, path in zip(live, best, strict=True):
                    paths[i] = path
            await announce(run, best, solutions, method="dvts")
            steps.append({"candidates": [c.summary() for c in candidates], "paths": [p.id for p in paths]})
        # 4) select among the subtrees' paths
        chosen, rule = choose([solutions[p.id] for p in paths], [p.score for p in paths], cfg.selection)
        winner = paths[chosen]
        run.details.update(steps=steps, paths=[p.summary() for p in paths], chosen=winner.id)
        return solutions[winner.id].model_copy(update={"confidence": winner.score}), rule
