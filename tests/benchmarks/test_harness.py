import asyncio
import json

from benchmarks.datasets import generate
from benchmarks.harness import (
    RecordingClient,
    SequentialClient,
    earlier_rows,
    replay_as_one_batch,
    wilson_interval,
)
from engine import Prompt, Sampling, ScriptedClient


def test_generated_problems_are_reproducible_and_answerable():
    a, b = generate(12, seed=3), generate(12, seed=3)
    assert a == b and len({i.id for i in a}) == 12
    assert all(i.answer is not None and i.answer.lstrip("-").isdigit() for i in a)
    assert generate(6, seed=4) != generate(6, seed=3)


def test_wilson_interval_contains_the_estimate_and_handles_the_edges():
    low, high = wilson_interval(7, 10)
    assert low < 0.7 < high
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_sequential_client_sends_one_request_per_engine_call():
    inner = ScriptedClient(lambda p, s: "a b c")
    client = SequentialClient(inner)
    asyncio.run(client.generate([Prompt.user("q")] * 3, Sampling(), tag="x"))
    assert len(inner.calls) == 3 and all(len(c.prompts) == 1 for c in inner.calls)


def test_recording_client_replays_requests_with_forced_lengths_in_one_call():
    inner = ScriptedClient(lambda p, s: "one two three" if s.temperature < 1 else "one")
    rec = RecordingClient(inner)
    asyncio.run(rec.generate([Prompt.user("q")] * 2, [Sampling(temperature=0.5), Sampling(temperature=1.5)]))
    assert [r.completion_tokens for r in rec.recorded] == [(3,), (1,)]
    asyncio.run(replay_as_one_batch(inner, rec.recorded))
    replay = inner.calls[-1]
    assert len(replay.prompts) == 2
    assert [(s.min_tokens, s.max_tokens) for s in replay.samplings] == [(3, 3), (1, 1)]


def test_resume_keeps_rows_only_from_a_file_written_with_the_same_settings(tmp_path):
    path = tmp_path / "r.json"
    assert earlier_rows(path, {"seed": 0}, resume=True) == []  # no file yet
    path.write_text(json.dumps({"seed": 0, "max_tokens": 64, "rows": [{"strategy": "plain"}]}))
    assert earlier_rows(path, {"seed": 0, "max_tokens": 64}, resume=True) == [{"strategy": "plain"}]
    assert earlier_rows(path, {"seed": 0, "max_tokens": 96}, resume=True) == []
    assert earlier_rows(path, {"seed": 0, "max_tokens": 64}, resume=False) == []
