"""Many MARS queries at once on one client and one `Mars`: no shared state, no lost events."""

from __future__ import annotations

import asyncio
import re

from engine import Prompt, Sampling
from strategies import Solution
from strategies.core.events import EventCallback, RunFinished, RunStarted, iterate_events
from strategies.mars import Mars, MarsEvent
from tests.strategies.mars.mars_script import CORRECT, INCORRECT, MarsScript, eager, eager_lightweight


async def test_eight_concurrent_runs_on_one_client_each_get_their_own_answer() -> None:
    def asked(prompt: Prompt) -> int:
        match = re.search(r"What is (\d+) plus", prompt.messages[-1].content)
        assert match, prompt.messages[-1].content
        return int(match[1])

    def solve(prompt: Prompt, sampling: Sampling) -> str:
        n = asked(prompt)
        return f"{n} + {n} = {2 * n}. Answer: {2 * n}"

    def improve(prompt: Prompt, sampling: Sampling) -> str:
        n = asked(prompt)
        return f"Again: {n} + {n} = {2 * n}. Answer: {2 * n}"

    # reviews reject first attempts, so every run goes through an improvement iteration
    def verify(prompt: Prompt, sampling: Sampling) -> str:
        return CORRECT if "Again" in prompt.messages[-1].content else INCORRECT

    script = MarsScript(solve=solve, improve=improve, verify=verify)
    client = script.client()
    mars = Mars(eager(aggregation="none"))
    events: dict[int, list[MarsEvent]] = {n: [] for n in range(8)}
    solutions = await asyncio.gather(
        *(mars.optimize(f"What is {n} plus {n}?", client, on_event=events[n].append) for n in range(8))
    )
    assert [s.answer for s in solutions] == [str(2 * n) for n in range(8)]
    assert all(s.metadata.selection_rule == "verified" for s in solutions)
    # each run's accounting is its own: 5 calls (explore, verify, network, improve, verify)
    assert all(s.metadata.engine_calls == 5 for s in solutions)
    assert all(s.metadata.engine_requests == 3 + 6 + 3 + 3 + 6 for s in solutions)
    assert len(client.calls) == 8 * 5
    for n, solution in enumerate(solutions):
        last = events[n][-1]
        assert isinstance(last, RunFinished) and last.solution_id == solution.id
    assert len({s.id for s in solutions}) == 8


async def test_runs_interleave_their_phases() -> None:
    order: list[str] = []
    script = MarsScript()

    async def run(query: str) -> None:
        async def note(event: MarsEvent) -> None:
            order.append(f"{query}:{event.type}")
            await asyncio.sleep(0)

        await Mars(eager_lightweight()).optimize(query, script.client(), on_event=note)

    await asyncio.gather(run("a"), run("b"))
    first_b = next(i for i, e in enumerate(order) if e.startswith("b:"))
    last_a = max(i for i, e in enumerate(order) if e.startswith("a:"))
    assert first_b < last_a  # b started before a finished


async def test_an_unread_event_iterator_does_not_block_the_run() -> None:
    script = MarsScript(verify=lambda p, s: INCORRECT)
    finished = asyncio.Event()

    async def run(on_event: EventCallback) -> Solution:
        solution = await Mars(eager(max_iterations=3)).optimize("2+2?", script.client(), on_event=on_event)
        finished.set()
        return solution

    iterator = iterate_events(run)
    assert isinstance(await anext(iterator), RunStarted)
    # the whole run completes while nobody reads its events (it would hang on a bounded queue)
    await asyncio.wait_for(finished.wait(), timeout=30)
    rest = [item async for item in iterator]
    assert any(isinstance(e, RunFinished) for e in rest)
    assert isinstance(rest[-1], Solution) and rest[-1].metadata.selection_rule == "majority"
