"""Benchmark: adaptive compute (stop once the answer is settled) against the fixed budget.

Each adaptive strategy runs against its fixed-budget version on the same generated questions
(`benchmarks/datasets.py generate(q, seed=0)`), with the same seed, on one engine, in one run:
- self_consistency: `--samples` drawn in waves of `--wave-size` until `kernels.stop_rule`
  settles the vote, against all of them in one request (`stop_when_settled=False`);
- deepconf (online): the consensus stop at `--consensus-threshold`, against none
  (`consensus_threshold=None`); both keep the per-trace confidence aborts;
- diverse_sampling: the temperature ladder in waves until the vote is settled, against the
  whole ladder in one call.
Reported per side: completion, prompt and cached prompt tokens per question, engine requests and
calls, wall time, accuracy with a 95% Wilson interval, and the share of questions that stopped
early; per strategy, agreement: the share of questions on which the adaptive run returns the
fixed run's `answer_key`, beside the agreement of the fixed run with itself under another seed
(`noise_agreement`): how often two fixed-budget runs agree at all, the ceiling any adaptive
rule can be held to on this model. All Q questions are in flight at once (as `bench_throughput`'s batched
mode); the prefix cache is reset before every measurement.

    python benchmarks/bench_adaptive.py --q 16 --samples 16 --max-tokens 256
    python benchmarks/bench_adaptive.py --smoke   # 2 questions, 8 samples, 16 tokens: the machinery only
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import generate
from benchmarks.harness import (
    RESULTS,
    ResultFile,
    add_smoke_argument,
    apply_smoke,
    common_args,
    describe_engine,
    main_on_engine,
    parse,
    reset_prefix_cache,
    wilson_interval,
)
from engine import ClientError, ModelClient, OptivllmError, TrackedClient
from kernels import is_correct
from strategies import BatchItem, Solution, get_strategy

DEFAULT_OUT = RESULTS / "adaptive.json"
SMOKE_OUT = RESULTS / "adaptive_smoke.json"
SEED = 0
STRATEGIES = ("self_consistency", "deepconf", "diverse_sampling")
SMOKE = {"q": 2, "samples": 8, "max_tokens": 16, "warmup_traces": 2, "wave_size": 4}


@dataclass(frozen=True)
class Pair:
    """One strategy's fixed-budget and adaptive configs (equal but for the stopping rule)."""

    strategy: str
    fixed: dict[str, Any]
    adaptive: dict[str, Any]

    @property
    def reseeded(self) -> dict[str, Any]:
        """The fixed config under another seed: how much the answer moves by sampling alone."""
        return {**self.fixed, "seed": SEED + 1000}


def pair_of(strategy: str, args: argparse.Namespace) -> Pair:
    """The two configs of `strategy` at this run's budget."""
    common: dict[str, Any] = {"max_tokens": args.max_tokens, "seed": SEED}
    if args.temperature is not None and strategy != "diverse_sampling":  # its ladder sets its own
        common["temperature"] = args.temperature
    if strategy == "deepconf":
        traces = {**common, "mode": "online", "traces": args.samples, "warmup_traces": args.warmup_traces}
        return Pair(
            strategy,
            {**traces, "consensus_threshold": None},
            {**traces, "consensus_threshold": args.consensus_threshold},
        )
    budget = {**common, "samples": args.samples}
    waves = {"stop_when_settled": True, "wave_size": args.wave_size, "stop_confidence": args.stop_confidence}
    return Pair(strategy, {**budget, "stop_when_settled": False}, {**budget, **waves})


def stopped_early(solution: Solution) -> bool:
    """Whether the run stopped before its budget: waves cut short, or traces aborted by consensus."""
    details = solution.metadata.details
    return bool(details.get("stopped_early") or details.get("consensus_aborted_traces"))


async def _solve(optimizer: Any, item: BatchItem, client: ModelClient) -> Solution | None:
    """One question; a recoverable failure is None (a dead engine is raised)."""
    try:
        solution: Solution = await optimizer.optimize(item.question, client, system=item.system)
    except OptivllmError as err:
        if isinstance(err, ClientError) and not err.recoverable:
            raise
        print(f"{item.id}: {type(err).__name__}: {err}", file=sys.stderr)
        return None
    return solution


async def measure(client: ModelClient, strategy: str, config: dict[str, Any], items: list[BatchItem]) -> dict[str, Any]:
    """One side: every question in flight at once on a fresh prefix cache."""
    await reset_prefix_cache(client)
    tracked = TrackedClient(client)
    optimizer = get_strategy(strategy, config)
    start = time.perf_counter()
    solutions = await asyncio.gather(*(_solve(optimizer, item, tracked) for item in items))
    wall = time.perf_counter() - start
    q, usage = len(items), tracked.stats.total
    answered = [s for s in solutions if s is not None]
    correct = sum(
        bool(s is not None and item.answer is not None and is_correct(s.answer, item.answer))
        for s, item in zip(solutions, items, strict=True)
    )
    low, high = wilson_interval(correct, q)
    return {
        "config": config,
        "n": q,
        "correct": correct,
        "accuracy": round(correct / q, 4) if q else 0.0,
        "ci95": [round(low, 4), round(high, 4)],
        "failures": q - len(answered),
        "completion_tokens_per_question": round(usage.completion_tokens / q, 1),
        "prompt_tokens_per_question": round(usage.prompt_tokens / q, 1),
        "cached_tokens_per_question": round(usage.cached_tokens / q, 1),
        "engine_requests": usage.requests,
        "engine_requests_per_question": round(usage.requests / q, 2),
        "aborted_requests": usage.aborted_requests,
        "engine_calls": tracked.calls,
        "wall_s": round(wall, 3),
        "question_wall_s_mean": round(sum(s.metadata.wall_s for s in answered) / max(len(answered), 1), 3),
        "stopped_early": round(sum(stopped_early(s) for s in answered) / q, 4) if q else 0.0,
        "answer_keys": [None if s is None else s.answer_key for s in solutions],
    }


def _agreeing(a: dict[str, Any], b: dict[str, Any]) -> int:
    """Questions on which two sides returned the same answer key."""
    return sum(x is not None and x == y for x, y in zip(a["answer_keys"], b["answer_keys"], strict=True))


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


async def compare(client: ModelClient, pair: Pair, items: list[BatchItem]) -> dict[str, Any]:
    """Fixed budget, then adaptive, on the same questions; agreement and savings."""
    fixed = await measure(client, pair.strategy, pair.fixed, items)
    adaptive = await measure(client, pair.strategy, pair.adaptive, items)
    reseeded = await measure(client, pair.strategy, pair.reseeded, items)
    agreeing = _agreeing(adaptive, fixed)
    low, high = wilson_interval(agreeing, len(items))
    return {
        "strategy": pair.strategy,
        "fixed": fixed,
        "adaptive": adaptive,
        "agreeing": agreeing,
        "agreement": round(agreeing / len(items), 4) if items else 0.0,
        "agreement_ci95": [round(low, 4), round(high, 4)],
        "noise_agreement": round(_agreeing(reseeded, fixed) / len(items), 4) if items else 0.0,
        "reseeded_answer_keys": reseeded["answer_keys"],
        "completion_tokens_ratio": _ratio(
            adaptive["completion_tokens_per_question"], fixed["completion_tokens_per_question"]
        ),
        "requests_ratio": _ratio(adaptive["engine_requests"], fixed["engine_requests"]),
        "wall_ratio": _ratio(adaptive["wall_s"], fixed["wall_s"]),
    }


async def run(
    client: ModelClient,
    args: argparse.Namespace,
    *,
    describe: Callable[[Any], dict[str, Any]] = describe_engine,
) -> dict[str, Any]:
    """Every strategy's pair on `client`; writes and returns the payload (`describe` names the engine)."""
    settings = {
        "benchmark": "adaptive",
        "engine": describe(client),
        "data": f"benchmarks/datasets.py generate(n={args.q}, seed={SEED})",
        "seed": SEED,
        "q": args.q,
        "samples": args.samples,
        "max_tokens": args.max_tokens,
        "wave_size": args.wave_size,
        "stop_confidence": args.stop_confidence,
        "consensus_threshold": args.consensus_threshold,
        "warmup_traces": args.warmup_traces,
        "temperature": args.temperature,
    }
    result = ResultFile(args, settings, "bench_adaptive.py")
    done = {r["strategy"] for r in result.rows}
    items = generate(args.q, seed=SEED)
    for strategy in args.strategies:
        if strategy in done:
            continue
        row = await compare(client, pair_of(strategy, args), items)
        result.add(row)
        if not args.quiet:
            print(_line(row), flush=True)
    return result.payload


def _line(row: dict[str, Any]) -> str:
    f, a = row["fixed"], row["adaptive"]
    return (
        f"{row['strategy']:<17} tok/q {f['completion_tokens_per_question']:>7.1f} -> "
        f"{a['completion_tokens_per_question']:>7.1f}  req {f['engine_requests']:>4} -> {a['engine_requests']:<4} "
        f"wall {f['wall_s']:>6.1f}s -> {a['wall_s']:>6.1f}s  acc {f['accuracy']:.0%} -> {a['accuracy']:.0%}  "
        f"stopped early {a['stopped_early']:.0%}  agreement {row['agreement']:.0%} "
        f"(fixed vs reseeded fixed {row['noise_agreement']:.0%})"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strategies", default=",".join(STRATEGIES), help=f"comma-separated, of {', '.join(STRATEGIES)}")
    p.add_argument("--q", type=int, default=16, help="questions")
    p.add_argument("--samples", type=int, default=16, help="the budget: samples (deepconf: traces) per question")
    p.add_argument("--max-tokens", type=int, default=256, help="completion budget per sample")
    p.add_argument("--wave-size", type=int, default=4, help="samples per wave of the adaptive runs")
    p.add_argument("--stop-confidence", type=float, default=0.95, help="the Beta rule's confidence")
    p.add_argument("--consensus-threshold", type=float, default=0.95, help="deepconf's consensus stop (tau)")
    p.add_argument("--warmup-traces", type=int, default=4, help="deepconf's warm-up traces")
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="sampling temperature of self_consistency and deepconf (default: theirs; diverse_sampling keeps its ladder)",
    )
    add_smoke_argument(p, SMOKE, SMOKE_OUT)
    args = parse(common_args(p, DEFAULT_OUT), argv)
    apply_smoke(args, SMOKE, DEFAULT_OUT, SMOKE_OUT)
    args.strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = sorted(set(args.strategies) - set(STRATEGIES))
    if unknown or not args.strategies:
        p.error(f"--strategies: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(STRATEGIES)}")
    if min(args.q, args.samples, args.max_tokens, args.wave_size, args.warmup_traces) < 1:
        p.error("--q, --samples, --max-tokens, --wave-size and --warmup-traces must be >= 1")
    if "deepconf" in args.strategies and args.warmup_traces > args.samples:
        p.error(f"--warmup-traces ({args.warmup_traces}) must be <= --samples ({args.samples})")
    if not 0.5 < args.stop_confidence < 1.0:
        p.error(f"--stop-confidence must be in (0.5, 1), got {args.stop_confidence}")
    if not 0.5 < args.consensus_threshold <= 1.0:
        p.error(f"--consensus-threshold must be in (0.5, 1], got {args.consensus_threshold}")
    return args


def main(argv: list[str] | None = None) -> int:
    return main_on_engine(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
