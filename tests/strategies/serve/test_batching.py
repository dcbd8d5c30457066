"""`SharedBatch`: concurrent `generate` calls as one inner call, each caller getting its own share."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from engine import (
    Completion,
    ContextLengthError,
    EngineDeadError,
    Prompt,
    Sampling,
    SamplingArg,
    ScriptedClient,
    TagArg,
)
from strategies.serve import SharedBatch


def echo() -> ScriptedClient:
    return ScriptedClient(lambda prompt, sampling: prompt.messages[-1].content)


async def test_calls_made_in_one_loop_turn_are_one_inner_call_and_each_caller_gets_its_own() -> None:
    inner = echo()
    shared = SharedBatch(inner)
    a, b, c = await asyncio.gather(
        shared.generate([Prompt.user("a")], tag="x"),
        shared.generate([Prompt.user("b1"), Prompt.user("b2")], Sampling(n=2), tag="y"),
        shared.generate([Prompt.user("c")], [Sampling(temperature=0.1)], tag=["z"]),
    )
    assert [x.text for x in a] == ["a"]
    assert [(x.text, x.sample_index, x.tag) for x in b] == [
        ("b1", 0, "y"),
        ("b1", 1, "y"),
        ("b2", 0, "y"),
        ("b2", 1, "y"),
    ]
    assert [(x.text, x.temperature) for x in c] == [("c", 0.1)]
    [call] = inner.calls
    assert call.tags == ("x", "y", "y", "z") and shared.merged_calls == 1


async def test_calls_in_later_turns_are_calls_of_their_own() -> None:
    inner = echo()
    shared = SharedBatch(inner)
    await shared.generate([Prompt.user("a")])
    await shared.generate([Prompt.user("b")])
    assert len(inner.calls) == 2
    assert await shared.generate([]) == []


async def test_a_prompt_too_long_fails_its_own_caller_only() -> None:
    inner = ScriptedClient(lambda prompt, sampling: "ok", max_model_len=5)
    shared = SharedBatch(inner)
    short, long = await asyncio.gather(
        shared.generate([Prompt.user("fine")]),
        shared.generate([Prompt.user("far too many words for this context")]),
        return_exceptions=True,
    )
    assert isinstance(short, list) and short[0].text == "ok"
    assert isinstance(long, ContextLengthError)


class Dying(ScriptedClient):
    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        raise EngineDeadError("gone")


async def test_a_dead_engine_fails_every_caller() -> None:
    shared = SharedBatch(Dying(lambda p, s: "x"))
    outcomes = await asyncio.gather(*(shared.generate([Prompt.user(str(i))]) for i in range(3)), return_exceptions=True)
    assert all(isinstance(o, EngineDeadError) for o in outcomes)


class Held(ScriptedClient):
    """`generate` waits for `go`; `cancelled` counts the inner calls that were cancelled."""

    def __init__(self) -> None:
        super().__init__(lambda prompt, sampling: "done")
        self.go = asyncio.Event()
        self.cancelled = 0

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        try:
            await self.go.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return await super().generate(prompts, samplings, tag=tag)


async def test_the_inner_call_is_cancelled_once_every_caller_is_gone() -> None:
    inner = Held()
    shared = SharedBatch(inner)
    callers = [asyncio.ensure_future(shared.generate([Prompt.user(str(i))])) for i in range(2)]
    await asyncio.sleep(0.01)
    callers[0].cancel()
    await asyncio.sleep(0.01)
    assert inner.cancelled == 0  # one caller still waits on the merged call
    callers[1].cancel()
    await asyncio.sleep(0.01)
    assert inner.cancelled == 1
    with pytest.raises(asyncio.CancelledError):
        await callers[1]


async def test_the_callers_left_get_their_share_when_one_is_cancelled() -> None:
    inner = Held()
    shared = SharedBatch(inner)
    gone = asyncio.ensure_future(shared.generate([Prompt.user("a")]))
    kept = asyncio.ensure_future(shared.generate([Prompt.user("b")]))
    await asyncio.sleep(0.01)
    gone.cancel()
    inner.go.set()
    assert [c.text for c in await kept] == ["done"]
    assert gone.cancelled()


async def test_stream_and_accounting_go_to_the_inner_client() -> None:
    inner = echo()
    shared = SharedBatch(inner)
    events = [e async for e in shared.stream(Prompt.user("hi there"), tag="s")]
    assert events[-1].type == "completed"
    assert shared.stats["s"].requests == 1 and shared.max_model_len == inner.max_model_len
    assert shared.count_prompt_tokens(Prompt.user("a b")) == inner.count_prompt_tokens(Prompt.user("a b"))
    shared.reset_stats()
    assert inner.stats.total.requests == 0


async def test_a_window_gathers_calls_made_in_later_turns() -> None:
    inner = echo()
    shared = SharedBatch(inner, window_s=0.05)

    async def later(i: int) -> list[Completion]:
        await asyncio.sleep(0.001 * i)
        return await shared.generate([Prompt.user(str(i))])

    outs = await asyncio.gather(*(later(i) for i in range(5)))
    assert [o[0].text for o in outs] == ["0", "1", "2", "3", "4"] and len(inner.calls) == 1
