"""Particle filtering over steps: one generate and one scorer call per step, copies of a
particle as one request, resampling by softmax(scores / T), ended particles kept, the vote."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ConfigError, ScriptedClient
from strategies import get_strategy
from strategies.blocks.scoring import ScriptedScorer
from strategies.blocks.steps import Trajectory
from strategies.particle_filter import (
    ParticleFilter,
    ParticleFilterConfig,
    grouped,
    resample,
    resampling_weights,
)
from tests.strategies.step_replies import StepModel, score_by_step


def search(model: StepModel, scorer: ScriptedScorer, **config: object) -> tuple[ParticleFilter, ScriptedClient]:
    cfg = ParticleFilterConfig(**{"particles": 4, "max_steps": 3, "seed": 0, **config})  # type: ignore[arg-type]
    return ParticleFilter(cfg, scorer=scorer), ScriptedClient(model)


def test_resampling_weights_are_a_softmax_of_the_scores_over_the_temperature() -> None:
    weights = resampling_weights([0.2, 0.4, 0.9], 0.5)
    expected = np.exp(np.array([0.2, 0.4, 0.9]) / 0.5)
    assert weights == pytest.approx(expected / expected.sum())
    assert resampling_weights([0.2, 0.4], 100.0) == pytest.approx([0.5, 0.5], abs=1e-2)
    assert resampling_weights([0.2, 0.4], 0.001)[1] == pytest.approx(1.0)


def test_resampling_draws_n_particles_by_weight_with_the_seeded_generator() -> None:
    particles = [Trajectory(str(i)) for i in range(4)]
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    drawn = resample(particles, weights, np.random.default_rng(3))
    expected = np.sort(np.random.default_rng(3).choice(4, size=4, p=weights))
    assert [p.id for p in drawn] == [str(i) for i in expected]
    distinct, copies = grouped(drawn)
    assert sum(copies) == 4 and len({p.id for p in distinct}) == len(distinct)


async def test_the_first_step_is_one_request_and_greedy_resampling_makes_copies_one_request() -> None:
    scorer = ScriptedScorer(score_by_step())
    strategy, client = search(StepModel(), scorer, resample_temperature=0.001)
    solution = await strategy.optimize("q", client)
    assert [[s.n for s in c.samplings] for c in client.calls] == [[4], [4], [4]]
    assert [c.prompts[0].assistant_prefix for c in client.calls] == ["", "s4\n\n", "s4\n\ns8\n\n"]
    assert [len(partials) for _, partials in scorer.calls] == [4, 4, 4]
    assert solution.metadata.details["chosen"] == "0.3.3.3" and solution.reasoning == "s4\n\ns8\n\ns12"


async def test_each_step_generates_once_per_distinct_live_particle_and_ended_ones_never_again() -> None:
    model = StepModel(answers={1: "1", 3: "3", 6: "6"})
    scorer = ScriptedScorer(score_by_step())
    strategy, client = search(model, scorer, resample_temperature=1.0, max_steps=4)
    solution = await strategy.optimize("q", client)
    steps = solution.metadata.details["steps"]
    assert len(client.calls) == len(steps) == len(scorer.calls) > 1
    for before, call, (_, partials) in zip(steps, client.calls[1:], scorer.calls[1:], strict=False):
        live = [i for i in before["resampled"] if i not in before["ended"]]
        assert len(call.prompts) == len(set(live))  # copies of a particle: one request
        assert [s.n for s in call.samplings] == [live.count(i) for i in dict.fromkeys(live)]
        assert len(partials) == len(live)  # only the particles that moved are scored
    for call in client.calls:
        assert not any("Answer" in p.assistant_prefix for p in call.prompts)  # ended particles take no step


@pytest.mark.parametrize(
    ("selection", "answer", "rule"), [("vote", "4", "weighted-vote"), ("best", "5", "best-scored")]
)
async def test_the_answer_is_the_heaviest_by_vote_or_the_best_scored(selection: str, answer: str, rule: str) -> None:
    model = StepModel(answers={1: "4", 2: "4", 3: "4", 4: "5"})
    scorer = ScriptedScorer(score_by_step({1: 0.5, 2: 0.5, 3: 0.5, 4: 0.9}))
    strategy, client = search(model, scorer, resample_temperature=1.0, selection=selection)
    solution = await strategy.optimize("q", client)
    assert len(client.calls) == 1  # every particle ended at the first step: no resampling
    assert (solution.answer, solution.metadata.selection_rule) == (answer, rule)
    weights = [p["weight"] for p in solution.metadata.details["particles"]]
    assert sum(weights) == pytest.approx(1.0, abs=1e-3)


async def test_with_the_judge_each_step_is_one_generation_call_and_one_probe_call() -> None:
    from tests.strategies.test_beam_search import judged_model

    client = judged_model()
    solution = await get_strategy("particle_filter", particles=4, max_steps=3, seed=1).optimize("q", client)
    assert [c.tags[0] for c in client.calls] == ["step", "scoring"] * 3
    assert [len(c.prompts) for c in client.calls][1::2] == [4, 4, 4]  # one probe per live particle
    assert [sum(s.n for s in c.samplings) for c in client.calls][::2] == [4, 4, 4]  # N steps per step
    assert solution.metadata.engine_calls == 6


def test_config_rejects_a_non_positive_temperature() -> None:
    with pytest.raises(ConfigError, match="resample_temperature"):
        get_strategy("particle_filter", resample_temperature=0)
