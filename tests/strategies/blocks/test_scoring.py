"""Scorers: the judge's one batched probe call and prompt layout, the reward-model scorer's
phase and accounting (with a stand-in engine), the scripted scorer, and scorer names."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient, ScriptedReply, Usage
from engine import reward as reward_engine
from strategies import get_strategy
from strategies.blocks.scoring import (
    JUDGE_SYSTEM,
    JudgeScorer,
    Partial,
    RewardModelScorer,
    ScriptedScorer,
    check_scorer,
    judge_prompt,
    scorer_for,
)
from strategies.core.config import StrategyConfig
from strategies.core.events import PhaseFinished, PhaseStarted
from strategies.core.run import Run
from tests.strategies.logprob_replies import first_token_reply


def judge(p_correct: dict[str, float]) -> ScriptedClient:
    """A judge whose P(CORRECT) is given per solution text it is shown."""

    def reply(prompt: Prompt, sampling: Sampling) -> ScriptedReply:
        shown = prompt.messages[-1].content
        p = next(v for k, v in p_correct.items() if k in shown)
        return first_token_reply([("COR", math.log(p)), ("IN", math.log(1 - p))])

    return ScriptedClient(reply)


async def test_the_judge_scores_every_partial_in_one_probe_call() -> None:
    client = judge({"A.": 0.7, "B.": 0.2, "C.": 0.9})
    run = Run.start("x?", client, StrategyConfig())
    partials = [Partial("x?", (f"{k}\n\n",)) for k in ("A.", "B.", "C.")]
    scores = await JudgeScorer().score(run, partials, phase="scoring")
    assert scores == pytest.approx([0.7, 0.2, 0.9], abs=1e-3)
    [call] = client.calls
    assert len(call.prompts) == 3 and set(call.tags) == {"scoring"}
    probe = call.samplings[0]
    assert probe.choice == ("CORRECT", "INCORRECT") and probe.max_tokens <= 2 and probe.temperature == 0.0


def test_the_judge_prompt_puts_system_problem_and_solution_first_and_the_instruction_last() -> None:
    prompt = judge_prompt(Partial("What is 2+2?", ("2 + 2 = 4.\n\n", "Answer: 4")))
    content = prompt.messages[-1].content
    assert prompt.system == JUDGE_SYSTEM and prompt.assistant_prefix == "VERDICT: "
    assert content.startswith("Problem:\nWhat is 2+2?\n\nSolution so far:\n2 + 2 = 4.\n\nAnswer: 4\n\n")
    assert content.rstrip().endswith("VERDICT: CORRECT or VERDICT: INCORRECT")


def test_the_judge_prompts_of_successive_steps_share_their_prefix() -> None:
    one = judge_prompt(Partial("q", ("Step one.\n\n",))).messages[-1].content
    two = judge_prompt(Partial("q", ("Step one.\n\n", "Step two.\n\n"))).messages[-1].content
    shared = one[: one.index("Step one.") + len("Step one.")]
    assert two.startswith(shared + "\n\nStep two.")


async def test_the_scripted_scorer_makes_no_engine_call_and_records_its_calls() -> None:
    client = ScriptedClient(lambda p, s: "unused")
    scorer = ScriptedScorer(lambda p: len(p.text) / 10)
    run = Run.start("q", client, StrategyConfig())
    assert await scorer.score(run, [Partial("q", ("abc",)), Partial("q", ("abcde",))]) == [0.3, 0.5]
    assert await scorer.score(run, []) == []
    assert client.calls == [] and len(scorer.calls) == 1 and scorer.calls[0][0] == "scoring"


class StandInRewardClient:
    """What `engine.reward.RewardClient` returns, without an engine."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[str], list[tuple[str, ...]]]] = []

    async def score(self, questions: Sequence[str], steps: Sequence[Sequence[str]]) -> reward_engine.RewardBatch:
        self.seen.append((list(questions), [tuple(s) for s in steps]))
        usage = Usage(requests=len(questions), prompt_tokens=10 * len(questions), cached_tokens=4)
        return reward_engine.RewardBatch(tuple(0.1 * (i + 1) for i in range(len(questions))), usage)


@pytest.fixture
def stand_in() -> Iterator[StandInRewardClient]:
    client = StandInRewardClient()
    reward_engine._SHARED["stand-in-rm"] = client  # type: ignore[assignment]
    yield client
    reward_engine._SHARED.pop("stand-in-rm", None)


async def test_the_reward_model_scorer_is_one_announced_phase_with_its_usage_recorded(
    stand_in: StandInRewardClient,
) -> None:
    events: list[object] = []
    run = Run.start("q", ScriptedClient(lambda p, s: "x"), StrategyConfig(), on_event=events.append)
    scorer = RewardModelScorer("stand-in-rm")
    scores = await scorer.score(run, [Partial("q", ("a\n\n", "b")), Partial("q", ("c",))], phase="scoring")
    await scorer.score(run, [Partial("q", ("d",))], phase="scoring")
    assert scores == pytest.approx([0.1, 0.2])
    assert stand_in.seen[0] == (["q", "q"], [("a\n\n", "b"), ("c",)])
    assert [type(e) for e in events] == [PhaseStarted, PhaseFinished] * 2
    assert isinstance(events[1], PhaseFinished) and events[1].usage.requests == 2
    record = run.details["reward_model"]
    assert record["calls"] == 2 and record["usage"]["requests"] == 3 and record["usage"]["cached_tokens"] == 8
    assert run.client.calls == 0  # nothing went to the generating engine


def test_scorer_names_are_the_judge_or_a_reward_model_of_the_registry() -> None:
    assert check_scorer("judge") == "judge"
    assert check_scorer("smollm2-135m-verdict") == "smollm2-135m-verdict"
    assert isinstance(scorer_for("judge"), JudgeScorer)
    assert isinstance(scorer_for("smollm2-135m-verdict"), RewardModelScorer)
    with pytest.raises(ConfigError, match="not a reward model"):
        check_scorer("smollm2-135m")
    with pytest.raises(ConfigError, match="no model 'nope'"):
        check_scorer("nope")


def test_a_strategy_config_names_the_scorer_field_when_the_name_is_wrong() -> None:
    with pytest.raises(ConfigError, match="scorer: .*no model 'nope'"):
        get_strategy("beam_search", scorer="nope")
    with pytest.raises(ConfigError, match="scorer"):
        get_strategy("best_of_n", scorer="smollm2-135m")
