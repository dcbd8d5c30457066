"""Benchmark: accuracy of each strategy against the plain model, on generated problems with answers.

The data are arithmetic and GSM-style word problems generated from templates with a fixed seed
(`benchmarks/datasets.py`); nothing is downloaded. Every strategy runs at the same completion
budget through the batch runner on one engine; answers are graded with the kernels' grader.
Reported per strategy: accuracy with a 95% Wilson interval, completion tokens per question,
engine requests per question, wall time.

    python benchmarks/bench_accuracy.py --n 30 --strategies plain,self_consistency,mars
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_throughput import bench_config
from benchmarks.datasets import generate
from benchmarks.harness import (
    RESULTS,
    ResultFile,
    common_args,
    describe_engine,
    main_on_engine,
    parse,
    wilson_interval,
)
from engine import ModelClient, Usage
from strategies import get_strategy, run_batch, strategy_names

DEFAULT_OUT = RESULTS / "accuracy.json"
SEED = 1  # not the throughput benchmark's questions


async def evaluate(client: ModelClient, strategy: str, n: int, max_tokens: int, concurrency: int) -> dict[str, Any]:
    """Accuracy and cost of one strategy on `n` generated problems."""
    items = generate(n, seed=SEED)
    optimizer = get_strategy(strategy, bench_config(strategy, max_tokens))
    usage = Usage()
    correct = graded = failures = 0
    start = time.perf_counter()
    async for result in run_batch(items, optimizer, client, concurrency=concurrency):
        if result.error is not None:
            failures += 1
            graded += 1  # a failure counts as a wrong answer
            continue
        usage = usage + result.usage
        graded += 1
        correct += bool(result.correct)
    wall = time.perf_counter() - start
    low, high = wilson_interval(correct, graded)
    return {
        "strategy": strategy,
        "n": n,
        "correct": correct,
        "accuracy": round(correct / graded, 4) if graded else 0.0,
        "ci95": [round(low, 4), round(high, 4)],
        "failures": failures,
        "completion_tokens_per_question": round(usage.completion_tokens / n, 1),
        "engine_requests_per_question": round(usage.requests / n, 2),
        "wall_s": round(wall, 2),
    }


async def run(client: ModelClient, args: argparse.Namespace) -> dict[str, Any]:
    strategies = strategy_names() if args.strategies == "all" else args.strategies.split(",")
    settings = {
        "benchmark": "accuracy",
        "engine": describe_engine(client),
        "data": f"benchmarks/datasets.py generate(n={args.n}, seed={SEED})",
        "seed": SEED,
        "max_tokens": args.max_tokens,
    }
    result = ResultFile(args, settings, "bench_accuracy.py")
    done = {r["strategy"] for r in result.rows}
    for strategy in strategies:
        if strategy in done:
            continue
        row = await evaluate(client, strategy, args.n, args.max_tokens, args.concurrency)
        result.add(row)
        if not args.quiet:
            print(
                f"{strategy:<18} accuracy {row['accuracy']:.1%} [{row['ci95'][0]:.1%}, {row['ci95'][1]:.1%}]  "
                f"{row['completion_tokens_per_question']:>7.1f} tok/q  {row['engine_requests_per_question']:>5.1f} req/q",
                flush=True,
            )
    return result.payload


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=30, help="problems")
    p.add_argument(
        "--strategies",
        default="plain,self_consistency,mars,beam_search,dvts,particle_filter",
        help="comma-separated, or 'all'",
    )
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--concurrency", type=int, default=64)
    return parse(common_args(p, DEFAULT_OUT), argv)


def main(argv: list[str] | None = None) -> int:
    return main_on_engine(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
