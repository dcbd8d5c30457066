"""DeepConf's control flow on a scripted model with scripted token confidences."""

from __future__ import annotations

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient, ScriptedReply
from strategies import Solution, get_strategy
from strategies.deepconf import DeepConf, DeepConfConfig, confidence_vote
from tests.strategies.logprob_replies import confident_reply

SURE = "x x x x x x Answer: 4"
UNSURE = "y y y y y y Answer: 5"


def scripted(replies: list[ScriptedReply]) -> ScriptedClient:
    queue = iter(replies)
    return ScriptedClient(lambda prompt, sampling: next(queue))


async def test_offline_generates_every_trace_in_one_request_with_logprobs():
    client = scripted([confident_reply(SURE, 3.0)] * 4)
    config = DeepConfConfig(mode="offline", traces=4, top_logprobs=5, window=2, max_tokens=32)
    await DeepConf(config).optimize("2+2?", client)
    [call] = client.calls
    [sampling] = call.samplings
    assert sampling.n == 4 and sampling.logprobs == 5 and call.tags == ("traces",)


async def test_offline_filters_to_the_confident_share_before_voting():
    # three unsure traces outvote two sure ones by count, but only the sure ones are kept
    replies = [confident_reply(UNSURE, 0.5)] * 3 + [confident_reply(SURE, 4.0)] * 2
    config = DeepConfConfig(mode="offline", traces=5, keep_share=0.4, window=2, max_tokens=32)
    solution = await DeepConf(config).optimize("2+2?", scripted(replies))
    assert solution.answer_key == "4"
    details = solution.metadata.details
    assert details["kept_traces"] == 2
    assert [t["kept"] for t in details["traces"]] == [False, False, False, True, True]
    assert solution.metadata.strategy == "deepconf" and solution.confidence == pytest.approx(1.0)


async def test_offline_votes_by_summed_confidence_not_by_count():
    replies = [confident_reply(UNSURE, 1.0)] * 2 + [confident_reply(SURE, 3.0)]
    config = DeepConfConfig(mode="offline", traces=3, keep_share=1.0, window=2, max_tokens=32)
    solution = await DeepConf(config).optimize("2+2?", scripted(replies))
    assert solution.answer_key == "4"
    assert solution.confidence == pytest.approx(3.0 / 5.0)


def online_client(online: dict[int, ScriptedReply]) -> ScriptedClient:
    """Warm-up traces (n > 1) are sure; online trace i (seed i) answers from `online`."""

    def respond(prompt: Prompt, sampling: Sampling) -> ScriptedReply:
        if sampling.n > 1:
            return confident_reply(SURE, 3.0)
        assert sampling.seed is not None
        return online[sampling.seed]

    return ScriptedClient(respond)


async def test_online_aborts_traces_whose_window_drops_below_the_warmup_threshold():
    online = {
        2: confident_reply(SURE, 3.0),
        3: confident_reply("z z z z z z z z z z Answer: 9", 0.2),
        4: confident_reply("w w w w w w w w w w Answer: 7", 0.1),
    }
    client = online_client(online)
    config = DeepConfConfig(
        mode="online",
        traces=5,
        warmup_traces=2,
        window=3,
        keep_share=0.9,
        seed=0,
        max_tokens=64,
        consensus_threshold=None,
    )
    solution = await DeepConf(config).optimize("2+2?", client)
    details = solution.metadata.details
    assert details["threshold"] == pytest.approx(3.0)
    assert details["aborted_traces"] == 2
    # each low trace stops when its first full window (3 tokens) falls below the threshold
    assert details["aborted_tokens"] == 6
    warm_len = len(SURE.split())
    assert details["tokens_saved_estimate"] == 2 * (warm_len - 3)
    assert details["tokens_saved_upper_bound"] == 2 * (64 - 3)
    assert solution.answer_key == "4"
    assert [t["aborted"] for t in details["traces"]] == [False, False, False, True, True]
    assert [t["abort_reason"] for t in details["traces"]][3:] == ["confidence", "confidence"]
    assert details["consensus_aborted_traces"] == 0 and details["consensus_reached"] is False
    usage = solution.metadata.usage_by_phase
    assert usage["warmup"].requests == 1 and usage["online"].aborted_requests == 2
    # the warm-up request, then one streamed fan-out of the three online traces
    assert solution.metadata.engine_calls == 2 and solution.metadata.engine_requests == 1 + 3


async def test_online_warms_up_in_one_request_then_streams_one_request_per_trace():
    client = online_client({i: confident_reply(SURE, 3.0) for i in range(10, 13)})
    config = DeepConfConfig(
        mode="online", traces=5, warmup_traces=2, window=2, seed=8, max_tokens=32, consensus_threshold=None
    )
    solution = await DeepConf(config).optimize("2+2?", client)
    assert [len(call.prompts) for call in client.calls] == [1, 1, 1, 1]
    assert client.calls[0].samplings[0].n == 2 and client.calls[0].tags == ("warmup",)
    assert {call.samplings[0].seed for call in client.calls[1:]} == {10, 11, 12}
    assert solution.metadata.details["aborted_traces"] == 0


def online_config(**fields: object) -> DeepConfConfig:
    base: dict[str, object] = {"mode": "online", "traces": 5, "warmup_traces": 2, "window": 2, "keep_share": 0.9}
    return DeepConfConfig.model_validate({**base, "seed": 0, "max_tokens": 64, **fields})


async def test_online_aborts_the_remaining_traces_once_the_kept_vote_reaches_consensus():
    online = {i: confident_reply(SURE, 3.0) for i in (2, 3, 4)}
    client = online_client(online)
    solution = await DeepConf(online_config(consensus_threshold=0.95)).optimize("2+2?", client)
    details = solution.metadata.details
    # the sure warm-up traces and the first online trace to finish agree: share 1.0 >= 0.95,
    # so the two traces still streaming are aborted
    assert details["consensus_reached"] is True and details["consensus_share"] == 1.0
    assert details["aborted_traces"] == details["consensus_aborted_traces"] == 2
    assert [t["abort_reason"] for t in details["traces"]] == [None, None, None, "consensus", "consensus"]
    assert all(t["tokens"] < len(SURE.split()) for t in details["traces"][3:])
    assert details["aborted_tokens"] == sum(t["tokens"] for t in details["traces"][3:])
    assert solution.metadata.usage_by_phase["online"].aborted_requests == 2
    assert solution.answer_key == "4"
    # the same traces without the consensus stop run to their end
    full = await DeepConf(online_config(consensus_threshold=None)).optimize("2+2?", online_client(online))
    assert full.metadata.details["aborted_traces"] == 0
    assert solution.metadata.usage.completion_tokens < full.metadata.usage.completion_tokens


async def test_online_streams_every_trace_while_the_answers_disagree():
    online = {2: confident_reply(UNSURE, 3.0), 3: confident_reply(UNSURE, 3.0), 4: confident_reply(SURE, 3.0)}
    solution = await DeepConf(online_config(consensus_threshold=0.95)).optimize("2+2?", online_client(online))
    details = solution.metadata.details
    assert details["consensus_reached"] is False and details["aborted_traces"] == 0
    assert details["consensus_share"] == pytest.approx(3 / 5)  # 4: two warm-up traces + trace 4
    assert solution.metadata.usage_by_phase["online"].aborted_requests == 0


async def test_the_consensus_counts_kept_warmup_votes_and_waits_for_enough_finished_traces():
    warmup = iter([confident_reply(SURE, 3.0), confident_reply(UNSURE, 3.0)])

    def respond(prompt: Prompt, sampling: Sampling) -> ScriptedReply:
        return next(warmup) if sampling.n > 1 else confident_reply(SURE, 3.0)

    config = online_config(traces=6, consensus_threshold=0.75)
    solution = await DeepConf(config).optimize("2+2?", ScriptedClient(respond))
    details = solution.metadata.details
    # 4 vs 5 from the warm-up; online 4s bring the share to 2/3, then 3/4: settled, two traces left
    assert details["consensus_share"] == 0.75 and details["consensus_aborted_traces"] == 2
    assert [t["abort_reason"] for t in details["traces"]][2:] == [None, None, "consensus", "consensus"]
    assert solution.answer_key == "4"


def test_consensus_threshold_must_be_a_majority_share_or_none():
    assert DeepConfConfig(consensus_threshold=None).consensus_threshold is None
    with pytest.raises(ConfigError, match="consensus_threshold"):
        DeepConfConfig(consensus_threshold=0.5)
    with pytest.raises(ConfigError, match="consensus_threshold"):
        DeepConfConfig(consensus_threshold=1.2)


def test_warmup_cannot_exceed_the_traces():
    with pytest.raises(ConfigError, match="warmup_traces"):
        get_strategy("deepconf", traces=2, warmup_traces=3)


def test_confidence_vote_sums_per_answer_and_picks_the_surest_member():
    sols = [Solution(answer_key=k) for k in ("5", "4", "5", "4", "")]
    pick = confidence_vote(sols, [1.0, 2.5, 1.0, 0.5, 9.0])
    assert pick.index == 1 and pick.share == pytest.approx(3.0 / 5.0)
    assert confidence_vote([Solution(), Solution()], [0.1, 0.2]).index == 1
