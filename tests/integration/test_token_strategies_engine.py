"""Token-level strategies on the real engine and default model (small budgets, 2 CPU cores)."""

from __future__ import annotations

import pytest

from engine import Prompt, Sampling, VLLMClient
from strategies.autothink import AutoThink, AutoThinkConfig
from strategies.cot_decoding import CotDecoding, CotDecodingConfig
from strategies.deep_thinking import DeepThinking, DeepThinkingConfig
from strategies.deepconf import DeepConf, DeepConfConfig
from strategies.entropy_decoding import EXTRA_ARG, EntropyDecodingConfig, entropy_sampling

pytestmark = pytest.mark.engine

QUESTION = "What is 12 + 7?"
LONG_ANSWER = "A shop sells pens at 3 dollars each. Explain step by step how much 7 pens cost."
GREEDY = Sampling(temperature=0.0, max_tokens=24)
ALWAYS_ARGMAX = {
    "low_entropy": 100.0,
    "high_entropy": 100.0,
    "low_varentropy": 1e6,
    "high_varentropy": 1e6,
}


async def test_entropy_decoding_runs_in_one_batch_with_a_plain_request(engine_client: VLLMClient):
    prompt = Prompt.user(QUESTION)
    # forced lengths keep both batches the same shape at every step, so the plain row's
    # arithmetic is the same in both (greedy text is not batch-invariant across shapes)
    greedy = GREEDY.with_(min_tokens=24)
    entropy = entropy_sampling(EntropyDecodingConfig(max_tokens=24, seed=5)).with_(min_tokens=24)
    # and both start from an empty prefix cache: cached and computed prefills differ numerically
    await engine_client.reset_prefix_cache()
    baseline, _ = await engine_client.generate([prompt, prompt], [greedy, entropy.with_(extra=())])
    await engine_client.reset_prefix_cache()
    plain, adapted = await engine_client.generate([prompt, prompt], [greedy, entropy])
    assert plain.text == baseline.text  # the processor leaves rows without the extra arg alone
    assert adapted.completion_tokens > 0 and adapted.text


def _argmax_steps(completion) -> list[bool]:  # type: ignore[no-untyped-def]
    """Per generated token: was it the top-1 of the raw (pre-processor) distribution? Ties count."""
    return [t.logprob >= max(c.logprob for c in t.top) - 1e-4 for t in completion.logprobs]


async def test_the_logits_processor_acts_on_the_row_that_opts_in(engine_client: VLLMClient):
    prompt = Prompt.user(QUESTION)
    sampled = Sampling(temperature=1.0, max_tokens=24, seed=11, logprobs=1)
    forced = sampled.with_(extra=((EXTRA_ARG, ALWAYS_ARGMAX),))
    free, argmax = await engine_client.generate([prompt] * 2, [sampled, forced])
    assert not all(_argmax_steps(free))  # temperature 1 leaves the argmax somewhere...
    assert all(_argmax_steps(argmax))  # ...unless every step is forced to its argmax


async def test_cot_decoding_branches_on_k_distinct_first_tokens(fresh_stats: VLLMClient):
    solver = CotDecoding(CotDecodingConfig(k=4, max_tokens=32))
    solution = await solver.optimize(QUESTION, fresh_stats)
    paths = solution.metadata.details["paths"]
    firsts = [p["first_token"] for p in paths]
    assert len(firsts) == 4 and len(set(firsts)) == 4
    assert solution.metadata.engine_calls == 2 and solution.metadata.engine_requests == 5
    assert solution.reasoning.startswith(firsts[solution.metadata.details["chosen_path"]])


async def test_deepconf_online_aborts_traces_below_the_threshold_and_spends_fewer_tokens_than_offline(
    engine_client: VLLMClient,
):
    common = {"traces": 6, "window": 1, "top_logprobs": 5, "max_tokens": 96, "seed": 0}
    offline = await DeepConf(DeepConfConfig(mode="offline", **common)).optimize(LONG_ANSWER, engine_client)
    # a threshold above any token confidence: every streamed trace falls below it at its first window
    online = await DeepConf(DeepConfConfig(mode="online", warmup_traces=2, threshold=1e9, **common)).optimize(
        LONG_ANSWER, engine_client
    )
    details = online.metadata.details
    assert details["aborted_traces"] == 4 and details["threshold"] == 1e9
    assert online.metadata.usage_by_phase["online"].aborted_requests == 4
    assert all(t["aborted"] and t["tokens"] < 96 for t in details["traces"][2:])
    assert online.metadata.usage.completion_tokens < offline.metadata.usage.completion_tokens
    assert engine_client.pending_requests == 0


async def test_deep_thinking_continues_thinking_that_ended_early(engine_client: VLLMClient):
    config = DeepThinkingConfig(
        min_thinking_tokens=48,
        max_thinking_tokens=96,
        max_continuations=2,
        temperature=0.0,
        max_tokens=24,
    )
    solution = await DeepThinking(config).optimize(QUESTION, engine_client)
    details = solution.metadata.details
    assert details["continuations"] >= 1
    assert "continue" in solution.metadata.usage_by_phase
    assert "\nWait," in solution.reasoning and "</think>" in solution.reasoning
    assert solution.metadata.usage_by_phase["answer"].requests == 1


async def test_autothink_assesses_then_runs_the_routed_strategy(engine_client: VLLMClient):
    config = AutoThinkConfig(easy_max_tokens=24, medium_thinking=(0, 24), hard_thinking=(0, 24), max_tokens=24)
    solution = await AutoThink(config).optimize(QUESTION, engine_client)
    details = solution.metadata.details
    assert details["tier"] in ("easy", "medium", "hard")
    assert solution.metadata.usage_by_phase["assess"].requests == 1
    assert solution.metadata.engine_calls >= 2
