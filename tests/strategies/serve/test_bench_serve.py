"""benchmarks/bench_serve.py at toy size on a scripted model: the server and run_batch side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import bench_serve
from tests.strategies.serve.serving import scripted

ENGINE = {"model": "scripted", "device": "none", "vllm": "-", "torch": "-"}
ROOT = Path(__file__).resolve().parents[3]


async def test_the_smoke_run_measures_both_modes_at_each_concurrency(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    args = bench_serve.parse_args(["--smoke", "--strategies", "plain,self_consistency", "--out", str(out), "--quiet"])
    payload = await bench_serve.run(scripted(), args, describe=lambda c: ENGINE)
    assert json.loads(out.read_text()) == payload
    assert payload["benchmark"] == "serve" and payload["engine"] == ENGINE and payload["q"] == 2
    assert payload["command"].startswith("python benchmarks/bench_serve.py --smoke")
    rows = payload["rows"]
    assert [(r["strategy"], r["concurrency"]) for r in rows] == [
        ("plain", 1),
        ("plain", 2),
        ("self_consistency", 1),
        ("self_consistency", 2),
    ]
    for row in rows:
        served, in_process = row["served"], row["in_process"]
        assert served["failures"] == in_process["failures"] == 0
        assert served["engine_requests"] == in_process["engine_requests"] > 0
        assert 0 < served["first_byte_s"]["p50"] <= served["first_answer_token_s"]["p50"] <= served["latency_s"]["p90"]
        assert served["questions_per_s"] > 0 and in_process["questions_per_s"] > 0 and row["overhead"] > 0


def test_the_script_shows_its_help_without_an_engine() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_serve.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "--concurrency" in done.stdout and "optivllm serve" in done.stdout
