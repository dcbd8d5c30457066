import asyncio

import pytest

from engine import (
    ClientError,
    Completed,
    ContextLengthError,
    ModelClient,
    Prompt,
    Sampling,
    ScriptedClient,
    ScriptedReply,
    TextDelta,
)


def test_scripted_client_is_a_model_client():
    assert isinstance(ScriptedClient(["a"]), ModelClient)


async def test_generate_answers_in_request_order_and_records_one_call():
    client = ScriptedClient(lambda p, s: f"T={s.temperature}")
    outs = await client.generate([Prompt.user("q")] * 3, [Sampling(temperature=t) for t in (0.1, 0.5, 0.9)], tag="x")
    assert [c.text for c in outs] == ["T=0.1", "T=0.5", "T=0.9"]
    assert len(client.calls) == 1 and client.calls[0].tags == ("x", "x", "x")
    assert client.stats["x"].requests == 3


async def test_n_samples_come_back_consecutively_with_sample_indices():
    client = ScriptedClient(["a", "b", "c"])
    outs = await client.generate([Prompt.user("q")], Sampling(n=3))
    assert [(c.text, c.sample_index) for c in outs] == [("a", 0), ("b", 1), ("c", 2)]
    assert client.stats.total.requests == 1


async def test_a_list_script_that_runs_out_raises_a_client_error():
    client = ScriptedClient(["only"])
    await client.generate([Prompt.user("q")])
    with pytest.raises(ClientError, match="ran out"):
        await client.generate([Prompt.user("q")])


async def test_max_tokens_truncates_and_reports_length():
    client = ScriptedClient(["one two three four"])
    [c] = await client.generate([Prompt.user("q")], Sampling(max_tokens=2))
    assert (c.text, c.finish_reason, c.completion_tokens) == ("one two", "length", 2)


async def test_too_long_prompt_raises_context_length_error_before_any_call():
    client = ScriptedClient(["x"], max_model_len=5)
    with pytest.raises(ContextLengthError):
        await client.generate([Prompt.user("one two three four five six")])
    assert client.calls == []


async def test_stream_deltas_join_to_the_final_text():
    client = ScriptedClient([ScriptedReply("the answer is 4")])
    deltas, final = [], None
    async for event in client.stream(Prompt.user("q")):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            assert isinstance(event, Completed)
            final = event.completion
    assert final is not None and "".join(deltas) == final.text == "the answer is 4"


async def test_stream_interval_gathers_that_many_tokens_a_piece_after_the_first():
    client = ScriptedClient(["a b c d e f"])
    stream = client.stream(Prompt.user("q"), Sampling(stream_interval=2))
    pieces = [e for e in [e async for e in stream] if isinstance(e, TextDelta)]
    assert [p.text for p in pieces] == ["a", " b c", " d e", " f"]
    assert [p.token_ids for p in pieces] == [(0,), (1, 2), (3, 4), (5,)]


async def test_closing_a_stream_early_counts_an_aborted_request():
    client = ScriptedClient(["a b c d e f"])
    stream = client.stream(Prompt.user("q"), tag="s")
    async for _ in stream:
        break
    await stream.aclose()
    assert client.stats["s"].aborted_requests == 1


def test_scripted_client_works_under_asyncio_run():
    client = ScriptedClient(lambda p, s: "4")
    [c] = asyncio.run(client.generate([Prompt.user("2+2?")]))
    assert c.text == "4"
