"""The report turns result files into tables, target verdicts and plots, without an engine."""

import json
from pathlib import Path

from benchmarks import report

ENGINE = {"model": "m", "device": "cpu (2 cores)", "vllm": "0", "torch": "0"}


def _mode(wall: float, q: int) -> dict:
    return {
        "wall_s": wall,
        "questions_per_s": round(q / wall, 4),
        "completion_tokens_per_s": 10.0,
        "engine_requests": 3 * q,
        "cache_hit_rate": 0.5,
    }


def _row(q: int, batched: float, limit: float, sequential: float | None) -> dict:
    row = {"strategy": "mars", "q": q, "batched": _mode(batched, q), "limit": _mode(limit, q)}
    row["efficiency"] = round(limit / batched, 3)
    if sequential is not None:
        row["sequential"] = _mode(sequential, q)
        row["speedup"] = round(sequential / batched, 3)
    return row


def _throughput(rows: list[dict]) -> dict:
    return {"engine": ENGINE, "max_tokens": 8, "seed": 0, "command": "python benchmarks/x.py", "rows": rows}


def test_mode_bars_use_the_largest_q_measured_in_all_three_modes():
    rows = [_row(4, 10.0, 9.0, 40.0), _row(16, 30.0, 27.0, None)]
    assert report._row_for_modes(rows, "mars")["q"] == 4
    assert report._row_for_modes(rows[1:], "mars")["q"] == 16


def test_targets_at_q16_are_judged_from_the_result_rows():
    met = report._target_lines([_row(16, 10.0, 9.0, 35.0)])
    assert "speed-up 3.5x (target ≥ 3.0x): met" in met[0] and "efficiency 0.9 (target ≥ 0.75): met" in met[1]
    missed = report._target_lines([_row(16, 10.0, 5.0, 20.0)])
    assert missed[0].endswith("NOT met") and missed[1].endswith("NOT met")
    assert report._target_lines([_row(4, 10.0, 9.0, 40.0)]) == []


def test_accuracy_table_lists_the_plain_baseline_first():
    rows = [{"strategy": s} for s in ("mars", "plain", "best_of_n")]
    assert [r["strategy"] for r in report._baseline_first(rows)] == ["plain", "mars", "best_of_n"]


def test_build_writes_plots_and_tables_for_every_result_file(tmp_path: Path):
    rows = [_row(1, 5.0, 3.0, 8.0), _row(4, 10.0, 9.0, 40.0), _row(16, 30.0, 27.0, 100.0)]
    (tmp_path / "throughput.json").write_text(json.dumps(_throughput(rows)))
    (tmp_path / "throughput_all.json").write_text(json.dumps(_throughput(rows[1:2])))
    text = report.build(tmp_path, tmp_path)
    assert "| mars | 16 | 30.0 | 100.0 | 27.0 | 3.333x | 0.9 |" in text
    assert "speed-up 3.333x (target ≥ 3.0x): met" in text
    assert "mars scaling, batched questions/s relative to Q=1: Q=4 2.00x, Q=16 2.67x" in text
    assert "### Every strategy" in text and "![throughput_all.png](throughput_all.png)" in text
    for name in ("throughput.png", "scaling.png", "throughput_all.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    # one Q in the all-strategies file: no scaling plot for it
    assert not (tmp_path / "throughput_all_scaling.png").exists()


def _side(tokens: float, requests: int, wall: float, correct: int, stopped: float) -> dict:
    return {
        "n": 4,
        "correct": correct,
        "accuracy": correct / 4,
        "ci95": [0.1, 0.9],
        "completion_tokens_per_question": tokens,
        "prompt_tokens_per_question": 30.0,
        "cached_tokens_per_question": 10.0,
        "engine_requests": requests,
        "engine_requests_per_question": requests / 4,
        "wall_s": wall,
        "stopped_early": stopped,
    }


def test_adaptive_table_pairs_each_strategy_with_its_fixed_budget(tmp_path: Path):
    row = {
        "strategy": "self_consistency",
        "fixed": _side(400.0, 4, 10.0, 3, 0.0),
        "adaptive": _side(100.0, 6, 5.0, 3, 0.75),
        "agreeing": 3,
        "agreement": 0.75,
        "agreement_ci95": [0.3, 0.95],
    }
    payload = {
        "engine": ENGINE,
        "data": "d",
        "samples": 16,
        "warmup_traces": 4,
        "max_tokens": 64,
        "wave_size": 4,
        "stop_confidence": 0.95,
        "consensus_threshold": 0.95,
        "seed": 0,
        "q": 4,
        "command": "python benchmarks/bench_adaptive.py",
        "rows": [row],
    }
    (tmp_path / "adaptive.json").write_text(json.dumps(payload))
    text = report.build(tmp_path, tmp_path)
    assert (
        "| self_consistency | fixed | 75.0% (3/4) | 10.0%–90.0% | 400.0 | 30.0 (10.0) | 1.0 | 10.0 | 0% | - |" in text
    )
    assert "| self_consistency | adaptive | 75.0% (3/4) |" in text and "| 75% | 75% (3/4) |" in text
    assert "completion tokens -75%, requests +50%, wall time -50%; same answer on 75% of questions" in text
    assert (tmp_path / "adaptive.png").stat().st_size > 0
