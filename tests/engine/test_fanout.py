"""Streaming fan-out: each request stops on its own check, all stop once the call is settled."""

from __future__ import annotations

from engine import Prompt, Sampling, ScriptedClient, TrackedClient, stream_until


async def test_each_request_stops_on_its_own_check_and_the_rest_finish() -> None:
    client = ScriptedClient(lambda p, s: "one two three four five")
    outcomes = await stream_until(
        client, [Prompt.user("a")] * 3, Sampling(), [lambda d: False, lambda d: "three" in d.text, lambda d: False]
    )
    assert [o.stopped for o in outcomes] == [False, True, False]
    assert outcomes[1].completion_tokens == 3 and outcomes[0].completion is not None
    assert client.stats.total.aborted_requests == 1


async def test_a_settled_call_stops_every_request_still_streaming() -> None:
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        return "short" if prompt.messages[0].content == "quick" else " ".join(["word"] * 50)

    finished: list[int] = []

    def settle(index: int, completion: object) -> bool:
        finished.append(index)
        return True

    prompts = [Prompt.user("quick"), Prompt.user("long"), Prompt.user("long")]
    outcomes = await stream_until(ScriptedClient(reply), prompts, Sampling(), [lambda d: False] * 3, settle=settle)
    assert finished == [0] and [o.stopped for o in outcomes] == [False, True, True]
    assert all(o.completion_tokens < 50 for o in outcomes[1:])


async def test_a_tracked_fan_out_is_one_call_with_every_request_counted() -> None:
    tracked = TrackedClient(ScriptedClient(lambda p, s: "one two three"))
    await tracked.generate_until([Prompt.user("a")] * 4, Sampling(), [lambda d: d.text == " two"] * 4, tag="t")
    assert tracked.calls == 1
    assert tracked.stats["t"].requests == 4 and tracked.stats["t"].aborted_requests == 4
