"""Beam search over steps: one generate and one scorer call per step across all beams, the
N/M best-scored kept, ended trajectories set aside, the best finished one chosen."""

from __future__ import annotations

import itertools
import math

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient, ScriptedReply
from strategies import get_strategy
from strategies.beam_search import BeamSearch, BeamSearchConfig
from strategies.blocks.scoring import Partial, ScriptedScorer
from tests.strategies.logprob_replies import first_token_reply
from tests.strategies.step_replies import STEP, StepModel, score_by_step


def search(model: StepModel, scorer: ScriptedScorer, **config: object) -> tuple[BeamSearch, ScriptedClient]:
    cfg = BeamSearchConfig(**{"beams": 4, "beam_width": 2, "max_steps": 3, **config})  # type: ignore[arg-type]
    return BeamSearch(cfg, scorer=scorer), ScriptedClient(model)


async def test_every_step_is_one_generate_call_over_all_beams_and_one_scorer_call() -> None:
    scorer = ScriptedScorer(score_by_step())
    strategy, client = search(StepModel(), scorer)
    solution = await strategy.optimize("q", client)
    assert [len(c.prompts) for c in client.calls] == [1, 2, 2]  # the question, then N/M beams
    assert [[s.n for s in c.samplings] for c in client.calls] == [[4], [2, 2], [2, 2]]
    assert [len(partials) for _, partials in scorer.calls] == [4, 4, 4]  # N candidates per step
    assert solution.metadata.engine_calls == 3 and solution.metadata.engine_requests == 5


async def test_the_n_over_m_best_scored_beams_are_kept_and_expanded() -> None:
    strategy, client = search(StepModel(), ScriptedScorer(score_by_step()))
    solution = await strategy.optimize("q", client)
    second, third = client.calls[1], client.calls[2]
    assert [p.assistant_prefix for p in second.prompts] == ["s3\n\n", "s4\n\n"]  # best of s1..s4
    assert [p.assistant_prefix for p in third.prompts] == ["s4\n\ns7\n\n", "s4\n\ns8\n\n"]
    assert solution.metadata.details["steps"][1]["kept"] == ["0.3.0", "0.3.1"]
    assert solution.reasoning == "s4\n\ns8\n\ns12" and solution.metadata.selection_rule == "best-scored"


async def test_steps_stop_at_the_delimiter_and_the_last_is_written_to_the_end() -> None:
    strategy, client = search(StepModel(), ScriptedScorer(score_by_step()), max_tokens=64, step_tokens=16)
    await strategy.optimize("q", client)
    stops = [c.samplings[0].stop for c in client.calls]
    budgets = [c.samplings[0].max_tokens for c in client.calls]
    assert stops == [("\n\n",), ("\n\n",), ()]
    assert budgets == [16, 16, 62]  # the last step: what is left of the trajectory's 64 tokens


async def test_an_ended_trajectory_leaves_the_beam_and_can_win() -> None:
    model = StepModel(answers={4: "4"})
    strategy, client = search(model, ScriptedScorer(score_by_step({4: 0.99})))
    solution = await strategy.optimize("q", client)
    assert [p.assistant_prefix for p in client.calls[1].prompts] == ["s2\n\n", "s3\n\n"]  # s4 ended
    assert solution.answer == "4" and solution.reasoning == "s4 Answer: 4"
    assert solution.confidence == pytest.approx(0.99)


async def test_fewer_live_beams_share_the_n_candidates() -> None:
    model = StepModel(answers={1: "1", 2: "2", 3: "3"})
    strategy, client = search(model, ScriptedScorer(score_by_step()))
    await strategy.optimize("q", client)
    assert [s.n for s in client.calls[1].samplings] == [4]  # one live beam gets all N


async def test_the_search_ends_when_every_candidate_has_ended() -> None:
    model = StepModel(answers={k: "7" for k in range(1, 5)})
    scorer = ScriptedScorer(score_by_step())
    strategy, client = search(model, scorer)
    solution = await strategy.optimize("q", client)
    assert len(client.calls) == 1 and len(scorer.calls) == 1 and solution.answer == "7"


async def test_an_empty_step_ends_its_trajectory() -> None:
    model = StepModel(empty={4})
    strategy, client = search(model, ScriptedScorer(score_by_step({4: 0.0})), max_steps=2)
    solution = await strategy.optimize("q", client)
    finishes = {c["id"]: c["finish"] for c in solution.metadata.details["steps"][0]["candidates"]}
    assert finishes == {"0.0": None, "0.1": None, "0.2": None, "0.3": "eos"}


def judged_model() -> ScriptedClient:
    """Steps from `StepModel`; a judge probe's P(CORRECT) grows with the latest step's number."""
    steps = StepModel()

    def reply(prompt: Prompt, sampling: Sampling) -> str | ScriptedReply:
        if sampling.choice is None:
            return steps(prompt, sampling)
        k = int(STEP.findall(prompt.messages[-1].content)[-1])
        p = min(0.05 * k, 0.95)
        return first_token_reply([("COR", math.log(p)), ("IN", math.log(1 - p))])

    return ScriptedClient(reply)


async def test_with_the_judge_each_step_is_one_generation_call_and_one_probe_call() -> None:
    client = judged_model()
    solution = await get_strategy("beam_search", beams=4, beam_width=2, max_steps=3).optimize("q", client)
    assert [c.tags[0] for c in client.calls] == ["step", "scoring"] * 3
    assert [len(c.prompts) for c in client.calls] == [1, 4, 2, 4, 2, 4]
    assert all(s.choice == ("CORRECT", "INCORRECT") for c in client.calls[1::2] for s in c.samplings)
    meta = solution.metadata
    assert meta.engine_calls == 6 and meta.engine_requests == 17
    assert set(meta.usage_by_phase) == {"step", "scoring"}
    assert solution.reasoning == "s4\n\ns8\n\ns12"


def test_the_scorer_comes_from_the_config_unless_one_is_given() -> None:
    scorer = ScriptedScorer(lambda p: 0.5)
    assert BeamSearch(BeamSearchConfig(), scorer=scorer).scorer is scorer
    assert get_strategy("beam_search").scorer.name == "judge"  # type: ignore[attr-defined]


def test_config_rejects_a_width_that_does_not_divide_the_beams() -> None:
    with pytest.raises(ConfigError, match="beam_width"):
        get_strategy("beam_search", beams=4, beam_width=3)
    with pytest.raises(ConfigError, match="max_steps"):
        get_strategy("beam_search", max_steps=0)


def test_partials_carry_the_question_and_the_steps() -> None:
    assert Partial("q", ("a\n\n", "b")).text == "a\n\nb"


async def test_a_spent_budget_answers_from_the_trajectories_that_ended_so_far() -> None:
    written = itertools.count()
    client = ScriptedClient(lambda p, s: "so Answer: 7" if next(written) == 0 else "one more step")
    cfg = BeamSearchConfig(beams=4, beam_width=2, step_tokens=3, budget_tokens=12)
    solution = await BeamSearch(cfg, scorer=ScriptedScorer(lambda p: 0.5)).optimize("q", client)
    assert len(client.calls) == 1  # the first step spent all 12 tokens
    assert solution.answer == "7" and solution.metadata.selection_rule == "budget"
