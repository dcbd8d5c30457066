"""Benchmark: MARS verification with the engine's prefix cache on and off, on the same prompts.

1) On one engine (prefix caching on) the exploration phase answers Q questions with 3 agents.
2) The verification round for those solutions (cross-agent, 2 passes each, greedy so both runs
   generate the same tokens) runs on that engine after a cache reset, then on a second engine
   started with `enable_prefix_caching=False`. Reported per run: prompt tokens, prompt tokens
   served from the cache, prefill tokens computed, wall time, hit rate.
Target on the default model: at least 50% of verification prompt tokens served from the cache.

    python benchmarks/bench_prefix_cache.py --q 8
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import generate
from benchmarks.harness import RESULTS, common_args, describe_engine, parse, write_result
from engine import ModelClient, Sampling, TrackedClient
from strategies.blocks.prompts import solve_prompt
from strategies.blocks.verify import cross_assignments, verify_batch
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution

DEFAULT_OUT = RESULTS / "prefix_cache.json"
SEED = 0
TEMPERATURES = (0.3, 0.6, 1.0)
PASSES = 2

Work = list[tuple[str, list[Solution]]]


async def explore(client: ModelClient, questions: list[str], max_tokens: int) -> Work:
    """MARS's exploration for every question: 3 agents at 3 temperatures, one batch."""
    samplings = [Sampling(temperature=t, max_tokens=max_tokens, seed=SEED + i) for i, t in enumerate(TEMPERATURES)]

    async def one(question: str) -> tuple[str, list[Solution]]:
        prompts = [solve_prompt(question)] * len(TEMPERATURES)
        run = Run.start(question, client, StrategyConfig())
        return question, await run.solutions("exploration", prompts, samplings)

    return list(await asyncio.gather(*(one(q) for q in questions)))


async def verify_all(client: ModelClient, work: Work, max_tokens: int) -> dict[str, Any]:
    """One verification round for every question at once; usage as the engine reports it."""
    tracked = TrackedClient(client)
    agents = [f"agent-{i}" for i in range(len(TEMPERATURES))]
    sampling = Sampling(temperature=0.0, max_tokens=max_tokens)
    start = time.perf_counter()
    await asyncio.gather(
        *(
            verify_batch(
                Run.start(q, tracked, StrategyConfig()),
                sols,
                cross_assignments(list(range(len(sols))), agents, PASSES),
                sampling=sampling,
            )
            for q, sols in work
        )
    )
    wall = time.perf_counter() - start
    u = tracked.stats.total
    return {
        "requests": u.requests,
        "prompt_tokens": u.prompt_tokens,
        "cached_tokens": u.cached_tokens,
        "prefill_tokens_computed": u.prompt_tokens - u.cached_tokens,
        "completion_tokens": u.completion_tokens,
        "cache_hit_rate": round(u.cache_hit_rate, 4),
        "wall_s": round(wall, 3),
    }


async def measure_on(client: ModelClient, args: argparse.Namespace) -> tuple[Work, dict[str, Any]]:
    questions = [item.question for item in generate(args.q, seed=SEED)]
    work = await explore(client, questions, args.max_tokens)
    await client.reset_prefix_cache()  # type: ignore[attr-defined]
    return work, await verify_all(client, work, args.verify_max_tokens)


async def run(args: argparse.Namespace, start_client: Callable[..., Any], on_client: Any = None) -> dict[str, Any]:
    """Both measurements; `start_client(**overrides)` starts an engine (the 'off' one, and the
    'on' one unless `on_client` is given). Writes and returns the payload."""
    owned = on_client is None
    on_client = on_client or start_client()
    try:
        engine = describe_engine(on_client)
        work, on = await measure_on(on_client, args)
    finally:
        if owned:
            on_client.close()
    with start_client(enable_prefix_caching=False) as off_client:
        off = await verify_all(off_client, work, args.verify_max_tokens)
    payload = {
        "benchmark": "prefix_cache",
        "engine": engine,
        "seed": SEED,
        "q": args.q,
        "agents": len(TEMPERATURES),
        "passes": PASSES,
        "max_tokens": args.max_tokens,
        "verify_max_tokens": args.verify_max_tokens,
        "on": on,
        "off": off,
        "prefill_saved": round(1 - on["prefill_tokens_computed"] / max(off["prefill_tokens_computed"], 1), 4),
        "wall_ratio_off_over_on": round(off["wall_s"] / on["wall_s"], 3) if on["wall_s"] else None,
        "target_hit_rate": 0.5,
        "command": "python benchmarks/bench_prefix_cache.py " + " ".join(args.argv),
    }
    write_result(args.out, payload)
    return payload


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--q", type=int, default=8, help="questions")
    p.add_argument("--max-tokens", type=int, default=128, help="exploration completion budget")
    p.add_argument("--verify-max-tokens", type=int, default=48, help="review completion budget")
    return parse(common_args(p, DEFAULT_OUT), argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from engine import VLLMClient

    payload = asyncio.run(run(args, lambda **overrides: VLLMClient(args.model, **overrides)))
    on, off = payload["on"], payload["off"]
    print(
        f"verification of {payload['q']} questions: cache on {on['wall_s']} s, hit rate {on['cache_hit_rate']:.0%}, "
        f"prefill {on['prefill_tokens_computed']} tokens; off {off['wall_s']} s, prefill {off['prefill_tokens_computed']}"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
