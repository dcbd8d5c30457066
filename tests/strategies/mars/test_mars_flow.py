"""MARS's phases: events in order, one `generate` call per phase step, early stop, errors."""

from __future__ import annotations

from collections import Counter

import pytest

from engine import ClientError, ContextLengthError, Prompt, Sampling, ScriptedClient
from strategies import Solution, get_strategy
from strategies.blocks.verify import VERIFY_SYSTEM
from strategies.core.events import Error, RunFinished, RunStarted
from strategies.mars import (
    ExplorationError,
    Mars,
    MarsConfig,
    MarsError,
    MarsEvent,
    Phase,
    VerificationError,
)
from strategies.mars.prompts import team_system
from tests.strategies.mars.mars_script import CORRECT, INCORRECT, MarsScript, eager, eager_lightweight, phase_of


def tags_of(client: ScriptedClient) -> list[str]:
    """The tag of each `generate` call (every call carries one tag for all its requests)."""
    tags = []
    for call in client.calls:
        assert len(set(call.tags)) == 1, call.tags
        tags.append(str(call.tags[0]))
    return tags


async def run_with_events(
    config: MarsConfig, client: ScriptedClient, query: str = "What is 2 + 2?"
) -> tuple[Solution, list[MarsEvent]]:
    events: list[MarsEvent] = []
    solution = await Mars(config).optimize(query, client, on_event=events.append)
    return solution, events


async def test_full_run_emits_every_phase_in_order(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    _, events = await run_with_events(eager(max_iterations=1), script.client())
    kinds = [e.type for e in events]
    firsts = [
        kinds.index(k)
        for k in (
            "run_started",
            "phase_started",
            "candidate_produced",
            "verification_started",
            "candidate_verified",
            "aggregation_started",
            "aggregation_done",
            "improvement_iteration_started",
            "solution_improved",
            "selection_done",
            "run_finished",
        )
    ]
    assert firsts == sorted(firsts)
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    phases = [e.phase for e in events if e.type == "phase_started"]
    assert sorted(set(phases), key=phases.index) == [
        "exploration",
        "verification",
        "aggregation",
        "strategy_network",
        "improvement",
    ]
    assert Counter(kinds)["verification_started"] == 3  # exploration, aggregates, iteration 1


async def test_each_phase_step_is_exactly_one_generate_call(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    solution = await Mars(eager(max_iterations=2)).optimize("What is 2 + 2?", client)
    assert tags_of(client) == [
        "exploration",
        "verification",
        "aggregation",
        "verification",
        "strategy_network",
        "improvement",
        "verification",
        "improvement",
        "verification",
    ]
    sizes = [len(call.prompts) for call in client.calls]
    # 3 agents, 2 passes, RSA population 3: 3 explore, 6 reviews, 3 merges, 6 reviews,
    # 3 approaches, then 6 revisions and 12 reviews per iteration
    assert sizes == [3, 6, 3, 6, 3, 6, 12, 6, 12]
    meta = solution.metadata
    assert meta.engine_calls == len(client.calls) and meta.engine_requests == sum(sizes)
    assert set(meta.usage_by_phase) == {"exploration", "verification", "aggregation", "strategy_network", "improvement"}
    assert meta.usage_by_phase["verification"].requests == 6 + 6 + 12 + 12


async def test_early_verified_run_makes_four_calls_and_18_requests(script: MarsScript) -> None:
    client = script.client()
    solution = await Mars(eager()).optimize("What is 2 + 2?", client)
    assert tags_of(client) == ["exploration", "verification", "aggregation", "verification"]
    assert solution.metadata.engine_requests == 18
    assert solution.metadata.details["improvement_iterations"] == 0


async def test_lightweight_run_calls(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    await Mars(eager_lightweight()).optimize("What is 2 + 2?", client)
    assert tags_of(client) == [
        "exploration",
        "verification",
        "improvement",
        "verification",
        "improvement",
        "verification",
    ]
    assert [len(c.prompts) for c in client.calls] == [2, 2, 2, 2, 2, 2]


async def test_improvement_stops_as_soon_as_a_solution_is_verified(script: MarsScript) -> None:
    # reviews accept only revised solutions, so iteration 1 satisfies the rule
    def verify(prompt: Prompt, sampling: Sampling) -> str:
        return CORRECT if "Fixed the slip" in prompt.messages[-1].content else INCORRECT

    script.verify = verify
    client = script.client()
    solution, events = await run_with_events(eager(max_iterations=5), client)
    assert tags_of(client).count("improvement") == 1
    assert len(client.calls) == 7
    assert [e.iteration for e in events if e.type == "improvement_iteration_started"] == [1]
    assert solution.metadata.selection_rule == "verified" and solution.method == "improve"


async def test_revision_uses_the_feedback_and_replaces_its_parent(script: MarsScript) -> None:
    script.verify = lambda p, s: "Step 2 adds 2 and 3 instead of 2 and 2.\nVERDICT: INCORRECT"
    client = script.client()
    solution, events = await run_with_events(eager_lightweight(max_iterations=1), client)
    [improve_call] = [c for c in client.calls if c.tags[0] == "improvement"]
    for prompt in improve_call.prompts:
        assert "Step 2 adds 2 and 3 instead of 2 and 2." in prompt.messages[-1].content
    improved = [e for e in events if e.type == "solution_improved"]
    assert len(improved) == 2 and {e.parent_id for e in improved}.isdisjoint({e.solution_id for e in improved})
    pool = {c["id"]: c for c in solution.metadata.details["candidates"]}
    assert solution.id in {e.solution_id for e in improved}
    assert pool[solution.id]["parents"] in ([e.parent_id] for e in improved)


async def test_strategy_network_shows_peers_approaches_not_the_own(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    script.approach = lambda p, s: f"Approach of the solution: {p.messages[-1].content.split()[6]}"
    client = script.client()
    await Mars(eager(aggregation="none", max_iterations=1)).optimize("2+2?", client)
    [improve_call] = [c for c in client.calls if c.tags[0] == "improvement"]
    for prompt in improve_call.prompts:
        text = prompt.messages[-1].content
        author = text.split("This is written by ")[1].split(".")[0]
        peer_lines = [line for line in text.splitlines() if line.startswith("- Approach")]
        assert len(peer_lines) == 2
        assert not any(author in line for line in peer_lines)


async def test_without_strategy_network_no_approach_call(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    config = eager(aggregation="none", max_iterations=1, strategy_network=False)
    await Mars(config).optimize("2+2?", client)
    assert "strategy_network" not in tags_of(client)
    [improve_call] = [c for c in client.calls if c.tags[0] == "improvement"]
    assert "Approaches other agents" not in improve_call.prompts[0].messages[-1].content


async def test_only_empty_exploration_responses_raise_and_emit_error(script: MarsScript) -> None:
    script.solve = lambda p, s: "   "
    events: list[MarsEvent] = []
    with pytest.raises(ExplorationError, match="non-empty"):
        await Mars().optimize("2+2?", script.client(), on_event=events.append)
    assert events[-1].type == "error" and events[-1].phase == "exploration"


async def test_empty_exploration_responses_are_dropped_and_noted(script: MarsScript) -> None:
    script.solve = lambda p, s: "" if s.temperature == 1.0 else "Answer: 4"
    solution = await Mars().optimize("2+2?", script.client())
    assert "exploration: agent-2 gave an empty response; dropped" in solution.metadata.fallbacks
    explored = [c for c in solution.metadata.details["candidates"] if c["phase"] == "exploration"]
    assert [c["agent_id"] for c in explored] == ["agent-0", "agent-1"]


async def test_engine_error_is_wrapped_with_the_phase_and_chained(script: MarsScript) -> None:
    def verify(prompt: Prompt, sampling: Sampling) -> str:
        raise ContextLengthError(5000, 2048, tag="verification")

    script.verify = verify
    events: list[MarsEvent] = []
    with pytest.raises(VerificationError) as caught:
        await Mars().optimize("2+2?", script.client(), on_event=events.append)
    assert isinstance(caught.value, MarsError)
    assert isinstance(caught.value.__cause__, ContextLengthError)
    assert caught.value.recoverable and "verification" in str(caught.value)
    assert events[-1].type == "error" and events[-1].phase == Phase.VERIFICATION


async def test_fatal_engine_error_stays_fatal(script: MarsScript) -> None:
    class Dead(ClientError):
        recoverable = False

    def solve(prompt: Prompt, sampling: Sampling) -> str:
        raise Dead("engine died")

    script.solve = solve
    with pytest.raises(ExplorationError) as caught:
        await Mars().optimize("2+2?", script.client())
    assert caught.value.recoverable is False and isinstance(caught.value.__cause__, Dead)


async def test_empty_query_is_an_input_error(script: MarsScript) -> None:
    from engine import InputError

    with pytest.raises(InputError):
        await Mars().optimize("  ", script.client())


async def test_every_request_shares_one_system_prompt_led_by_the_users(script: MarsScript) -> None:
    script.verify = lambda p, s: INCORRECT
    client = script.client()
    await Mars(eager_lightweight(max_iterations=1)).optimize("2+2?", client, system="Answer like a pirate.")
    prompts = [prompt for call in client.calls for prompt in call.prompts]
    assert {phase_of(p) for p in prompts} >= {"solve", "verify", "improve"}
    assert {p.system for p in prompts} == {team_system("Answer like a pirate.")}
    assert prompts[0].system.startswith("Answer like a pirate.") and VERIFY_SYSTEM in prompts[0].system


async def test_registered_and_built_by_name(script: MarsScript) -> None:
    optimizer = get_strategy("mars", preset="lightweight", max_tokens=64)
    assert isinstance(optimizer, Mars) and optimizer.config.num_agents == 2
    solution = await optimizer.optimize("2+2?", script.client())
    assert solution.metadata.strategy == "mars" and solution.answer == "4"


async def test_events_iterator_yields_events_then_the_solution(script: MarsScript) -> None:
    items = [item async for item in Mars().events("2+2?", script.client())]
    first, finished, solution = items[0], items[-2], items[-1]
    assert isinstance(first, RunStarted) and isinstance(solution, Solution)
    assert isinstance(finished, RunFinished) and finished.solution_id == solution.id


async def test_events_iterator_raises_after_the_error_event(script: MarsScript) -> None:
    script.solve = lambda p, s: ""
    seen: list[object] = []
    with pytest.raises(ExplorationError):
        async for item in Mars().events("2+2?", script.client()):
            seen.append(item)
    assert isinstance(seen[0], RunStarted) and isinstance(seen[-1], Error) and seen[-1].phase == "exploration"
    assert not any(isinstance(e, RunFinished) for e in seen)
