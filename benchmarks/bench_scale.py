"""Benchmark: questions/s of one batch spread over 1, 2, ... engine replicas on Ray.

For each replica count N the same Q generated questions (`benchmarks/datasets.py
generate(q, seed=0)`) run through `RayReplicas` (one Ray actor, one engine per replica, each
with `--concurrency` questions in flight), on a local Ray instance the script starts, or on a
cluster with `--ray-address`. Reported per N: the replicas' start time (not in the rate), the
batch's wall time, questions/s, engine requests, failures, how many questions each replica
answered and where each ran; `scaling` is questions/s at N over questions/s at the first N.

On a GPU cluster, pass `--replicas 1,<GPUs>`: each replica holds its entry's
tensor_parallel_size x data_parallel_size GPUs. On a CPU-only machine the cores are shared out:
N replicas get the machine's cores / N each (`--cpus-per-replica`), so the figure says whether N
smaller engines beat one engine on all the cores, not what N machines would do.

    python benchmarks/bench_scale.py --replicas 1,2 --q 32 --strategies plain
    python benchmarks/bench_scale.py --ray-address auto --replicas 1,8 --model qwen2.5-7b-instruct
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_throughput import bench_config
from benchmarks.datasets import generate
from benchmarks.harness import RESULTS, ResultFile, common_args, describe_engine, failed, parse, whole_numbers
from engine import ModelEntry, OptivllmError, load_registry, resolve_dtype
from strategies import BatchItem, RayReplicas, RaySettings, strategy_names

DEFAULT_OUT = RESULTS / "scale.json"
SEED = 0


async def measure(
    pool: RayReplicas, items: list[BatchItem], strategy: str, config: dict[str, Any], concurrency: int
) -> dict[str, Any]:
    """One batch through `pool`: its row (without the start time)."""
    before = [s.finished for s in pool.stats()]
    start = time.perf_counter()
    results = [r async for r in pool.run(items, strategy, config=config, concurrency=concurrency)]
    wall = time.perf_counter() - start
    done = [r for r in results if r.ok]
    return {
        "replicas": pool.replicas,
        "strategy": strategy,
        "q": len(items),
        "concurrency": concurrency,
        "config": config,
        "wall_s": round(wall, 3),
        "questions_per_s": round(len(items) / wall, 4) if wall else 0.0,
        "engine_requests": sum(r.usage.requests for r in done),
        "completion_tokens": sum(r.usage.completion_tokens for r in done),
        "failures": len(results) - len(done),
        "answered_by_replica": [s.finished - b for s, b in zip(pool.stats(), before, strict=True)],
        "placement": [
            {"host": s.host, "cores": s.cores, "gpus": s.gpus} if not s.gpus else {"host": s.host, "gpus": s.gpus}
            for s in pool.stats()
        ],
    }


def describe(entry: ModelEntry, device: str) -> dict[str, Any]:
    """Model, device and versions, as the driver sees them (the engines run in the replicas)."""
    info = describe_engine(None)  # versions, and this machine's CPU
    info.update(
        model=entry.name,
        model_source=entry.source,
        device=device,
        dtype=resolve_dtype(entry.dtype, on_cpu=device == "cpu").dtype,
    )
    return info


def run(args: argparse.Namespace) -> dict[str, Any]:
    entry = load_registry().get(args.model)
    items = generate(args.q, seed=SEED)
    settings = {
        "benchmark": "scale",
        "seed": SEED,
        "q": args.q,
        "max_tokens": args.max_tokens,
        "settings": args.settings,
    }
    result = ResultFile(args, settings, "bench_scale.py")
    done = {(r["strategy"], r["replicas"]) for r in result.rows}
    for n in args.replicas:
        if all((s, n) in done for s in args.strategies):
            continue
        ray = RaySettings(replicas=n, address=args.ray_address, cpus_per_replica=args.cpus_per_replica)
        start = time.perf_counter()
        with RayReplicas(entry, settings=ray) as pool:
            start_s = round(time.perf_counter() - start, 3)
            result.payload.setdefault("engine", describe(entry, pool.device))
            for strategy in args.strategies:
                if (strategy, n) in done:
                    continue
                config = bench_config(strategy, args.max_tokens, args.settings)
                row = {**asyncio.run(measure(pool, items, strategy, config, args.concurrency)), "start_s": start_s}
                base = next((r for r in result.rows if r["strategy"] == strategy), row)
                row["scaling"] = (
                    round(row["questions_per_s"] / base["questions_per_s"], 3) if base["questions_per_s"] else None
                )
                result.add(row)
                if not args.quiet:
                    print(_line(row), flush=True)
    return result.payload


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['strategy']:<16} replicas={row['replicas']:<3} {row['questions_per_s']:>8.3f} q/s "
        f"(x{row['scaling']}) start {row['start_s']:.0f}s answered {row['answered_by_replica']} failures={row['failures']}"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    from strategies.cli import add_set_argument, parse_settings

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=whole_numbers, default=[1, 2], help="comma-separated replica counts")
    p.add_argument("--strategies", default="plain", help="comma-separated names")
    p.add_argument("--q", type=int, default=32, help="questions per measurement")
    p.add_argument("--max-tokens", type=int, default=64, help="completion budget per response")
    p.add_argument("--concurrency", type=int, default=64, help="questions in flight per replica")
    p.add_argument("--ray-address", help="an existing cluster ('auto' or host:port); default: a local Ray instance")
    p.add_argument("--cpus-per-replica", type=int, help="CPUs per CPU replica (default: shared out evenly)")
    add_set_argument(p, "a strategy setting (TOML value) for every strategy that has it")
    args = parse(common_args(p, DEFAULT_OUT), argv)
    args.strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = sorted(set(args.strategies) - set(strategy_names()))
    if unknown or not args.strategies:
        p.error(
            f"--strategies: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(strategy_names())}"
        )
    if min(args.q, args.max_tokens, args.concurrency) < 1:
        p.error("--q, --max-tokens and --concurrency must be >= 1")
    args.settings = parse_settings(args.overrides)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except OptivllmError as err:
        return failed(args, err)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
