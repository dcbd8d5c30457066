"""Benchmark: strategy throughput in three modes on one engine, and how it scales with Q.

For each strategy and each Q (questions), on the same engine in one run:
- `batched`: optivllm as designed: all Q queries in flight, every fan-out one engine call;
- `sequential`: the same strategy and prompts, one engine request at a time and one query after
  another: a deliberately naive baseline. It is not what optillm does (optillm fans its calls
  out on thread pools and a vLLM server batches them); `bench_vs_optillm.py` measures that;
- `limit`: the requests `batched` made, replayed in ONE `generate` call with the same prompts and
  their completion lengths forced (min_tokens = max_tokens = recorded length): no strategy
  logic, no phase barriers: the ceiling this engine can reach for that work.
Reported: wall time, questions/s, completion tokens/s, engine requests, prefix-cache hit rate,
`speedup` = sequential wall / batched wall, `efficiency` = limit wall / batched wall.
The prefix cache is reset before every measurement.

    python benchmarks/bench_throughput.py --strategies mars --q 1,4,16
    python benchmarks/bench_throughput.py --strategies all --q 4 --out benchmarks/results/throughput_all.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import generate
from benchmarks.harness import (
    RESULTS,
    RecordingClient,
    ResultFile,
    SequentialClient,
    common_args,
    describe_engine,
    main_on_engine,
    parse,
    replay_as_one_batch,
    reset_prefix_cache,
)
from engine import ModelClient, Usage
from strategies import BatchItem, build_config, get_strategy, run_batch, strategy_names
from strategies.cli import add_set_argument, parse_settings

DEFAULT_OUT = RESULTS / "throughput.json"
SEED = 0


def bench_config(strategy: str, max_tokens: int, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The strategy's config at this benchmark's token budget (verification gets half).

    `settings` (from `--set`) apply to the strategies whose config has the field.
    """
    fields = type(build_config(strategy)).model_fields
    config: dict[str, Any] = {"max_tokens": max_tokens}
    for key in ("verify_max_tokens", "rating_max_tokens", "critique_max_tokens"):
        if key in fields:
            config[key] = max(16, max_tokens // 2)
    config.update({k: v for k, v in (settings or {}).items() if k in fields})
    return config


def _mode(wall: float, q: int, usage: Usage, failures: int, calls: int) -> dict[str, Any]:
    return {
        "engine_calls": calls,
        "wall_s": round(wall, 3),
        "questions_per_s": round(q / wall, 4) if wall else 0.0,
        "completion_tokens": usage.completion_tokens,
        "completion_tokens_per_s": round(usage.completion_tokens / wall, 2) if wall else 0.0,
        "engine_requests": usage.requests,
        "prompt_tokens": usage.prompt_tokens,
        "cached_tokens": usage.cached_tokens,
        "cache_hit_rate": round(usage.cache_hit_rate, 4),
        "failures": failures,
    }


async def _run(
    items: list[BatchItem], strategy: str, config: dict[str, Any], client: ModelClient, concurrency: int
) -> tuple[float, int]:
    optimizer = get_strategy(strategy, config)
    start = time.perf_counter()
    failures = sum([r.error is not None async for r in run_batch(items, optimizer, client, concurrency=concurrency)])
    return time.perf_counter() - start, failures


async def measure(
    client: ModelClient,
    strategy: str,
    q: int,
    *,
    max_tokens: int,
    sequential: bool = True,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The three modes for one strategy at one Q."""
    items = generate(q, seed=SEED)
    config = bench_config(strategy, max_tokens, settings)

    # 1) batched: every query in flight, as optivllm runs them
    await reset_prefix_cache(client)
    recording = RecordingClient(client)
    wall, failures = await _run(items, strategy, config, recording, concurrency=q)
    row: dict[str, Any] = {"strategy": strategy, "q": q, "config": config}
    row["batched"] = _mode(wall, q, recording.stats.total, failures, recording.calls)

    # 2) limit: the same requests and lengths, one engine call, no strategy in between
    await reset_prefix_cache(client)
    replay = RecordingClient(client)
    limit_wall, _ = await replay_as_one_batch(replay, recording.recorded)
    row["limit"] = _mode(limit_wall, q, replay.stats.total, 0, replay.calls)
    row["efficiency"] = round(limit_wall / wall, 3) if wall else None

    # 3) sequential: one request at a time, one query after another
    if sequential:
        await reset_prefix_cache(client)
        serial = SequentialClient(client)
        seq_wall, seq_failures = await _run(items, strategy, config, serial, concurrency=1)
        row["sequential"] = _mode(seq_wall, q, serial.stats.total, seq_failures, serial.calls)
        row["speedup"] = round(seq_wall / wall, 3) if wall else None
        row["speedup_tokens_per_s"] = round(
            row["batched"]["completion_tokens_per_s"] / max(row["sequential"]["completion_tokens_per_s"], 1e-9), 3
        )
    return row


async def run(client: ModelClient, args: argparse.Namespace) -> dict[str, Any]:
    """Every (strategy, Q) row of the benchmark on `client`; writes and returns the payload."""
    strategies = strategy_names() if args.strategies == "all" else args.strategies.split(",")
    qs = [int(x) for x in args.q.split(",")]
    settings = {
        "benchmark": "throughput",
        "settings": args.settings,
        "engine": describe_engine(client),
        "seed": SEED,
        "max_tokens": args.max_tokens,
    }
    result = ResultFile(args, settings, "bench_throughput.py")
    done = {(r["strategy"], r["q"]) for r in result.rows}
    result.payload["qs"] = sorted({*qs, *(q for _, q in done)})
    for strategy in strategies:
        for q in qs:
            if (strategy, q) in done:
                continue
            row = await measure(
                client,
                strategy,
                q,
                max_tokens=args.max_tokens,
                sequential=q <= args.sequential_max_q,
                settings=args.settings,
            )
            result.add(row)
            if not args.quiet:
                print(_line(row), flush=True)
    return result.payload


def _line(row: dict[str, Any]) -> str:
    b, lim = row["batched"], row["limit"]
    text = (
        f"{row['strategy']:<16} Q={row['q']:<3} batched {b['wall_s']:>7.1f}s {b['questions_per_s']:>6.3f} q/s "
        f"{b['completion_tokens_per_s']:>6.1f} tok/s req={b['engine_requests']:<4} hit={b['cache_hit_rate']:.0%}  "
        f"limit {lim['wall_s']:>6.1f}s eff={row['efficiency']}"
    )
    if "sequential" in row:
        text += f"  sequential {row['sequential']['wall_s']:>7.1f}s speedup={row['speedup']}x"
    return text


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--strategies", default="mars,beam_search,dvts,particle_filter", help="comma-separated names, or 'all'"
    )
    p.add_argument("--q", default="1,4,16", help="comma-separated question counts")
    p.add_argument("--max-tokens", type=int, default=96, help="completion budget per response")
    p.add_argument("--sequential-max-q", type=int, default=16, help="skip the sequential mode above this Q")
    add_set_argument(p, "a strategy setting (TOML value) for every strategy that has it: --set preset=lightweight")
    args = parse(common_args(p, DEFAULT_OUT), argv)
    args.settings = parse_settings(args.overrides)
    return args


def main(argv: list[str] | None = None) -> int:
    return main_on_engine(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
