"""Benchmark: optivllm against optillm 0.4.0 on the same vLLM, in one command.

The usual set-up optivllm claims to beat: optillm sending every call over HTTP to a vLLM
OpenAI-compatible server. Both sides here run the same model entry with the same weights,
dtype, engine settings (`engine.vllm_client.engine_kwargs`: context length, prefix caching,
seed 0, eager mode, chunked prefill), engine environment (`engine.engine_environment`: KV
cache size, CPU thread binding, offline hub), questions, token cap and concurrency:

- optillm: this script starts a vLLM server on 127.0.0.1 (`benchmarks/vllm_server.py`) and
  calls optillm's approaches as a library the way its proxy does (`parse_conversation`, the
  proxy's request config, `execute_single_approach`, the proxy's answer post-processing) with
  an `openai.OpenAI` client on that server; Q questions in flight on a thread pool of Q, as
  its proxy serves concurrent requests on threads;
- optivllm: the strategies in this process on `engine.VLLMClient`, through
  `strategies.run_batch` with concurrency Q.

Pairs (optillm approach / optivllm strategy): mars / mars (full preset), mars lightweight /
mars (lightweight preset), moa / moa, bon / best_of_n, self_consistency / self_consistency,
mcts / mcts, none / plain. optillm's fixed limits (moa critique 512 tokens, bon rating 256,
mcts evaluation 256, 3 candidates or samples, 5 self-consistency samples) are matched in
optivllm's configs and recorded; so is what cannot be matched (see `PAIRS`).

Measured per pair and Q on the first --n-questions problems of `datasets.generate(seed=0)`:
questions/s (engine start excluded on both sides: the server answers and one warm-up request
ran before the clock starts, the same for the in-process engine), requests, prompt, uncached
prompt and completion tokens per question, the prefix-cache hit rate (per-request usage, and
the engine's own counters), accuracy with a 95% Wilson interval (the kernels' grader on both
sides), and the optivllm/optillm ratio of questions/s. optillm's token counts come from the
server's `usage` on every HTTP response (its own count can be 0). The prefix cache is reset
before every measurement. The server and the in-process engine never run at once (2 cores):
every optillm measurement runs first, the server is stopped, then optivllm's run.

    benchmarks/setup_optillm.sh     # once: optillm 0.4.0, kept out of optivllm's dependencies
    python benchmarks/bench_vs_optillm.py --pairs mars,plain --q 1,4 --max-tokens 64 --n-questions 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

import engine
from benchmarks.datasets import generate
from benchmarks.harness import (
    RESULTS,
    ResultFile,
    common_args,
    describe_engine,
    failed,
    parse,
    wilson_interval,
    write_result,
)
from benchmarks.vllm_server import ENTRY_POINT, VLLMServer, port_is_free, sum_counters
from engine import ModelEntry, OptivllmError, Usage, VLLMClient
from engine.vllm_client import engine_kwargs
from kernels import grade_response
from strategies import BatchItem, build_config, get_strategy, run_batch

DEFAULT_OUT = RESULTS / "vs_optillm.json"
SEED = 0
OPTILLM_VERSION = "0.4.0"
INSTALL_COMMAND = "benchmarks/setup_optillm.sh"
OPTILLM_LIGHTWEIGHT_MAX = 4000
"""optillm's MARS switches to its lightweight config when a top-level max_tokens <= this is sent."""

ENV_PREFIXES = ("VLLM_", "HF_", "TRANSFORMERS_", "TOKENIZERS_", "OMP_")


class BenchError(RuntimeError):
    """A measurement cannot go on; the message says why."""


class OptillmMissing(BenchError):
    """optillm is not installed (or not the pinned version): the message says how to install it."""


@dataclass(frozen=True)
class Pair:
    """One optillm approach and the optivllm strategy it is measured against."""

    approach: str
    strategy: str
    body: Callable[[int], dict[str, Any]]
    """Extra fields of the chat request a client sends optillm's proxy, at a token cap."""
    config: Callable[[int], dict[str, Any]]
    """optivllm's strategy config at a token cap."""
    fixed: dict[str, Any] = field(default_factory=dict)
    """What optillm 0.4.0 hard-codes for this approach (read from its source)."""
    unmatched: str = ""
    """What differs between the two and is not a setting of either."""


PAIRS: dict[str, Pair] = {
    "mars": Pair(
        "mars",
        "mars",
        # a top-level max_tokens <= 4000 would switch optillm to its lightweight config
        body=lambda cap: {"mars_config": {"max_tokens": cap}},
        config=lambda cap: {"preset": "full", "max_tokens": cap, "verify_max_tokens": cap},
        fixed={"strategy_extraction_max_tokens": "max_tokens // 4", "strategy_network_short_call_max_tokens": 50},
        unmatched="optillm reviews with max_tokens (optivllm's verify_max_tokens is set to it); its RSA keeps "
        "population 6, merges 3, 3 loops (optivllm: 3, 2, 1); it synthesizes when no solution is verified",
    ),
    "mars_lightweight": Pair(
        "mars",
        "mars",
        body=lambda cap: {"max_tokens": cap},
        config=lambda cap: {"preset": "lightweight", "max_tokens": cap, "verify_max_tokens": cap},
        unmatched="optillm reviews with max_tokens (optivllm's verify_max_tokens is set to it)",
    ),
    "moa": Pair(
        "moa",
        "moa",
        body=lambda cap: {"max_tokens": cap},
        config=lambda cap: {"max_tokens": cap, "candidates": 3, "critique_max_tokens": 512},
        fixed={"candidates": 3, "candidate_temperature": 1.0, "critique_max_tokens": 512, "final_temperature": 0.1},
    ),
    "best_of_n": Pair(
        "bon",
        "best_of_n",
        body=lambda cap: {"max_tokens": cap},
        config=lambda cap: {"max_tokens": cap, "samples": 3, "rating_max_tokens": 256},
        fixed={"rating_max_tokens": 256, "rating_temperature": 0.1, "sample_temperature": 1.0},
        unmatched="optillm rates each candidate in its own request, one after another",
    ),
    "self_consistency": Pair(
        "self_consistency",
        "self_consistency",
        body=lambda cap: {"max_tokens": cap},
        # all 5 samples, as optillm draws them (the adaptive stop is measured by bench_adaptive.py)
        config=lambda cap: {"max_tokens": cap, "samples": 5, "stop_when_settled": False},
        fixed={"sample_temperature": 1.0},
        unmatched="optillm sends the samples one request after another, drops samples cut at max_tokens, and "
        "votes by string similarity (SequenceMatcher >= 0.8), not by answer",
    ),
    "mcts": Pair(
        "mcts",
        "mcts",
        body=lambda cap: {"max_tokens": cap},
        config=lambda cap: {
            "max_tokens": cap,
            "simulations": 2,
            "exploration_weight": 0.2,
            "depth": 1,
            "num_actions": 3,
            "rating_max_tokens": 256,
            "step_tokens": cap,
        },
        fixed={
            "actions_per_expansion": 3,
            "evaluation_max_tokens": 256,
            "next_user_query_max_tokens": "min(max_tokens, 1024)",
        },
        unmatched="optillm's tree is over dialogue turns (each action is a whole answer, then a simulated user "
        "query), optivllm's over reasoning steps",
    ),
    "plain": Pair(
        "none",
        "plain",
        body=lambda cap: {"max_tokens": cap, "temperature": 0.0},  # plain decodes greedily
        config=lambda cap: {"max_tokens": cap},
    ),
}


# -- optillm: imported as a library -----------------------------------------------------------


def import_optillm() -> ModuleType:
    """`optillm.server` (it imports every approach); its `logging.basicConfig` is undone."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import optillm
        import optillm.server
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    if optillm.__version__ != OPTILLM_VERSION:
        raise ImportError(f"optillm {optillm.__version__} is installed; this benchmark pins {OPTILLM_VERSION}")
    return optillm.server


def optillm_fixed(server_module: ModuleType, pair: Pair, cap: int) -> dict[str, Any]:
    """The pair's fixed limits, with the values optillm holds in its own config objects."""
    fixed = dict(pair.fixed)
    config = server_module.server_config
    if pair.approach == "bon":
        fixed["n"] = config["best_of_n"]
    elif pair.approach == "mcts":
        fixed |= {"simulations": config["mcts_simulations"], "exploration": config["mcts_exploration"]}
        fixed["depth"] = config["mcts_depth"]
    elif pair.approach == "self_consistency":
        import inspect

        from optillm.self_consistency import AdvancedSelfConsistency

        fixed["samples"] = inspect.signature(AdvancedSelfConsistency).parameters["num_samples"].default
    elif pair.approach == "mars":
        from optillm.mars import mars

        body = pair.body(cap)
        lightweight = body.get("max_tokens", 64000) <= OPTILLM_LIGHTWEIGHT_MAX
        fixed["config"] = {
            **(mars.LIGHTWEIGHT_CONFIG if lightweight else mars.DEFAULT_CONFIG),
            **body.get("mars_config", {}),
        }
        fixed["config"]["max_tokens"] = cap
    return fixed


def proxy_request_config(body: dict[str, Any]) -> dict[str, Any]:
    """The `request_config` optillm's proxy builds from a chat request body (server.proxy)."""
    explicit = {
        "stream",
        "stream_options",
        "messages",
        "model",
        "n",
        "response_format",
        "max_completion_tokens",
        "max_tokens",
    }
    config = {k: v for k, v in body.items() if k not in explicit}
    config |= {"stream": False, "n": body.get("n", 1)}
    if body.get("max_tokens") is not None:
        config["max_tokens"] = body["max_tokens"]
    return config


class UsageMeter:
    """Counts every chat-completion HTTP response with the server's own `usage` (an httpx hook)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage = Usage()
        self.http_errors = 0

    def on_response(self, response: httpx.Response) -> None:
        if not response.url.path.endswith("/chat/completions"):
            return
        response.read()
        if response.status_code >= 400:
            with self._lock:
                self.http_errors += 1
                self._usage = self._usage + Usage(requests=1)
            return
        usage = response.json().get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        one = Usage(
            requests=1,
            prompt_tokens=usage.get("prompt_tokens", 0),
            cached_tokens=details.get("cached_tokens") or 0,
            completion_tokens=usage.get("completion_tokens", 0),
        )
        with self._lock:
            self._usage = self._usage + one

    @property
    def usage(self) -> Usage:
        with self._lock:
            return self._usage


@dataclass(frozen=True)
class Answer:
    """What optillm's proxy would have returned for one question, or why it returned an error."""

    text: str | None
    error: str | None = None


def ask_optillm(server_module: ModuleType, pair: Pair, item: BatchItem, client: Any, model: str, cap: int) -> Answer:
    """One question through the approach, as optillm's proxy runs a chat request."""
    body = {"model": model, "messages": [{"role": "user", "content": item.question}], **pair.body(cap)}
    system_prompt, initial_query, _ = server_module.parse_conversation(body["messages"])
    messages = server_module.strip_optillm_approach_tags(body["messages"])
    try:
        response, _ = server_module.execute_single_approach(
            pair.approach, system_prompt, initial_query, client, model, proxy_request_config(body), None, messages
        )
    except Exception as err:  # the proxy answers HTTP 500 with this message
        return Answer(None, f"{type(err).__name__}: {err}")
    if isinstance(response, dict):  # `none` passes the server's whole response through
        return Answer(response["choices"][0]["message"]["content"])
    tagged = server_module.tagged_conversation_to_messages(response)
    return Answer(tagged[-1]["content"] if isinstance(tagged, list) and tagged else response)


def measure_optillm(
    server: VLLMServer, server_module: ModuleType, pair: Pair, items: list[BatchItem], q: int, cap: int, model: str
) -> dict[str, Any]:
    """optillm's approach on `items`, Q at a time, against the running server."""
    from openai import OpenAI

    meter = UsageMeter()
    # as optillm's get_config builds its client: an httpx.Client of its own, here with the counting hook
    http = httpx.Client(event_hooks={"response": [meter.on_response]})
    client = OpenAI(api_key="optivllm-bench", base_url=f"{server.base_url}/v1", http_client=http)  # type: ignore[arg-type]  # openai 3 takes httpx's Client as well as httpx2's
    if not server.reset_prefix_cache():
        raise BenchError(
            "the vLLM server did not reset its prefix cache (POST /reset_prefix_cache needs VLLM_SERVER_DEV_MODE=1)"
        )
    before = server.counters()
    random.seed(SEED)  # optillm's MCTS picks children with the random module
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=q) as pool:
        answers = list(pool.map(lambda item: ask_optillm(server_module, pair, item, client, model, cap), items))
    wall = time.perf_counter() - start
    after = server.counters()
    http.close()
    correct = sum(
        a.text is not None and grade_response(a.text, item.answer or "") for a, item in zip(answers, items, strict=True)
    )
    errors = [a.error for a in answers if a.error is not None]
    side = side_row(wall, len(items), meter.usage, correct, len(errors), _delta(before, after))
    side |= {"http_errors": meter.http_errors, "first_error": errors[0] if errors else None}
    return side


# -- optivllm: in this process ----------------------------------------------------------------


def in_process_counters() -> dict[str, float]:
    """The in-process engine's `COUNTERS` (vLLM's Prometheus registry lives in this process)."""
    from vllm.v1.metrics.reader import Counter, get_metrics_snapshot

    return sum_counters((m.name, m.value) for m in get_metrics_snapshot() if isinstance(m, Counter))


async def measure_optivllm(client: VLLMClient, pair: Pair, items: list[BatchItem], q: int, cap: int) -> dict[str, Any]:
    """optivllm's strategy on `items` with Q in flight, on the in-process engine."""
    optimizer = get_strategy(pair.strategy, pair.config(cap))
    await client.reset_prefix_cache()
    client.reset_stats()
    before = in_process_counters()
    start = time.perf_counter()
    results = [r async for r in run_batch(items, optimizer, client, concurrency=q)]
    wall = time.perf_counter() - start
    after = in_process_counters()
    errors = [r.error for r in results if r.error is not None]
    correct = sum(bool(r.correct) for r in results)
    side = side_row(wall, len(items), client.stats.total, correct, len(errors), _delta(before, after))
    phases: dict[str, Usage] = {}
    for r in results:
        for phase, usage in r.usage_by_phase.items():
            phases[phase] = phases.get(phase, Usage()) + usage
    side["usage_by_phase_per_question"] = {p: _per_question(u, len(items)) for p, u in phases.items()}
    side["first_error"] = errors[0] if errors else None
    return side


async def warm_up(client: VLLMClient) -> None:
    """One short request, as the server gets before its first measurement."""
    await client.generate([engine.Prompt.user("Hello")], engine.Sampling(max_tokens=1), tag="warm-up")


def warm_up_server(server: VLLMServer, model: str) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 1}
    httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=120.0).raise_for_status()


# -- one row: both sides at one (pair, Q) ------------------------------------------------------


def side_row(
    wall: float, n: int, usage: Usage, correct: int, failures: int, engine_counters: dict[str, float]
) -> dict[str, Any]:
    """The figures one side reports for one measurement (the same keys for both sides)."""
    low, high = wilson_interval(correct, n)
    queries, hits = engine_counters["vllm:prefix_cache_queries"], engine_counters["vllm:prefix_cache_hits"]
    return {
        "wall_s": round(wall, 3),
        "questions_per_s": round(n / wall, 4) if wall else 0.0,
        **_per_question(usage, n),
        "requests": usage.requests,
        "prompt_tokens": usage.prompt_tokens,
        "cached_tokens": usage.cached_tokens,
        "completion_tokens": usage.completion_tokens,
        "cache_hit_rate": round(usage.cache_hit_rate, 4),
        "engine_prefix_cache": {
            "queries": int(queries),
            "hits": int(hits),
            "hit_rate": round(hits / queries, 4) if queries else 0.0,
        },
        "correct": correct,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "ci95": [round(low, 4), round(high, 4)],
        "failures": failures,
    }


def _per_question(usage: Usage, n: int) -> dict[str, float]:
    return {
        "requests_per_question": round(usage.requests / n, 2),
        "prompt_tokens_per_question": round(usage.prompt_tokens / n, 1),
        "uncached_prompt_tokens_per_question": round((usage.prompt_tokens - usage.cached_tokens) / n, 1),
        "completion_tokens_per_question": round(usage.completion_tokens / n, 1),
        "cache_hit_rate": round(usage.cache_hit_rate, 4),
    }


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def add_ratio(row: dict[str, Any]) -> None:
    """optivllm's questions/s over optillm's, once both sides are measured."""
    if "optillm" in row and "optivllm" in row:
        theirs = row["optillm"]["questions_per_s"]
        row["ratio_questions_per_s"] = round(row["optivllm"]["questions_per_s"] / theirs, 3) if theirs else None


def _line(side: str, row: dict[str, Any]) -> str:
    s = row[side]
    text = (
        f"{row['pair']:<17} Q={row['q']:<3} {side:<8} {s['wall_s']:>8.1f}s {s['questions_per_s']:>7.4f} q/s "
        f"req/q={s['requests_per_question']:<6} tok/q={s['completion_tokens_per_question']:<7} "
        f"hit={s['cache_hit_rate']:.0%} acc={s['accuracy']:.0%}"
    )
    if "ratio_questions_per_s" in row:
        text += f"  optivllm/optillm {row['ratio_questions_per_s']}x"
    return text


# -- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Everything both sides share: the entry, its engine arguments and environment."""

    entry: ModelEntry
    kwargs: dict[str, Any]
    env: dict[str, str]
    dtype_reason: str


def engine_setup(model: str | None) -> Setup:
    """optivllm's engine settings for the entry, as the server gets them."""
    from vllm.platforms import current_platform

    entry = engine.load_registry().get(model)
    source = engine.resolve_model_source(entry)
    kwargs = engine_kwargs(entry, source, {}, on_cpu=current_platform.is_cpu())
    kwargs.pop("logits_processors", None)  # optivllm's own processors act only on requests that opt in
    environment = getattr(engine, "engine_environment", None)
    env = (
        environment(entry)
        if environment is not None
        else {"VLLM_CPU_KVCACHE_SPACE": f"{entry.cpu_kvcache_space_gib:g}", "HF_HUB_OFFLINE": "1"}
    )
    return Setup(entry, kwargs, dict(env), _dtype_reason(entry, current_platform.is_cpu()))


def _dtype_reason(entry: ModelEntry, on_cpu: bool) -> str:
    """Why the engine runs in its dtype (engine.resolve_dtype where this optivllm has it)."""
    resolve = getattr(engine, "resolve_dtype", None)
    if resolve is None:
        return "set in models.toml" if entry.dtype != "auto" else "auto: vLLM's choice"
    return str(resolve(entry.dtype, on_cpu=on_cpu).reason)


def cpu_description() -> dict[str, Any]:
    """The CPU model and flags from /proc/cpuinfo."""
    model, flags = "", ""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and not model:
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = value.strip()
    return {"model": model or "unknown", "cores": os.cpu_count(), "flags": flags.split()}


def _env_record(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(env.items()) if k.startswith(ENV_PREFIXES)}


def run_optillm_side(
    args: argparse.Namespace, setup: Setup, result: ResultFile, todo: list[dict[str, Any]], items: list[BatchItem]
) -> None:
    """Every missing optillm measurement, on one server started for them."""
    server_module = import_optillm()
    env = {**os.environ, **setup.env, "VLLM_SERVER_DEV_MODE": "1"}  # dev mode serves /reset_prefix_cache
    env.setdefault("VLLM_LOGGING_LEVEL", "INFO")  # the server's log is a file of its own
    log_path = args.out.with_suffix(".server.log")
    with VLLMServer.start(
        setup.kwargs,
        served_model_name=setup.entry.name,
        env=env,
        log_path=log_path,
        port=args.port,
        timeout_s=args.server_timeout,
    ) as server:
        warm_up_server(server, setup.entry.name)
        result.payload["server"] = {
            "command": f"python -m {ENTRY_POINT} " + " ".join(server.argv[3:]),
            "env": _env_record(env),
            "non_default_args": server.non_default_args(),
            "max_model_len": server.models()[0].get("max_model_len"),
            "start_s": server.start_s,
            "pid": server.process.pid,
            "log": str(log_path),
        }
        for row in todo:
            pair = PAIRS[row["pair"]]
            row["optillm"] = {
                "approach": pair.approach,
                "request": pair.body(args.max_tokens),
                "fixed": optillm_fixed(server_module, pair, args.max_tokens),
                **measure_optillm(server, server_module, pair, items, row["q"], args.max_tokens, setup.entry.name),
            }
            write_result(result.path, result.payload)
            if not args.quiet:
                print(_line("optillm", row), flush=True)


async def run_optivllm_side(
    args: argparse.Namespace, client: VLLMClient, result: ResultFile, todo: list[dict[str, Any]], items: list[BatchItem]
) -> None:
    """Every missing optivllm measurement, on the in-process engine."""
    await warm_up(client)
    for row in todo:
        pair = PAIRS[row["pair"]]
        config = pair.config(args.max_tokens)
        row["optivllm"] = {
            "strategy": pair.strategy,
            "config": config,
            "resolved_config": build_config(pair.strategy, config).model_dump(mode="json"),
            **(await measure_optivllm(client, pair, items, row["q"], args.max_tokens)),
        }
        add_ratio(row)
        write_result(result.path, result.payload)
        if not args.quiet:
            print(_line("optivllm", row), flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every (pair, Q) row: optillm's side on a server, then optivllm's in process."""
    server_module_error = _optillm_missing()
    setup = engine_setup(args.model)
    items = generate(args.n_questions, seed=SEED)
    description = describe_engine(
        SimpleNamespace(
            entry=setup.entry,
            max_model_len=setup.kwargs.get("max_model_len"),
            dtype=setup.kwargs.get("dtype"),
            block_size=setup.kwargs.get("block_size"),
        )
    )
    settings = {
        "benchmark": "vs_optillm",
        "engine": {**description, "dtype": setup.kwargs["dtype"], "dtype_reason": setup.dtype_reason},
        "cpu": cpu_description(),
        "engine_args": setup.kwargs,
        "engine_env": _env_record(setup.env),
        "optillm": OPTILLM_VERSION,
        "data": f"benchmarks/datasets.py generate(n={args.n_questions}, seed={SEED})",
        "seed": SEED,
        "max_tokens": args.max_tokens,
        "n_questions": args.n_questions,
    }
    previous = json.loads(args.out.read_text()) if args.resume and args.out.exists() else {}
    result = ResultFile(args, settings, "bench_vs_optillm.py")
    for key in ("server", "in_process"):
        if key in previous and result.rows:
            result.payload[key] = previous[key]
    rows = {(r["pair"], r["q"]): r for r in result.rows}
    for name in args.pairs:
        for q in args.qs:
            if (name, q) not in rows:
                rows[name, q] = {"pair": name, "q": q, "n_questions": args.n_questions}
                result.rows.append(rows[name, q])
            rows[name, q]["unmatched"] = PAIRS[name].unmatched
    wanted = [rows[name, q] for name in args.pairs for q in args.qs]
    result.payload["qs"] = sorted({r["q"] for r in result.rows})

    # 1) optillm over HTTP; the server is stopped before the in-process engine starts
    todo = [r for r in wanted if "optillm" not in r]
    if todo:
        if server_module_error is not None:
            raise server_module_error
        run_optillm_side(args, setup, result, todo, items)

    # 2) optivllm in process
    todo = [r for r in wanted if "optivllm" not in r]
    if todo:
        started = time.perf_counter()
        with VLLMClient(setup.entry) as client:
            result.payload["in_process"] = {
                "start_s": round(time.perf_counter() - started, 2),
                "env": _env_record(dict(os.environ)),
            }
            asyncio.run(run_optivllm_side(args, client, result, todo, items))
    write_result(result.path, result.payload)
    return result.payload


def _optillm_missing() -> OptillmMissing | None:
    try:
        import_optillm()
    except ImportError as err:
        return OptillmMissing(
            f"cannot import optillm {OPTILLM_VERSION} ({err}); install it (kept out of optivllm's own "
            f"dependencies) with:\n    {INSTALL_COMMAND}"
        )
    return None


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", default=",".join(PAIRS), help=f"comma-separated, from: {', '.join(PAIRS)}")
    p.add_argument("--q", default="1,4", help="comma-separated numbers of questions in flight")
    p.add_argument("--max-tokens", type=int, default=64, help="completion cap of every solution-writing request")
    p.add_argument("--n-questions", type=int, default=4, help="questions (the first N of generate(seed=0))")
    p.add_argument("--port", type=int, help="the server's port on 127.0.0.1 (default: a free one)")
    p.add_argument("--server-timeout", type=float, default=600.0, help="seconds to wait for the server to answer")
    args = parse(common_args(p, DEFAULT_OUT), argv)
    args.pairs = _comma_list(args.pairs)
    unknown = [name for name in args.pairs if name not in PAIRS]
    if unknown:
        p.error(f"unknown pair(s) {', '.join(unknown)}; choose from {', '.join(PAIRS)}")
    try:
        args.qs = [int(q) for q in _comma_list(args.q)]
    except ValueError:
        p.error(f"--q takes comma-separated integers, got {args.q!r}")
    if args.n_questions < 1 or args.max_tokens < 1:
        p.error("--n-questions and --max-tokens must be >= 1")
    if any(q < 1 or q > args.n_questions for q in args.qs):
        p.error(f"every --q value must be between 1 and --n-questions ({args.n_questions}), got {args.q!r}")
    if args.port is not None and not port_is_free(args.port):
        p.error(f"port {args.port} on 127.0.0.1 is already in use; pick another --port or leave it out")
    if "mars_lightweight" in args.pairs and args.max_tokens > OPTILLM_LIGHTWEIGHT_MAX:
        p.error(
            f"optillm runs its lightweight MARS only at max_tokens <= {OPTILLM_LIGHTWEIGHT_MAX}; lower --max-tokens"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except OptillmMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (BenchError, OptivllmError) as err:
        return failed(args, err)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
