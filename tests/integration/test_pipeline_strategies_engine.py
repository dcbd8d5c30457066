"""The pipeline strategies on the real engine (SmolLM2-135M on CPU), each through the
`optivllm run` code path: one question, one result record, and exactly the request count its
`calls=` documentation gives for the test config. Budgets are tiny for speed; the model is too
weak for accuracy claims, so these check the machinery, not the answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import VLLMClient
from strategies.runner.jsonl import RunOptions, run_jsonl

pytestmark = pytest.mark.engine

ARITHMETIC = "What is 12 + 7? Give the number."
FEW_SHOT = "Q: What is 2 + 3?\nA: 5\nQ: What is 4 + 4?\nA: 8\nQ: What is 12 + 7?\nA:"
CODE = "Write a Python function add(a, b) that returns the sum of a and b."

CASES = {
    # strategy: (question, config, requests per the documented count)
    "cot_reflection": (ARITHMETIC, {"max_tokens": 64}, 1),
    "reread": (ARITHMETIC, {"max_tokens": 48}, 1),
    # E = 2 examples read without the model, one principle per attempt: 2E + 2
    "leap": (FEW_SHOT, {"max_tokens": 48, "learn_from_correct": True, "seed": 0}, 6),
    # P = 2 plans, rated: 1 + 4P
    "plansearch": (ARITHMETIC, {"max_tokens": 48, "num_plans": 2, "rating_max_tokens": 32}, 9),
    "rto": (CODE, {"max_tokens": 64, "synthesize": "always"}, 4),
    # R = 2 rounds of H = S = 1: 2 * (2 + 2) + 1 refinement
    "pvg": (
        ARITHMETIC,
        {"max_tokens": 48, "helpful": 1, "sneaky": 1, "rating_max_tokens": 32},
        9,
    ),
    # 4 rollouts in waves of 2: 3 * rollouts
    "rstar": (ARITHMETIC, {"max_tokens": 48, "rollouts": 4, "parallel": 2, "max_depth": 2}, 12),
}


@pytest.mark.parametrize("strategy", sorted(CASES))
async def test_strategy_answers_with_its_documented_request_count(
    strategy: str, engine_client: VLLMClient, tmp_path: Path
):
    question, config, requests = CASES[strategy]
    source, out = tmp_path / "q.jsonl", tmp_path / "r.jsonl"
    source.write_text(json.dumps({"id": "q1", "question": question}) + "\n")
    options = RunOptions(input=source, output=out, strategy=strategy, config=config)
    summary = await run_jsonl(options, engine_client)
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["error"] is None and record["strategy"] == strategy
    assert record["reasoning"] is not None
    assert record["usage"]["requests"] == requests, record["usage_by_phase"]
    assert sum(u["requests"] for u in record["usage_by_phase"].values()) == requests
    assert summary.engine_requests == requests
