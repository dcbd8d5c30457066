"""`beam_search`: step-level beam search guided by a scorer (search-and-learn's beam search).

N beams of width M: every step keeps the N/M best partial solutions, and each kept beam
expands into M candidate next steps, so every step scores N candidates. Steps and when a
trajectory ends: `strategies.blocks.steps`; scorers: `strategies.blocks.scoring`.

1) expand: the next step of every live beam, all in ONE generate call (one request per beam,
   n = its share of the N candidates: M while N/M beams live; the first step is one request,
   n = N, from the question);
2) score: every candidate in ONE scorer call (the judge: one verdict probe each);
3) prune: a candidate whose trajectory ended leaves the beam for the finished pool; of the
   others the N/M best-scored are kept (ties: the earlier). The search ends when no beam is
   left or after `max_steps` steps (the last written to the end).
4) select: among the N best-scored finished trajectories, the best-scored (`selection =
   "best"`) or the answer with the highest summed score (`"vote"`).

Calls per query: 2 per step (1 generation + 1 scoring), at most 2 x max_steps. Requests per
step: generation 1 at the first step, then one per live beam (at most N/M); scoring, with the
judge, one per candidate (N).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "CORRECT" if sampling.choice else "6 * 7 = 42. Answer: 42")
    >>> solution = asyncio.run(get_strategy("beam_search", beams=4, beam_width=2).optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.engine_calls, solution.metadata.engine_requests
    ('42', 2, 5)
"""

from __future__ import annotations

from pydantic import Field, model_validator

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.scoring import Scorer, scorer_for
from strategies.blocks.steps import StepConfig, Trajectory, announce, choose, expand, score_all
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class BeamSearchConfig(StepConfig):
    """The beams (N), their width (M) and the steps (`StepConfig`)."""

    beams: int = Field(4, ge=1, le=256, description="Candidates scored per step (N).")
    beam_width: int = Field(2, ge=1, le=64, description="Next steps per kept beam (M); N/M beams are kept.")

    @model_validator(mode="after")
    def _width_divides_beams(self) -> BeamSearchConfig:
        if self.beams % self.beam_width:
            raise ValueError(f"beam_width ({self.beam_width}) must divide beams ({self.beams})")
        return self


def shares(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as possible, the larger shares first.

    >>> shares(4, 2), shares(4, 3)
    ([2, 2], [2, 1, 1])
    """
    return [total // parts + (i < total % parts) for i in range(parts)]


class BeamSearch(Strategy[BeamSearchConfig]):
    name = "beam_search"
    description = (
        "Step-level beam search: N candidates per step, the N/M best-scored kept, each expanded "
        "into M next steps; scored by the model's verdict probe or a reward model."
    )
    calls = (
        "2 calls per step (1 generation: 1 request at the first step, then 1 per live beam <= N/M; "
        "1 scoring: N judge probes), at most 2 x max_steps; default (N 4, M 2, 4 steps) <= 8 calls, "
        "<= 23 requests"
    )
    config_class = BeamSearchConfig

    def __init__(self, config: BeamSearchConfig | None = None, *, scorer: Scorer | None = None) -> None:
        super().__init__(config)
        self.scorer = scorer or scorer_for(self.config.scorer)

    async def solve(self, run: Run[BeamSearchConfig]) -> tuple[Solution, str]:
        cfg = self.config
        base = solve_prompt(run.query, system=run.system)
        keep = cfg.beams // cfg.beam_width
        beams = [Trajectory()]
        done: list[Trajectory] = []
        solutions: dict[str, Solution] = {}
        steps: list[dict[str, object]] = []
        while beams:
            # 1) expand: every live beam in one call, N candidates in all
            candidates = await expand(run, base, beams, shares(cfg.beams, len(beams)))
            # 2) score: every candidate in one call
            candidates = await score_all(run, self.scorer, candidates)
            # 3) prune: ended trajectories leave the beam; the N/M best of the others stay
            done += [c for c in candidates if c.done]
            await announce(run, candidates, solutions, method="beam_search")
            live = [c for c in candidates if not c.done]
            order = sorted(range(len(live)), key=lambda i: (-live[i].score, i))[:keep]
            beams = [live[i] for i in sorted(order)]
            steps.append({"candidates": [c.summary() for c in candidates], "kept": [b.id for b in beams]})
        # 4) select among the N best-scored finished trajectories
        pool = sorted(done, key=lambda t: -t.score)[: cfg.beams]
        chosen, rule = choose([solutions[t.id] for t in pool], [t.score for t in pool], cfg.selection)
        winner = pool[chosen]
        run.details.update(steps=steps, finished=[t.summary() for t in pool], chosen=winner.id)
        return solutions[winner.id].model_copy(update={"confidence": winner.score}), rule
