"""DVTS: N/M independent subtrees, each greedy; one generate and one scorer call per step."""

from __future__ import annotations

import pytest

from engine import ConfigError, ScriptedClient
from strategies import get_strategy
from strategies.blocks.scoring import ScriptedScorer
from strategies.blocks.steps import Trajectory
from strategies.dvts import Dvts, DvtsConfig, best_of_groups
from tests.strategies.step_replies import StepModel, score_by_step


def search(model: StepModel, scorer: ScriptedScorer, **config: object) -> tuple[Dvts, ScriptedClient]:
    cfg = DvtsConfig(**{"beams": 4, "beam_width": 2, "max_steps": 3, **config})  # type: ignore[arg-type]
    return Dvts(cfg, scorer=scorer), ScriptedClient(model)


async def test_the_first_step_is_one_request_for_all_subtrees_then_one_per_subtree() -> None:
    scorer = ScriptedScorer(score_by_step())
    strategy, client = search(StepModel(), scorer)
    await strategy.optimize("q", client)
    assert [[s.n for s in c.samplings] for c in client.calls] == [[4], [2, 2], [2, 2]]
    assert [len(partials) for _, partials in scorer.calls] == [4, 4, 4]


async def test_each_subtree_keeps_its_own_best_candidate_even_when_another_subtree_scores_higher() -> None:
    strategy, client = search(StepModel(), ScriptedScorer(score_by_step()))
    solution = await strategy.optimize("q", client)
    # subtrees {s1, s2} and {s3, s4}: each keeps its best; beam search would keep s3 and s4
    assert [p.assistant_prefix for p in client.calls[1].prompts] == ["s2\n\n", "s4\n\n"]
    assert [p.assistant_prefix for p in client.calls[2].prompts] == ["s2\n\ns6\n\n", "s4\n\ns8\n\n"]
    assert [p["id"] for p in solution.metadata.details["paths"]] == ["0.1.1.1", "0.3.1.1"]
    assert solution.reasoning == "s4\n\ns8\n\ns12" and solution.metadata.selection_rule == "best-scored"


async def test_a_subtree_whose_best_candidate_ended_stops_expanding() -> None:
    scorer = ScriptedScorer(score_by_step({2: 0.99}))
    strategy, client = search(StepModel(answers={2: "5"}), scorer)
    solution = await strategy.optimize("q", client)
    assert [p.assistant_prefix for p in client.calls[1].prompts] == ["s4\n\n"]  # only the live subtree
    assert [len(partials) for _, partials in scorer.calls] == [4, 2, 2]
    assert solution.answer == "5" and solution.confidence == pytest.approx(0.99)


@pytest.mark.parametrize(
    ("selection", "answer", "rule"), [("vote", "3", "weighted-vote"), ("best", "4", "best-scored")]
)
async def test_vote_selection_sums_the_paths_scores_per_answer(selection: str, answer: str, rule: str) -> None:
    model = StepModel(answers={1: "3", 2: "3", 3: "3", 4: "3", 5: "4", 6: "4"})
    table = {1: 0.5, 2: 0.1, 3: 0.5, 4: 0.1, 5: 0.9, 6: 0.1}  # paths: s1 (3), s3 (3), s5 (4)
    scorer = ScriptedScorer(score_by_step(table))
    strategy, client = search(model, scorer, beams=6, selection=selection)
    solution = await strategy.optimize("q", client)
    assert (solution.answer, solution.metadata.selection_rule) == (answer, rule)


async def test_with_the_judge_each_step_is_one_generation_call_and_one_probe_call() -> None:
    from tests.strategies.test_beam_search import judged_model

    client = judged_model()
    solution = await get_strategy("dvts", beams=4, beam_width=2, max_steps=3).optimize("q", client)
    assert [c.tags[0] for c in client.calls] == ["step", "scoring"] * 3
    assert [len(c.prompts) for c in client.calls] == [1, 4, 2, 4, 2, 4]
    assert solution.metadata.engine_calls == 6 and solution.metadata.engine_requests == 17


def test_best_of_groups_takes_the_first_best_of_each_group() -> None:
    ts = [Trajectory(str(i), scores=(s,)) for i, s in enumerate((0.2, 0.2, 0.1, 0.3))]
    assert [t.id for t in best_of_groups(ts, 2)] == ["0", "3"]


def test_config_rejects_a_width_that_does_not_divide_the_beams() -> None:
    with pytest.raises(ConfigError, match="beam_width"):
        get_strategy("dvts", beams=6, beam_width=4)
