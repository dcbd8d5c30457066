"""Benchmark: questions through `optivllm serve` (HTTP, streamed, the `openai` client) against
`run_batch` in process, on the same engine, at client concurrency 1, 8 and 32.

For each strategy and each concurrency C, the same Q generated questions
(`benchmarks/datasets.py generate(q, seed=0)`) run twice on one engine, in one run:
- `served`: the server's app (`strategies.serve.create_app`, as `optivllm serve` builds it) on
  uvicorn on 127.0.0.1 in this process and event loop, with C `openai` streaming clients at a
  time. Per request: the time to the first byte (the first server-sent event, the assistant's
  role), the time to the first answer token (the first non-empty `delta.content`) and the whole
  latency; the engine requests come from the `optivllm` record of the last chunk;
- `in_process`: `run_batch` with `concurrency=C` on the same client: no HTTP, no JSON.
Reported: wall time, questions/s, latency (mean, p50, p90), engine requests, completion
tokens (the work done: an adaptive strategy such as MARS may do more for one question in one
mode than in the other), failures, and `overhead` = served wall / in-process wall. Use a Q of
a few times C for such strategies: with one wave the wall time is the slowest question's. The clients share the server's process and cores,
so on a small CPU the overhead includes the clients' own work. The prefix cache is reset
before every measurement. Token budgets as `bench_throughput` (verification gets half).

    python benchmarks/bench_serve.py --strategies plain,mars --concurrency 1,8,32 --q 32
    python benchmarks/bench_serve.py --smoke   # 2 questions, C = 1, 2, 16 tokens: the machinery only
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_throughput import bench_config
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
    whole_numbers,
)
from engine import ModelClient
from strategies import BatchItem, get_strategy, run_batch, strategy_names
from strategies.cli import add_set_argument, parse_settings

DEFAULT_OUT = RESULTS / "serve.json"
SMOKE_OUT = RESULTS / "serve_smoke.json"
SEED = 0
SMOKE = {"q": 2, "concurrency": [1, 2], "max_tokens": 16}


@dataclass(frozen=True)
class Timing:
    """One streamed request as its client saw it (None: it never came)."""

    first_byte_s: float | None
    first_token_s: float | None
    latency_s: float
    engine_requests: int
    completion_tokens: int
    failed: bool


def _served_name(client: ModelClient) -> str:
    entry = getattr(client, "entry", None)
    return str(entry.name) if entry is not None else "scripted"


@asynccontextmanager
async def serving(client: ModelClient, max_in_flight: int, stream_interval: int = 1) -> AsyncIterator[str]:
    """The server's app on `client`, on uvicorn in this event loop on a free port: its base URL."""
    import uvicorn

    from strategies.serve import ServeSettings, create_app
    from strategies.serve.server import bind, url_of

    # as `optivllm serve` runs a VLLMClient: no merging, the engine batches concurrent calls itself
    settings = ServeSettings(max_in_flight=max_in_flight, share_batches=False, stream_interval=stream_interval)
    app = create_app(client, model=_served_name(client), settings=settings)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # the server failed to start: say why
        await asyncio.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task


async def _ask(api: Any, model: str, item: BatchItem, config: dict[str, Any]) -> Timing:
    start = time.perf_counter()
    first_byte = first_token = None
    requests = tokens = 0
    try:
        stream = await api.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": item.question}],
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"optivllm": {"config": config}},
        )
        async for chunk in stream:
            now = time.perf_counter() - start
            first_byte = now if first_byte is None else first_byte
            if first_token is None and chunk.choices and chunk.choices[0].delta.content:
                first_token = now
            info = (chunk.model_extra or {}).get("optivllm") or {}
            requests = info.get("engine_requests", requests)
            tokens = chunk.usage.completion_tokens if chunk.usage is not None else tokens
    except Exception:  # a failed request is counted as a failure; the benchmark goes on
        return Timing(first_byte, first_token, time.perf_counter() - start, requests, tokens, failed=True)
    return Timing(first_byte, first_token, time.perf_counter() - start, requests, tokens, failed=False)


async def through_server(
    base_url: str, model: str, items: list[BatchItem], concurrency: int, config: dict[str, Any]
) -> tuple[float, list[Timing]]:
    """Every item through the server, `concurrency` clients at a time: (wall seconds, timings)."""
    from openai import AsyncOpenAI

    api = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=None)
    gate = asyncio.Semaphore(concurrency)

    async def one(item: BatchItem) -> Timing:
        async with gate:
            return await _ask(api, model, item, config)

    start = time.perf_counter()
    try:
        timings = await asyncio.gather(*(one(item) for item in items))
    finally:
        await api.close()
    return time.perf_counter() - start, list(timings)


def _spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p50": None, "p90": None}
    ordered = sorted(values)
    return {
        "mean": round(statistics.fmean(ordered), 4),
        "p50": round(ordered[len(ordered) // 2], 4),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 4),
    }


def _mode(wall: float, q: int, latencies: list[float], requests: int, tokens: int, failures: int) -> dict[str, Any]:
    return {
        "wall_s": round(wall, 3),
        "questions_per_s": round(q / wall, 4) if wall else 0.0,
        "latency_s": _spread(latencies),
        "engine_requests": requests,
        "completion_tokens": tokens,
        "failures": failures,
    }


async def measure(
    client: ModelClient, base_url: str, strategy: str, q: int, concurrency: int, config: dict[str, Any]
) -> dict[str, Any]:
    """Both modes for one strategy at one concurrency."""
    items = generate(q, seed=SEED)
    row: dict[str, Any] = {"strategy": strategy, "concurrency": concurrency, "q": q, "config": config}

    # 1) served: streamed through HTTP, `concurrency` clients at a time
    await reset_prefix_cache(client)
    model = f"{strategy}-{_served_name(client)}"
    wall, timings = await through_server(base_url, model, items, concurrency, config)
    ok = [t for t in timings if not t.failed]
    requests, tokens = sum(t.engine_requests for t in ok), sum(t.completion_tokens for t in ok)
    row["served"] = _mode(wall, q, [t.latency_s for t in ok], requests, tokens, q - len(ok))
    row["served"]["first_byte_s"] = _spread([t.first_byte_s for t in ok if t.first_byte_s is not None])
    row["served"]["first_answer_token_s"] = _spread([t.first_token_s for t in ok if t.first_token_s is not None])

    # 2) in process: run_batch at the same concurrency, no HTTP
    await reset_prefix_cache(client)
    optimizer = get_strategy(strategy, config)
    start = time.perf_counter()
    results = [r async for r in run_batch(items, optimizer, client, concurrency=concurrency)]
    in_wall = time.perf_counter() - start
    done = [r for r in results if r.ok]
    requests, tokens = sum(r.usage.requests for r in done), sum(r.usage.completion_tokens for r in done)
    row["in_process"] = _mode(in_wall, q, [r.elapsed_s for r in done], requests, tokens, q - len(done))
    row["overhead"] = round(wall / in_wall, 3) if in_wall else None
    return row


async def run(
    client: ModelClient,
    args: argparse.Namespace,
    *,
    describe: Callable[[Any], dict[str, Any]] = describe_engine,
) -> dict[str, Any]:
    """Every (strategy, concurrency) row on `client`; writes and returns the payload."""
    settings = {
        "benchmark": "serve",
        "engine": describe(client),
        "seed": SEED,
        "q": args.q,
        "max_tokens": args.max_tokens,
        "settings": args.settings,
        "stream_interval": args.stream_interval,
    }
    result = ResultFile(args, settings, "bench_serve.py")
    done = {(r["strategy"], r["concurrency"]) for r in result.rows}
    async with serving(client, max(args.concurrency), args.stream_interval) as base_url:
        for strategy in args.strategies:
            config = bench_config(strategy, args.max_tokens, args.settings)
            for concurrency in args.concurrency:
                if (strategy, concurrency) in done:
                    continue
                row = await measure(client, base_url, strategy, args.q, concurrency, config)
                result.add(row)
                if not args.quiet:
                    print(_line(row), flush=True)
    return result.payload


def _line(row: dict[str, Any]) -> str:
    s, p = row["served"], row["in_process"]
    ttft = s["first_answer_token_s"]["p50"]
    return (
        f"{row['strategy']:<16} C={row['concurrency']:<3} served {s['questions_per_s']:>7.3f} q/s "
        f"ttfb p50 {s['first_byte_s']['p50']}s ttft p50 {ttft}s req={s['engine_requests']:<5} "
        f"in-process {p['questions_per_s']:>7.3f} q/s req={p['engine_requests']:<5} overhead={row['overhead']}"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strategies", default="plain,mars", help="comma-separated names, or 'all'")
    p.add_argument("--concurrency", type=whole_numbers, default=[1, 8, 32], help="comma-separated client concurrencies")
    p.add_argument("--q", type=int, default=32, help="questions per measurement")
    p.add_argument("--max-tokens", type=int, default=96, help="completion budget per response")
    p.add_argument(
        "--stream-interval", type=int, default=1, help="tokens per streamed chunk (optivllm serve --stream-interval)"
    )
    add_set_argument(p, "a strategy setting (TOML value) for every strategy that has it: --set preset=lightweight")
    add_smoke_argument(p, SMOKE, SMOKE_OUT)
    args = parse(common_args(p, DEFAULT_OUT), argv)
    apply_smoke(args, SMOKE, DEFAULT_OUT, SMOKE_OUT)
    names = strategy_names()
    args.strategies = names if args.strategies == "all" else [s.strip() for s in args.strategies.split(",") if s]
    unknown = sorted(set(args.strategies) - set(names))
    if unknown or not args.strategies:
        p.error(f"--strategies: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(names)}")
    if min(args.q, args.max_tokens, args.stream_interval) < 1:
        p.error("--q, --max-tokens and --stream-interval must be >= 1")
    args.settings = parse_settings(args.overrides)
    return args


def main(argv: list[str] | None = None) -> int:
    return main_on_engine(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
