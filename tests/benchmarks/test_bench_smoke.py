"""Each engine benchmark runs at toy sizes and writes a well-formed result file (nothing is timed)."""

import json
from pathlib import Path

import pytest

from benchmarks import bench_accuracy, bench_prefix_cache, bench_throughput, report
from engine import VLLMClient

pytestmark = pytest.mark.engine


def _engine_fields(payload: dict) -> None:
    engine = payload["engine"]
    for key in ("model", "device", "vllm", "torch"):
        assert engine[key], key
    assert payload["seed"] is not None and payload["command"].startswith("python benchmarks/")


async def test_throughput_benchmark_writes_all_three_modes(engine_client: VLLMClient, tmp_path: Path):
    out = tmp_path / "throughput.json"
    args = bench_throughput.parse_args(
        ["--strategies", "plain,mars", "--set", "preset=lightweight", "--q", "2", "--max-tokens", "8"]
        + ["--out", str(out), "--quiet"]
    )
    await bench_throughput.run(engine_client, args)
    payload = json.loads(out.read_text())
    _engine_fields(payload)
    assert [(r["strategy"], r["q"]) for r in payload["rows"]] == [("plain", 2), ("mars", 2)]
    assert payload["rows"][1]["config"]["preset"] == "lightweight" and "preset" not in payload["rows"][0]["config"]
    for row in payload["rows"]:
        for mode in ("batched", "sequential", "limit"):
            assert row[mode]["wall_s"] > 0 and row[mode]["engine_requests"] > 0
        assert row["limit"]["engine_requests"] == row["batched"]["engine_requests"]
        assert row["speedup"] > 0 and row["efficiency"] > 0
    # the sequential client really sent one request per engine call; the batched run batched them
    # (request counts of the two runs may differ: MARS decides from what the model wrote)
    mars = payload["rows"][1]
    assert mars["sequential"]["engine_calls"] == mars["sequential"]["engine_requests"]
    assert mars["batched"]["engine_calls"] < mars["batched"]["engine_requests"]
    assert mars["limit"]["engine_calls"] == 1


async def test_accuracy_benchmark_reports_intervals(engine_client: VLLMClient, tmp_path: Path):
    out = tmp_path / "accuracy.json"
    args = bench_accuracy.parse_args(
        ["--n", "2", "--strategies", "plain", "--max-tokens", "8", "--out", str(out), "--quiet"]
    )
    await bench_accuracy.run(engine_client, args)
    payload = json.loads(out.read_text())
    _engine_fields(payload)
    [row] = payload["rows"]
    assert row["n"] == 2 and 0.0 <= row["ci95"][0] <= row["accuracy"] <= row["ci95"][1] <= 1.0


async def test_prefix_cache_benchmark_compares_cache_on_and_off(engine_client: VLLMClient, tmp_path: Path):
    out = tmp_path / "prefix_cache.json"
    args = bench_prefix_cache.parse_args(
        ["--q", "2", "--max-tokens", "16", "--verify-max-tokens", "4", "--out", str(out)]
    )
    await bench_prefix_cache.run(args, lambda **kw: VLLMClient(**kw), on_client=engine_client)
    payload = json.loads(out.read_text())
    _engine_fields(payload)
    on, off = payload["on"], payload["off"]
    assert on["prompt_tokens"] == off["prompt_tokens"] > 0
    assert off["cached_tokens"] == 0 and on["cached_tokens"] > 0

    # the report turns whatever result files exist into tables and plots
    (tmp_path / "throughput.json").unlink(missing_ok=True)
    text = report.build(tmp_path, tmp_path)
    assert "Prefix cache on MARS verification" in text and (tmp_path / "prefix_cache.png").exists()
