"""MARS on the real engine (SmolLM2-135M on CPU): full and lightweight runs, prefix-cache hits
in verification, and eight concurrent runs on one client. Token budgets are small for speed;
the model is too weak for accuracy claims, so these check the machinery, not the answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from engine import VLLMClient
from strategies import Solution
from strategies.mars import Mars, MarsConfig, MarsEvent
from strategies.runner.jsonl import RunOptions, run_jsonl

pytestmark = pytest.mark.engine

BUDGET = {"max_tokens": 96, "verify_max_tokens": 64}
SMALL_BUDGET = {"max_tokens": 48, "verify_max_tokens": 32}
PAIRS = [(12, 7), (6, 9), (23, 4), (8, 8), (15, 5), (31, 2), (7, 14), (9, 11)]
QUESTIONS = [f"What is {a} + {b}? Give the number." for a, b in PAIRS]


def assert_complete(solution: Solution) -> None:
    """A finished run: a written solution, a rule, and usage for every phase that ran."""
    meta = solution.metadata
    assert solution.reasoning.strip() and meta.strategy == "mars"
    assert meta.selection_rule in ("verified", "consensus", "majority", "synthesis")
    assert 0.0 <= solution.confidence <= 1.0 and meta.wall_s > 0
    ran = {"exploration", "verification"}
    if meta.details["improvement_iterations"]:
        ran.add("improvement")
    assert ran <= set(meta.usage_by_phase)
    for phase, usage in meta.usage_by_phase.items():
        assert usage.requests > 0 and usage.prompt_tokens > 0, phase
        assert usage.completion_tokens > 0 and usage.wall_s > 0, phase
    assert meta.engine_requests == sum(u.requests for u in meta.usage_by_phase.values())


async def test_full_run_completes_with_usage_for_every_phase(engine_client: VLLMClient) -> None:
    events: list[MarsEvent] = []
    # aggregation must run whatever the model answers: settled agents would skip it
    config = MarsConfig.full(max_iterations=1, skip_when_settled=False, **BUDGET)
    solution = await Mars(config).optimize(QUESTIONS[0], engine_client, on_event=events.append)
    assert_complete(solution)
    assert "aggregation" in solution.metadata.usage_by_phase
    assert solution.metadata.usage_by_phase["aggregation"].requests == config.rsa_population
    kinds = [e.type for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert "aggregation_done" in kinds and "selection_done" in kinds
    phases = [e.phase for e in events if e.type == "phase_started"]
    assert phases[:2] == ["exploration", "verification"] and "aggregation" in phases
    # every review ends in a verdict the engine guaranteed, whatever the review's text says
    reviews = [r for rs in solution.metadata.details["verification"].values() for r in rs]
    assert reviews and all(r["correct"] is not None and r["fallback"] is None for r in reviews)
    assert 0 <= solution.metadata.details["verdict_text_fallbacks"] <= len(reviews)


async def test_verification_is_served_from_the_prefix_cache(engine_client: VLLMClient) -> None:
    # both passes of a round in one call, so the second review of a solution reuses the first's prefix
    config = MarsConfig.lightweight(
        max_iterations=0, verification_passes_required=2, lazy_reviews=False, verdict="text", **BUDGET
    )
    solution = await Mars(config).optimize(QUESTIONS[1], engine_client)
    verification = solution.metadata.usage_by_phase["verification"]
    assert verification.requests == 4
    assert verification.cached_tokens > 0, verification


async def test_a_lightweight_run_completes(engine_client: VLLMClient) -> None:
    solution = await Mars(MarsConfig.lightweight(**BUDGET)).optimize(QUESTIONS[2], engine_client)
    assert_complete(solution)
    assert "aggregation" not in solution.metadata.usage_by_phase
    assert solution.metadata.details["improvement_iterations"] <= 2


async def test_eight_concurrent_runs_on_one_client(fresh_stats: VLLMClient) -> None:
    mars = Mars(MarsConfig.lightweight(max_iterations=1, **SMALL_BUDGET))
    solutions = await asyncio.gather(*(mars.optimize(q, fresh_stats) for q in QUESTIONS))
    assert len(solutions) == 8 and len({s.id for s in solutions}) == 8
    for solution in solutions:
        assert_complete(solution)
    # each run counted only its own requests, and together they are all the client served
    assert sum(s.metadata.engine_requests for s in solutions) == fresh_stats.stats.total.requests


async def test_no_row_of_a_budgeted_run_spends_past_its_budget(engine_client: VLLMClient, tmp_path: Path) -> None:
    budget = 120
    source, out = tmp_path / "q.jsonl", tmp_path / "r.jsonl"
    source.write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(QUESTIONS[:3])))
    options = RunOptions(input=source, output=out, strategy="mars", config={"budget_tokens": budget, **SMALL_BUDGET})
    await run_jsonl(options, engine_client)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and all(r["error"] is None for r in rows)
    assert all(r["budget_tokens"] == budget and r["usage"]["completion_tokens"] <= budget for r in rows)
