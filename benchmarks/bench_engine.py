"""Benchmark: the engine's raw speed on this machine for each candidate configuration.

The figures behind optivllm's per-machine defaults (`engine.hardware`): for every candidate
(dtype x CPU thread setting x KV block size; the rows record the block size the engine
ran with), one fresh engine process measures
- `prefill`: 16 distinct prompts of ~580 tokens, 1 completion token each (prompt tok/s);
- `decode_b1` / `decode_b16`: 1 and 16 short prompts, every completion forced to
  `--decode-tokens` tokens (completion tok/s);
- `mars_like`: MARS-shaped traffic, Q questions x 12 requests in one batch; each request is the
  question's shared ~250-token prefix plus its own ~60-token tail, completions forced to 32
  tokens (wall time, prefill computed, cache hit rate).
The prefix cache is reset before each measurement; prompts are synthetic and seeded, so
every candidate sees the same tokens. The result file names the CPU (model and flags), the
engine version and which candidate optivllm's defaults pick on this machine.

    python benchmarks/bench_engine.py                       # dtype x threads, this machine
    python benchmarks/bench_engine.py --resume --dtypes bfloat16,float32 --threads all-cores --block-sizes 32,64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import RESULTS, ResultFile, common_args, describe_engine, parse
from engine import ModelClient, Prompt, Sampling, cpu_info, load_registry, resolve_dtype
from engine.hardware import CPU_BLOCK_SIZE, THREAD_ENV, cpu_thread_settings

DEFAULT_OUT = RESULTS / "engine.json"
SEED = 0

THREADS: dict[str, dict[str, Any]] = {
    # vLLM's own default on x86: one core reserved for the front end and scheduler
    "vllm-default": {"cpu_reserved_cores": 1, "cpu_threads_bind": "auto"},
    # the worker bound to every core; the front end shares them
    "all-cores": {"cpu_reserved_cores": 0, "cpu_threads_bind": "auto"},
    # no binding: OpenMP threads float over all cores
    "nobind": {"cpu_reserved_cores": 0, "cpu_threads_bind": "nobind"},
}

_WORDS = (
    "the a of to and in is for on with as by at from that this be are was it an or which have "
    "train apple river number store price total each more than less half twice between after before "
    "farmer basket ticket coin minute hour mile box red blue green small large first second third"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _sized(client: ModelClient, rng: random.Random, tokens: int, prefix: str = "") -> Prompt:
    """A user prompt of about `tokens` tokens (the chat template included)."""
    words = max(1, tokens * 3 // 4)
    while True:
        prompt = Prompt.user(prefix + _text(rng, words))
        have = client.count_prompt_tokens(prompt)
        if have >= tokens - 8:
            return prompt
        words += max(1, (tokens - have) * 3 // 4)


async def _timed(client: ModelClient, prompts: list[Prompt], samplings: list[Sampling]) -> tuple[float, Any]:
    reset = getattr(client, "reset_prefix_cache", None)
    if reset is not None:
        await reset()
    client.reset_stats()
    start = time.perf_counter()
    await client.generate(prompts, samplings)
    return time.perf_counter() - start, client.stats.total


def _forced(tokens: int, temperature: float = 0.7, seed: int | None = None) -> Sampling:
    return Sampling(temperature=temperature, max_tokens=tokens, min_tokens=tokens, seed=seed)


async def measure(client: ModelClient, *, decode_tokens: int, mars_questions: int) -> dict[str, Any]:
    """The four measurements on one engine."""
    rng = random.Random(SEED)
    await client.generate([Prompt.user("warm up")], Sampling(max_tokens=4))
    row: dict[str, Any] = {}

    prompts = [_sized(client, rng, 580) for _ in range(16)]
    wall, usage = await _timed(client, prompts, [_forced(1)] * 16)
    row["prefill"] = {"wall_s": round(wall, 3), "prompt_tokens": usage.prompt_tokens}
    row["prefill"]["prompt_tok_s"] = round(usage.prompt_tokens / wall, 1)

    for batch in (1, 16):
        short = [_sized(client, rng, 32) for _ in range(batch)]
        wall, usage = await _timed(client, short, [_forced(decode_tokens, seed=i) for i in range(batch)])
        row[f"decode_b{batch}"] = {
            "wall_s": round(wall, 3),
            "completion_tokens": usage.completion_tokens,
            "completion_tok_s": round(usage.completion_tokens / wall, 1),
        }

    mixed: list[Prompt] = []
    for _ in range(mars_questions):
        shared = _text(rng, 190) + "\n\n"
        mixed += [_sized(client, rng, 310, prefix=shared) for _ in range(12)]
    samplings = [_forced(32, temperature=0.3 + 0.05 * (i % 12), seed=i) for i in range(len(mixed))]
    wall, usage = await _timed(client, mixed, samplings)
    row["mars_like"] = {
        "requests": usage.requests,
        "wall_s": round(wall, 3),
        "prompt_tokens": usage.prompt_tokens,
        "computed_prompt_tokens": usage.prompt_tokens - usage.cached_tokens,
        "cache_hit_rate": round(usage.cache_hit_rate, 4),
        "completion_tok_s": round(usage.completion_tokens / wall, 1),
    }
    return row


def _child(spec: dict[str, Any]) -> int:
    """Run one candidate in this (fresh) process and print its row as the last stdout line."""
    from engine import VLLMClient

    registry = load_registry()
    entry = registry.get(spec["model"]).model_copy(update={"dtype": spec["dtype"], **THREADS[spec["threads"]]})
    overrides = {"block_size": spec["block_size"]} if spec["block_size"] else {}
    start = time.perf_counter()
    with VLLMClient(entry, **overrides) as client:
        started = time.perf_counter() - start
        row = asyncio.run(measure(client, decode_tokens=spec["decode_tokens"], mars_questions=spec["mars_questions"]))
        row["engine"] = describe_engine(client)
        row["block_size"] = client.block_size
    row["engine_start_s"] = round(started, 1)
    print("ROW " + json.dumps(row), flush=True)
    return 0


def _run_candidate(spec: dict[str, Any], log: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    with log.open("a") as out:
        out.write(f"\n=== {json.dumps(spec)}\n")
        out.flush()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            env=env,
            check=False,
        )
    rows = [line[4:] for line in proc.stdout.splitlines() if line.startswith("ROW ")]
    if proc.returncode != 0 or not rows:
        raise RuntimeError(f"candidate {spec} failed (exit {proc.returncode}); see {log}")
    return dict(json.loads(rows[-1]))


def default_candidate(model: str | None) -> dict[str, Any]:
    """What optivllm's defaults choose on this machine, in this benchmark's terms."""
    entry = load_registry().get(model)
    cpu = cpu_info()
    env = cpu_thread_settings(cpu, reserved=entry.cpu_reserved_cores, bind=entry.cpu_threads_bind)
    if env.get("VLLM_CPU_OMP_THREADS_BIND") == "nobind":
        threads = "nobind"
    elif env.get("VLLM_CPU_NUM_OF_RESERVED_CPU") == "0":
        threads = "all-cores"
    else:
        threads = "vllm-default"
    dtype = resolve_dtype(entry.dtype, on_cpu=True, cpu=cpu).dtype
    return {"dtype": dtype, "threads": threads, "block_size": entry.engine.get("block_size", CPU_BLOCK_SIZE)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    cpu = cpu_info()
    settings = {
        "benchmark": "engine",
        "cpu": {"model": cpu.model, "arch": cpu.arch, "cores": cpu.cores, "flags": cpu.isa_flags},
        "seed": SEED,
        "decode_tokens": args.decode_tokens,
        "mars_questions": args.mars_questions,
        "model": args.model or load_registry().default,
    }
    result = ResultFile(args, settings, "bench_engine.py")
    result.payload["optivllm_default"] = default_candidate(args.model)
    log = args.out.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["dtype"], r["threads"], r["block_size"]) for r in result.rows}
    default_block = CPU_BLOCK_SIZE
    for dtype in args.dtypes.split(","):
        for threads in args.threads.split(","):
            for block in [int(b) if b != "default" else default_block for b in args.block_sizes.split(",")]:
                if (dtype, threads, block) in done:
                    continue
                spec = {
                    "model": args.model,
                    "dtype": dtype,
                    "threads": threads,
                    "block_size": block,
                    "decode_tokens": args.decode_tokens,
                    "mars_questions": args.mars_questions,
                }
                measured = _run_candidate(spec, log)
                row = {"dtype": dtype, "threads": threads, **measured}
                result.add(row)
                if not args.quiet:
                    print(_line(row), flush=True)
    return result.payload


def _line(row: dict[str, Any]) -> str:
    m = row["mars_like"]
    return (
        f"{row['dtype']:<9} {row['threads']:<13} block={row['block_size']:<4} "
        f"prefill {row['prefill']['prompt_tok_s']:>7.1f} tok/s  decode b1 {row['decode_b1']['completion_tok_s']:>6.1f}"
        f"  b16 {row['decode_b16']['completion_tok_s']:>6.1f}  mars-like {m['wall_s']:>6.1f}s "
        f"(computed prefill {m['computed_prompt_tokens']}, hit {m['cache_hit_rate']:.0%})"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dtypes", default="bfloat16,float32", help="comma-separated dtypes")
    p.add_argument("--threads", default=",".join(THREADS), help=f"comma-separated, of {', '.join(THREADS)}")
    p.add_argument(
        "--block-sizes", default="default", help="comma-separated KV block sizes ('default': optivllm's CPU default)"
    )
    p.add_argument("--decode-tokens", type=int, default=64, help="forced completion length of the decode runs")
    p.add_argument("--mars-questions", type=int, default=4, help="questions of 12 requests in the mixed run")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = parse(common_args(p, DEFAULT_OUT), argv)
    unknown = set(args.threads.split(",")) - set(THREADS)
    if unknown:
        p.error(f"unknown --threads {sorted(unknown)}; choose from {', '.join(THREADS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        return _child(json.loads(args.child))
    run(args)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
