"""`particle_filter`: particle filtering over reasoning steps (Puri et al. 2025; its_hub).

N particles, each a partial solution, approximate the distribution of good solutions: every
step, the live particles take one step, the scorer weighs them, and the population is resampled
in proportion to the weights, so likely-good partial solutions multiply and the others die
out while the sampling keeps the search diverse. Steps and when a trajectory ends:
`strategies.blocks.steps`; scorers: `strategies.blocks.scoring`.

1) step: every live particle takes its next step, all in ONE generate call; copies of one
   particle (after resampling) are one request with n = copies, so they share their prefill;
2) score: every new step in ONE scorer call (the judge: one verdict probe each); a particle
   that has ended keeps its last score and takes no more steps;
3) weigh: w = softmax(scores / resample_temperature) over all N particles;
4) resample: N particles drawn with replacement by w (seeded by `seed`), ended ones included.
   The search ends when every particle has ended (at the latest after `max_steps` steps, the
   last written to the end); a population that has ended is not resampled;
5) select: the final population weighed as in 3), copies of a particle summed: the answer
   with the highest summed weight (`selection = "vote"`, represented by its heaviest
   particle) or the best-scored particle (`"best"`).

Calls per query: 2 per step (1 generation + 1 scoring), at most 2 x max_steps. Requests per
step: generation one per distinct live particle (the first step: 1, n = N); scoring, with the
judge, one per live particle.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "CORRECT" if sampling.choice else "6 * 7 = 42. Answer: 42")
    >>> solution = asyncio.run(get_strategy("particle_filter", particles=4, seed=0).optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.selection_rule, solution.metadata.engine_requests
    ('42', 'weighted-vote', 5)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import Field

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.scoring import Scorer, scorer_for
from strategies.blocks.steps import Selection, StepConfig, Trajectory, announce, choose, expand, score_all
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class ParticleFilterConfig(StepConfig):
    """The particles, how sharply they are resampled, and the steps (`StepConfig`)."""

    particles: int = Field(4, ge=1, le=256, description="Particles (N): partial solutions carried each step.")
    resample_temperature: float = Field(
        0.2,
        gt=0.0,
        le=100.0,
        description="Temperature T of the resampling weights softmax(scores / T): lower resamples more greedily.",
    )
    selection: Selection = Field(
        "vote", description="The final answer: 'vote' (weight-weighted vote) or 'best' (the best-scored particle)."
    )


def resampling_weights(scores: Sequence[float], temperature: float) -> np.ndarray:
    """`softmax(scores / temperature)`: `scores: (N,) in [0, 1] -> (N,) float64`, summing to 1.

    >>> resampling_weights([0.9, 0.1], 0.2).round(3).tolist()
    [0.982, 0.018]
    """
    logits = np.asarray(scores, dtype=np.float64) / temperature
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def resample(particles: Sequence[Trajectory], weights: np.ndarray, rng: np.random.Generator) -> list[Trajectory]:
    """N particles drawn with replacement in proportion to `weights`, in drawn-index order
    (copies of one particle next to each other)."""
    drawn = np.sort(rng.choice(len(particles), size=len(particles), p=weights))
    return [particles[i] for i in drawn]


def grouped(particles: Sequence[Trajectory]) -> tuple[list[Trajectory], list[int]]:
    """The distinct particles (by id, in order) and how many copies of each there are."""
    copies = Counter(p.id for p in particles)
    distinct = list({p.id: p for p in particles}.values())
    return distinct, [copies[p.id] for p in distinct]


class ParticleFilter(Strategy[ParticleFilterConfig]):
    name = "particle_filter"
    description = (
        "Particle filtering over steps: N partial solutions step together, weighted by their "
        "scores and resampled every step (softmax(scores / T)); the answer by weighted vote."
    )
    calls = (
        "2 calls per step (1 generation: 1 request per distinct live particle, 1 at the first step; "
        "1 scoring: one judge probe per live particle), at most 2 x max_steps; default (N 4, "
        "4 steps) <= 8 calls, <= 29 requests"
    )
    config_class = ParticleFilterConfig

    def __init__(self, config: ParticleFilterConfig | None = None, *, scorer: Scorer | None = None) -> None:
        super().__init__(config)
        self.scorer = scorer or scorer_for(self.config.scorer)

    async def solve(self, run: Run[ParticleFilterConfig]) -> tuple[Solution, str]:
        cfg = self.config
        base = solve_prompt(run.query, system=run.system)
        rng = np.random.default_rng(cfg.seed)
        particles = [Trajectory()] * cfg.particles
        steps: list[dict[str, object]] = []
        solutions: dict[str, Solution] = {}
        while not all(p.done for p in particles):
            # 1) step: the live particles, copies of one as one request
            live, copies = grouped([p for p in particles if not p.done])
            moved = await expand(run, base, live, copies)
            # 2) score: every new step in one call
            scored = iter(await score_all(run, self.scorer, moved))
            children = {parent.id: [next(scored) for _ in range(n)] for parent, n in zip(live, copies, strict=True)}
            particles = [p if p.done else children[p.id].pop(0) for p in particles]
            await announce(run, particles, solutions, method="particle_filter")
            record: dict[str, object] = {
                "requests": len(live),
                "scores": [round(p.score, 4) for p in particles],
                "ended": sorted({p.id for p in particles if p.done}),
            }
            steps.append(record)
            if all(p.done for p in particles):
                break
            # 3) weigh and 4) resample
            weights = resampling_weights([p.score for p in particles], cfg.resample_temperature)
            particles = resample(particles, weights, rng)
            record.update(weights=[round(float(w), 4) for w in weights], resampled=[p.id for p in particles])
        weights = resampling_weights([p.score for p in particles], cfg.resample_temperature)
        # 5) select: copies of a particle are one candidate carrying their summed weight
        distinct, _ = grouped(particles)
        mass = {p.id: 0.0 for p in distinct}
        for p, w in zip(particles, weights, strict=True):
            mass[p.id] += float(w)
        scores = [mass[p.id] if cfg.selection == "vote" else p.score for p in distinct]
        chosen, rule = choose([solutions[p.id] for p in distinct], scores, cfg.selection)
        winner = distinct[chosen]
        run.details.update(
            steps=steps,
            particles=[{**p.summary(), "weight": round(mass[p.id], 4)} for p in distinct],
            chosen=winner.id,
        )
        return solutions[winner.id].model_copy(update={"confidence": winner.score}), rule
