"""The sampling strategies (moa, mcts, self_consistency, best_of_n, diverse_sampling, rsa) on the
real engine, through the `optivllm run` code path: every question gets an answer record whose
request count is the one each strategy documents. Budgets are tiny for speed; SmolLM2-135M is
too weak for accuracy claims, so this checks the machinery, not the answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import VLLMClient
from strategies.runner.jsonl import RunOptions, run_jsonl

pytestmark = pytest.mark.engine

QUESTIONS = [
    {"id": "add", "question": "What is 17 + 25?", "answer": "42"},
    {"id": "mul", "question": "What is 6 times 7?", "answer": "42"},
]

CASES: list[tuple[str, dict[str, Any], int]] = [
    # strategy, config, engine requests per question (the documented count)
    ("self_consistency", {"samples": 4}, 1),
    ("diverse_sampling", {"samples": 3}, 3),
    ("best_of_n", {"samples": 3, "rating_max_tokens": 24}, 1 + 3),
    ("moa", {"critique_max_tokens": 48}, 3),
    ("rsa", {"population": 3, "subset": 2, "loops": 1}, 1 + 3),
    # simulations x (1 expansion + depth x A rollouts + A ratings) + 1 final
    (
        "mcts",
        {"simulations": 2, "num_actions": 2, "depth": 1, "step_tokens": 24, "rating_max_tokens": 16},
        2 * (1 + 2 + 2) + 1,
    ),
]


@pytest.mark.parametrize(("strategy", "config", "requests"), CASES, ids=[c[0] for c in CASES])
async def test_each_question_is_answered_with_the_documented_request_count(
    engine_client: VLLMClient, tmp_path: Path, strategy: str, config: dict[str, Any], requests: int
) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    out = tmp_path / "results.jsonl"
    options = RunOptions(
        input=questions,
        output=out,
        strategy=strategy,
        config={"max_tokens": 48, **config},
    )
    summary = await run_jsonl(options, engine_client)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in records) == ["add", "mul"]
    assert summary.failures == 0, [r.get("error") for r in records]
    for record in records:
        assert record["strategy"] == strategy and record["reasoning"].strip()
        assert record["usage"]["requests"] == requests, record["usage_by_phase"]
        by_phase = record["usage_by_phase"].values()
        assert sum(u["requests"] for u in by_phase) == requests
        assert all(u["completion_tokens"] > 0 for u in by_phase)
