"""The run primitive: one tagged call per step with phase events, fallbacks and details kept."""

import pytest

from engine import InputError, Sampling, ScriptedClient
from strategies.blocks.prompts import join_system, numbered_list, solve_prompt
from strategies.blocks.sampling import seeded
from strategies.catalog import get_strategy, list_strategies
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy
from strategies.pvg import ProverVerifierGame, PvgConfig


async def test_a_step_is_one_tagged_call_between_phase_events():
    events = []
    client = ScriptedClient(lambda prompt, sampling: "Answer: 4")
    run = Run.start("q", client, StrategyConfig(), strategy="demo", on_event=events.append)
    solutions = await run.solutions("explore", [solve_prompt("2+2?")] * 3, Sampling())
    assert [s.answer for s in solutions] == ["4"] * 3 and len(client.calls) == 1
    assert client.calls[0].tags == ("explore",) * 3
    assert [e.type for e in events] == ["phase_started", "phase_finished"] + ["candidate_produced"] * 3
    assert events[0].phase == events[1].phase == "explore"
    assert events[0].requests == 3 and events[0].strategy == "demo"
    assert [e.solution_id for e in events[2:]] == [s.id for s in solutions]


async def test_a_step_can_tag_its_requests_one_by_one():
    events = []
    client = ScriptedClient(lambda prompt, sampling: "Answer: 4")
    run = Run.start("q", client, StrategyConfig(), strategy="demo", on_event=events.append)
    await run.generate("think+answer", [solve_prompt("q")] * 2, Sampling(), tags=["think", "answer"])
    assert client.calls[0].tags == ("think", "answer") and events[0].phase == "think+answer"
    assert set(run.client.stats.by_tag) == {"think", "answer"}


async def test_an_empty_step_sends_nothing():
    client = ScriptedClient(lambda prompt, sampling: "x")
    assert await Run.start("q", client, StrategyConfig(), strategy="demo").texts("none", [], Sampling()) == []
    assert client.calls == []


async def test_finish_carries_fallbacks_details_and_usage():
    run = Run.start("q", ScriptedClient(lambda prompt, sampling: "ok"), StrategyConfig(), strategy="demo")
    await run.texts("step", [solve_prompt("q")], Sampling())
    run.fallback("something was missing")
    run.details["k"] = 1
    solution = run.finish(Solution(reasoning="ok"), selection_rule="only")
    meta = solution.metadata
    assert meta.fallbacks == ["something was missing"] and meta.details == {"k": 1}
    assert meta.strategy == "demo" and meta.usage_by_phase["step"].requests == 1


async def test_pipeline_strategies_emit_their_phases_and_reject_empty_queries():
    events = []
    client = ScriptedClient(lambda prompt, sampling: "Answer: 1")
    game = ProverVerifierGame(PvgConfig(rounds=1, helpful=1, sneaky=1))
    await game.optimize("1?", client, on_event=events.append)
    assert [e.phase for e in events if e.type == "phase_started"] == ["prove", "verify"]
    with pytest.raises(InputError, match="pvg got an empty query"):
        await game.optimize("", client)


def test_prompt_and_sampling_helpers():
    assert join_system(None, "Do X.") == "Do X." and join_system("Be brief.", "Do X.") == "Be brief.\n\nDo X."
    assert numbered_list(["a", "b"]) == "1. a\n2. b" and numbered_list([]) == "(none)"
    assert [s.seed for s in seeded(Sampling(seed=5), 3)] == [5, 6, 7]
    assert [s.seed for s in seeded(Sampling(), 2)] == [None, None]


@pytest.mark.parametrize(
    "name",
    [
        "cot_decoding",
        "cot_reflection",
        "deep_thinking",
        "deepconf",
        "entropy_decoding",
        "leap",
        "plain",
        "plansearch",
        "pvg",
        "reread",
        "rstar",
        "rto",
    ],
)
def test_pipeline_strategies_are_registered_with_their_call_counts(name: str):
    info = {i.name: i for i in list_strategies()}[name]
    assert info.description and "request" in info.calls
    assert isinstance(get_strategy(name), Strategy)
