"""The in-process vLLM client on the real default model (one engine for the whole session)."""

import asyncio
from contextlib import aclosing

import pytest

from engine import Completed, ContextLengthError, ModelClient, Prompt, Sampling, TextDelta, VLLMClient

pytestmark = pytest.mark.engine

QUESTION = Prompt.user("Name three colors.")


async def test_client_is_a_model_client(engine_client: VLLMClient):
    assert isinstance(engine_client, ModelClient)
    assert engine_client.max_model_len == 2048


async def test_batched_generate_returns_one_completion_per_request_with_its_sampling(fresh_stats: VLLMClient):
    client = fresh_stats
    temps, budgets = (0.0, 0.7, 1.2), (4, 8, 12)
    samplings = [Sampling(temperature=t, max_tokens=m, seed=3) for t, m in zip(temps, budgets, strict=True)]
    outs = await client.generate([QUESTION] * 3, samplings, tag=["a", "b", "c"])
    assert len(outs) == 3
    for c, t, m, tag in zip(outs, temps, budgets, "abc", strict=True):
        assert c.temperature == t and c.tag == tag
        assert 1 <= c.completion_tokens <= m and len(c.token_ids) == c.completion_tokens
        assert c.prompt_tokens > 0 and c.text
    assert client.stats.total.requests == 3 and client.stats["b"].requests == 1


async def test_seeded_requests_reproduce_and_greedy_is_deterministic(engine_client: VLLMClient):
    # one request per call: the numerics of a step (and so a sampled token) depend on its batch
    seeded = Sampling(temperature=1.0, max_tokens=16, seed=1234)
    greedy = Sampling(temperature=0.0, max_tokens=16)
    for sampling in (seeded, greedy):
        [first] = await engine_client.generate([QUESTION], sampling)
        [second] = await engine_client.generate([QUESTION], sampling)
        assert first.text == second.text


async def test_n_samples_share_one_request_and_carry_top_logprobs(fresh_stats: VLLMClient):
    outs = await fresh_stats.generate([QUESTION], Sampling(temperature=0.9, n=3, max_tokens=6, logprobs=3))
    assert [c.sample_index for c in outs] == [0, 1, 2]
    assert fresh_stats.stats.total.requests == 1
    for c in outs:
        assert c.logprobs is not None and len(c.logprobs) == c.completion_tokens
        first = c.logprobs[0]
        assert len(first.top) >= 3 and first.top[0].logprob >= first.top[-1].logprob


async def test_streaming_deltas_join_to_the_final_text(engine_client: VLLMClient):
    deltas: list[str] = []
    final = None
    async for event in engine_client.stream(QUESTION, Sampling(temperature=0.0, max_tokens=24)):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            assert isinstance(event, Completed)
            final = event.completion
    assert final is not None and len(deltas) > 1
    assert "".join(deltas) == final.text
    [batched] = await engine_client.generate([QUESTION], Sampling(temperature=0.0, max_tokens=24))
    assert batched.text == final.text


async def test_closing_a_stream_aborts_the_request_in_the_engine(fresh_stats: VLLMClient):
    client = fresh_stats
    async with aclosing(client.stream(Prompt.user("Write a long story."), Sampling(max_tokens=400), tag="s")) as s:
        async for _ in s:
            break
    assert client.stats["s"].aborted_requests == 1
    assert client.pending_requests == 0


async def test_cancelling_generate_aborts_its_requests(engine_client: VLLMClient):
    task = asyncio.ensure_future(
        engine_client.generate([Prompt.user("Write a long story.")] * 2, Sampling(max_tokens=400, min_tokens=400))
    )
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):  # the aborts reach the engine asynchronously; 10 s bounds a failure
        if engine_client.pending_requests == 0:
            break
        await asyncio.sleep(0.1)
    assert engine_client.pending_requests == 0


async def test_prefix_cache_serves_a_long_shared_prefix_sent_twice(fresh_stats: VLLMClient):
    shared = "Background: " + " ".join(f"fact {i} is that the sky was clear on day {i}." for i in range(60))
    prompts = [Prompt.user(shared + f"\nQuestion {i}: which day was clear?") for i in range(2)]
    [first] = await fresh_stats.generate(prompts[:1], Sampling(temperature=0.0, max_tokens=4), tag="first")
    [second] = await fresh_stats.generate(prompts[1:], Sampling(temperature=0.0, max_tokens=4), tag="second")
    assert first.prompt_tokens > 256
    assert second.cached_tokens >= 256 > first.cached_tokens
    assert fresh_stats.stats["second"].cached_tokens == second.cached_tokens


async def test_overlong_prompt_fails_alone_while_a_concurrent_request_succeeds(engine_client: VLLMClient):
    too_long = Prompt.user("word " * 3000)
    short = engine_client.generate([QUESTION], Sampling(temperature=0.0, max_tokens=8))
    long = engine_client.generate([too_long], Sampling(max_tokens=8))
    ok, failed = await asyncio.gather(short, long, return_exceptions=True)
    assert isinstance(failed, ContextLengthError)
    assert failed.max_model_len == 2048 and failed.prompt_tokens > 2048
    assert "2048" in str(failed)
    assert not isinstance(ok, BaseException) and ok[0].text


async def test_seeded_requests_over_one_steps_token_budget_complete(engine_client: VLLMClient):
    # ~40 x 110 prompt tokens exceed a 2048-token step: with chunked prefill the CPU engine died
    # rewinding a seeded request's generator ("CPU Generator does not use offset")
    prompts = [Prompt.user(f"Question {i}: " + "Explain why the sky is blue in one sentence. " * 8) for i in range(40)]
    samplings = [Sampling(temperature=0.7, max_tokens=4, seed=i % 2) for i in range(40)]
    outs = await engine_client.generate(prompts, samplings)
    assert sum(c.prompt_tokens for c in outs) > 2048
    assert len(outs) == 40 and all(c.completion_tokens >= 1 for c in outs)
