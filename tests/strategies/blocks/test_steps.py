"""Step-level generation: where a step ends, when a trajectory ends, one call per step."""

from __future__ import annotations

import pytest

from engine import Completion, ScriptedClient
from strategies.blocks.prompts import solve_prompt
from strategies.blocks.steps import StepConfig, Trajectory, choose, expand, step_prompt
from strategies.core.run import Run
from strategies.core.solution import Solution


def completion(text: str, finish: str = "stop") -> Completion:
    return Completion(text, (), finish, 0, len(text.split()))  # type: ignore[arg-type]


CFG = StepConfig(max_steps=3, step_tokens=16, max_tokens=40)


def test_a_step_stops_at_the_delimiter_within_its_budget_and_the_last_runs_to_the_end() -> None:
    first = CFG.step_sampling(Trajectory(), 2)
    assert (first.stop, first.max_tokens, first.n) == (("\n\n",), 16, 2)
    late = CFG.step_sampling(Trajectory(steps=("a\n\n",), tokens=30), 1)
    assert late.max_tokens == 10  # the trajectory's budget left
    last = CFG.step_sampling(Trajectory(steps=("a\n\n", "b\n\n"), tokens=4), 1)
    assert (last.stop, last.max_tokens) == ((), 36)


def test_a_step_ended_at_the_delimiter_keeps_it_and_one_cut_by_its_budget_does_not() -> None:
    root = Trajectory()
    assert root.extended(completion("First, 2 + 2."), CFG, "0.0").steps == ("First, 2 + 2.\n\n",)
    cut = root.extended(completion("First, 2 +", "length"), CFG, "0.0")
    assert cut.steps == ("First, 2 +",) and cut.finish is None
    assert step_prompt(solve_prompt("q"), cut.extended(completion(" 2 = 4."), CFG, "x")).assistant_prefix == (
        "First, 2 + 2 = 4.\n\n"
    )


@pytest.mark.parametrize(
    ("steps", "text", "finish", "expected"),
    [
        ((), "So Answer: 4", "stop", "answer"),
        ((), "so the answer: 4", "stop", "answer"),  # any case
        ((), "  ", "stop", "eos"),  # the model ended: an empty step
        (("a\n\n", "b\n\n"), "and done", "stop", "eos"),  # the last step ended by itself
        (("a\n\n", "b\n\n"), "and more", "length", "max_steps"),
        ((), "one two three", "stop", None),
    ],
)
def test_a_trajectory_ends_at_the_answer_an_empty_step_or_its_last_step(
    steps: tuple[str, ...], text: str, finish: str, expected: str | None
) -> None:
    assert Trajectory(steps=steps).extended(completion(text, finish), CFG, "x").finish == expected


def test_a_trajectory_that_spends_its_budget_ends() -> None:
    cfg = StepConfig(max_steps=5, max_tokens=5)
    assert Trajectory(tokens=3).extended(completion("two words", "length"), cfg, "x").finish == "budget"


async def test_expand_grows_every_parent_in_one_call_with_one_request_each() -> None:
    client = ScriptedClient(lambda prompt, sampling: f"after {prompt.assistant_prefix.strip() or 'root'}")
    run = Run.start("q", client, StepConfig(max_steps=4, seed=7))
    parents = [Trajectory("0.0", ("a\n\n",)), Trajectory("0.1", ("b\n\n",))]
    children = await expand(run, solve_prompt("q"), parents, [3, 1])
    [call] = client.calls
    assert [s.n for s in call.samplings] == [3, 1] and [s.seed for s in call.samplings] == [7, 8]
    assert [p.assistant_prefix for p in call.prompts] == ["a\n\n", "b\n\n"]
    assert [c.id for c in children] == ["0.0.0", "0.0.1", "0.0.2", "0.1.0"]
    assert children[3].text == "b\n\nafter b\n\n" and set(call.tags) == {"step"}


def test_choose_best_takes_the_top_score_and_vote_the_heaviest_answer() -> None:
    sols = [Solution(answer_key=k) for k in ("5", "4", "4", "")]
    assert choose(sols, [0.9, 0.5, 0.6, 1.0], "best") == (3, "best-scored")
    assert choose(sols, [0.9, 0.5, 0.6, 1.0], "vote") == (2, "weighted-vote")
    assert choose([Solution(), Solution()], [0.2, 0.7], "vote") == (1, "best-scored")  # no answers to vote on


def test_ties_in_score_go_to_the_answer_more_trajectories_agree_on() -> None:
    sols = [Solution(answer_key=k) for k in ("5", "4", "4")]
    assert choose(sols, [0.8, 0.8, 0.1], "best") == (1, "best-scored")
