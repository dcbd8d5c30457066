"""bench_vs_optillm.py end to end at toy size: optillm over HTTP to its own vLLM server, then
optivllm in process, one question, max_tokens 8 (about 100 s on 2 cores).

Not marked `engine`: the script starts its own server and engine in a subprocess, not the
session's shared client. optillm is installed with benchmarks/setup_optillm.sh when it is
missing; the test skips only when pip cannot reach the package registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_vs_optillm, report

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_vs_optillm.py"


def _ensure_optillm() -> None:
    probe = subprocess.run([sys.executable, "-c", "import optillm"], capture_output=True, cwd=ROOT)
    if probe.returncode == 0:
        return
    env = {**os.environ, "OPTIVLLM_VENV": sys.prefix}
    setup = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "setup_optillm.sh")], capture_output=True, text=True, cwd=ROOT, env=env
    )
    if setup.returncode != 0:  # a skip would check nothing: CI's machines reach the registry
        pytest.fail(f"benchmarks/setup_optillm.sh failed:\n{setup.stderr[-4000:]}")


def _side_is_measured(side: dict) -> None:
    assert side["requests"] > 0 and side["completion_tokens"] > 0 and side["prompt_tokens"] > 0
    assert side["wall_s"] > 0 and side["questions_per_s"] > 0 and side["failures"] == 0
    assert 0.0 <= side["ci95"][0] <= side["accuracy"] <= side["ci95"][1] <= 1.0
    assert side["engine_prefix_cache"]["queries"] >= side["prompt_tokens"]


def test_both_sides_are_measured_on_the_same_engine_settings(tmp_path: Path):
    _ensure_optillm()
    out = tmp_path / "vs_optillm.json"
    argv = ["--pairs", "plain,mars_lightweight", "--q", "1", "--n-questions", "1", "--max-tokens", "8"]
    run = subprocess.run(
        [sys.executable, str(SCRIPT), *argv, "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=900
    )
    assert run.returncode == 0, run.stderr[-4000:]
    payload = json.loads(out.read_text())

    assert [(r["pair"], r["q"]) for r in payload["rows"]] == [("plain", 1), ("mars_lightweight", 1)]
    for row in payload["rows"]:
        _side_is_measured(row["optillm"])
        _side_is_measured(row["optivllm"])
        assert row["ratio_questions_per_s"] > 0
    plain, mars = payload["rows"]
    assert plain["optillm"]["approach"] == "none" and plain["optivllm"]["strategy"] == "plain"
    assert plain["optillm"]["requests"] == plain["optivllm"]["requests"] == 1
    assert mars["optillm"]["fixed"]["config"]["num_agents"] == 2  # optillm really ran its lightweight MARS
    assert "verification" in mars["optivllm"]["usage_by_phase_per_question"]

    # the server ran with optivllm's engine settings and environment, and is gone
    server = payload["server"]
    for flag in ("--enforce-eager", "--no-enable-chunked-prefill", f"--dtype {payload['engine_args']['dtype']}"):
        assert flag in server["command"]
    for key, value in payload["engine_env"].items():
        assert server["env"][key] == value == payload["in_process"]["env"][key]
    assert not Path(f"/proc/{server['pid']}").exists()
    assert (tmp_path / "vs_optillm.server.log").stat().st_size > 0

    # the README generator turns it into a table and a plot
    text = report.build(tmp_path, tmp_path)
    assert "| plain | 1 |" in text and (tmp_path / "vs_optillm.png").stat().st_size > 0


def test_arguments_are_checked_before_anything_starts():
    with pytest.raises(SystemExit):
        bench_vs_optillm.parse_args(["--pairs", "mars,nonsense"])
    with pytest.raises(SystemExit):
        bench_vs_optillm.parse_args(["--q", "8", "--n-questions", "4"])
    args = bench_vs_optillm.parse_args(["--pairs", "plain,moa", "--q", "1,2", "--n-questions", "2"])
    assert args.pairs == ["plain", "moa"] and args.qs == [1, 2]


def test_the_proxy_request_config_keeps_full_mars_out_of_the_lightweight_switch():
    full = bench_vs_optillm.proxy_request_config(bench_vs_optillm.PAIRS["mars"].body(64))
    light = bench_vs_optillm.proxy_request_config(bench_vs_optillm.PAIRS["mars_lightweight"].body(64))
    assert "max_tokens" not in full and full["mars_config"] == {"max_tokens": 64}
    assert light["max_tokens"] == 64 and light["n"] == 1 and light["stream"] is False
