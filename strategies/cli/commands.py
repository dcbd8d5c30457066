"""The `optivllm` parser and its subcommands: models, strategies, ask, run, serve.

Everything a user can get wrong is checked before the engine starts: flag values while the
command line is parsed (`strategies.cli.args`), then the model, the strategy config and the
input file. Each such error is one line on stderr and exit code 2 (`ExitCode.USAGE`).
`run` and `ask` print optivllm's own lines only: while the engine runs, what vLLM and its
processes write goes to an engine log (next to the output for `run`, in the cache folder for
`ask`), whose path is printed once; `-v` shows it on the terminal instead. A failed engine
start shows the log's last lines. `serve` checks its address before the engine starts and says
once where it listens (its engine log is in the cache folder).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine import (
    EngineDeadError,
    EngineStartError,
    ModelEntry,
    ModelRegistry,
    OptivllmError,
    cache_dir,
    cpu_info,
    load_registry,
    resolve_dtype,
)
from strategies.catalog import build_config, get_strategy, list_strategies
from strategies.cli.args import (
    ArgumentParser,
    add_set_argument,
    existing_file,
    non_empty,
    non_negative_int,
    one_line,
    output_file,
    parse_settings,
    positive_int,
    read_config,
    strategy_name,
)
from strategies.cli.console import Console, console, engine_output_to, logging_to_console
from strategies.cli.exit_codes import ExitCode
from strategies.core.config import StrategyConfig
from strategies.runner.replicas import RaySettings, require_ray

DESCRIPTION = "The `optivllm` command: list models and strategies, ask one question, run a batch."
EPILOG = (
    f"exit codes: {ExitCode.OK} success, {ExitCode.FAILURES} some items failed, "
    f"{ExitCode.USAGE} bad usage or configuration, {ExitCode.INTERRUPTED} interrupted"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `optivllm` console script; returns the exit code (never raises SystemExit)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error argparse already reported in one line
        return ExitCode.OK if stop.code in (None, 0) else ExitCode.USAGE
    on_main_thread = threading.current_thread() is threading.main_thread()
    # SIGTERM like Ctrl-C: finish writes, shut the engine down
    previous = signal.signal(signal.SIGTERM, _stop_gracefully) if on_main_thread else None
    try:
        with logging_to_console(verbose=args.verbose):
            return _run_command(args)
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _run_command(args: argparse.Namespace) -> ExitCode:
    con = console()
    try:
        return ExitCode(args.command(args))
    except KeyboardInterrupt:
        con.note("interrupted")
        return ExitCode.INTERRUPTED
    except OptivllmError as err:
        if isinstance(err, ValueError):  # ConfigError, InputError: nothing ran
            con.note(f"{args.prog}: error: {one_line(str(err))}")
            return ExitCode.USAGE
        con.note(f"{args.prog}: error: {err}")
        if isinstance(err, (EngineStartError, EngineDeadError)):
            _show_log_tail(args, con)
        return ExitCode.FAILURES
    except Exception:
        con.note("optivllm: unexpected error (please report it):\n" + traceback.format_exc().rstrip())
        _show_log_tail(args, con)
        return ExitCode.FAILURES


def _show_log_tail(args: argparse.Namespace, con: Console) -> None:
    """The engine log's last lines, if this command sent engine output there."""
    if args.engine_log is None:
        return
    tail = Console(con.out, con.err, log=args.engine_log).log_tail()
    if tail:
        con.note(f"the engine log {args.engine_log} ends with:\n{tail}")


def _engine_log_path(args: argparse.Namespace) -> Path:
    """Where the engine's output goes for the commands that start one."""
    if args.command is cmd_run:
        output: Path = args.output
        return output.with_name(output.stem + ".engine.log")
    return cache_dir() / "logs" / ("serve.engine.log" if args.command is cmd_serve else "ask.engine.log")


@contextmanager
def _engine_output(args: argparse.Namespace) -> Iterator[Console]:
    """While the engine runs: its output to the engine log (unless -v); the console stays the terminal."""
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "INFO")
    if args.verbose:
        yield console()
        return
    log = _engine_log_path(args)
    with engine_output_to(log) as con:
        args.engine_log = log
        con.note(f"optivllm: engine output goes to {log} (-v shows it here)")
        yield con


def _stop_gracefully(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def build_parser() -> ArgumentParser:
    """The `optivllm` argument parser, every flag with a validating `type=`."""
    parser = ArgumentParser(prog="optivllm", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging; engine output on the terminal")
    parser.set_defaults(engine_log=None, prog=parser.prog)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    models = sub.add_parser("models", help="list the model registry (models.toml)", epilog=EPILOG)
    models.add_argument("--models", type=existing_file, help="path of models.toml")
    models.set_defaults(command=cmd_models, prog=models.prog)

    strategies = sub.add_parser("strategies", help="list the strategies", epilog=EPILOG)
    strategies.set_defaults(command=cmd_strategies, prog=strategies.prog)

    ask = sub.add_parser("ask", help="answer one question", epilog=EPILOG)
    ask.add_argument("question", type=non_empty)
    _add_engine_args(ask, default_strategy="plain")
    ask.add_argument("--system", help="system prompt")
    ask.set_defaults(command=cmd_ask, prog=ask.prog)

    run = sub.add_parser("run", help="run a strategy over a JSONL file of questions (resumable)", epilog=EPILOG)
    run.add_argument("--input", "-i", type=existing_file, required=True, help="questions, one JSON object a line")
    run.add_argument("--output", "-o", type=output_file, required=True, help="results JSONL (appended to)")
    _add_engine_args(run, default_strategy="mars")
    run.add_argument(
        "--concurrency",
        type=positive_int,
        default=64,
        help="queries in flight (on each replica with --ray), >= 1 (default 64)",
    )
    run.add_argument("--limit", type=non_negative_int, help="run at most this many input items (>= 0)")
    run.add_argument("--no-reasoning", action="store_true", help="leave reasoning out of the output")
    run.add_argument("--retry-errors", action="store_true", help="run again the items that failed before")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    scale = run.add_argument_group("Ray (past one machine; needs optivllm[ray])")
    scale.add_argument("--ray", action="store_true", help="spread the questions over engine replicas on Ray")
    scale.add_argument("--replicas", type=positive_int, help="engine replicas, >= 1 (default 1; implies --ray)")
    scale.add_argument(
        "--ray-address", type=non_empty, help="join this cluster ('auto' or host:port; default: a local Ray instance)"
    )
    scale.add_argument(
        "--cpus-per-replica", type=positive_int, help="CPUs per CPU replica (default: the cluster's shared out evenly)"
    )
    run.set_defaults(command=cmd_run, prog=run.prog)

    serve = sub.add_parser(
        "serve", help="an OpenAI-compatible endpoint; every client's strategy runs on one engine", epilog=EPILOG
    )
    serve.add_argument("--model", "-m", help="model registry entry (default: the registry's default)")
    serve.add_argument("--models", type=existing_file, help="path of models.toml")
    serve.add_argument("--host", type=non_empty, default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port, 0-65535 (default 8000; 0: any free port)")
    serve.add_argument("--api-key", help="key clients must send as a Bearer token (default $OPTIVLLM_API_KEY)")
    serve.add_argument(
        "--max-in-flight", type=positive_int, default=64, help="requests run at once, >= 1; more get 429 (default 64)"
    )
    serve.add_argument(
        "--stream-interval",
        type=positive_int,
        default=1,
        help="tokens per streamed piece of an answer, >= 1 (as vllm serve; default 1: every token as it comes)",
    )
    serve.set_defaults(command=cmd_serve, prog=serve.prog)
    return parser


def _port(text: str) -> int:
    """`type=` for a TCP port (0: any free one)."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be <= 65535 (got {value})")
    return value


def _add_engine_args(p: argparse.ArgumentParser, *, default_strategy: str) -> None:
    p.add_argument(
        "--strategy", "-s", type=strategy_name, default=default_strategy, help=f"strategy (default {default_strategy})"
    )
    p.add_argument("--model", "-m", help="model registry entry (default: the registry's default)")
    p.add_argument("--models", type=existing_file, help="path of models.toml")
    p.add_argument("--config", "-c", type=existing_file, help="TOML file of strategy settings")
    p.add_argument(
        "--budget",
        type=positive_int,
        help="most completion tokens one question may spend, >= 1 (the strategy's budget_tokens)",
    )
    add_set_argument(p, "one strategy setting, value in TOML syntax (repeatable): --set num_agents=4")


# -- commands ---------------------------------------------------------------------------------


def cmd_models(args: argparse.Namespace) -> ExitCode:
    from engine.hardware import cpu_thread_settings, on_cpu_device

    registry = load_registry(args.models)
    on_cpu = on_cpu_device()
    cpu = cpu_info()
    lines = [f"models from {registry.path}", f"device: {'CPU ' + cpu.describe() if on_cpu else 'GPU'}"]
    for name, entry in registry.models.items():
        mark = "*" if name == registry.default else " "
        ctx = entry.max_model_len or "model's own"
        lines.append(f"{mark} {name:<26} {entry.source:<40} ctx={ctx} tp={entry.tensor_parallel_size}")
        if entry.description:
            lines.append(f"    {entry.description}")
        choice = resolve_dtype(entry.dtype, on_cpu=on_cpu, cpu=cpu)
        lines.append(f"    dtype {choice.dtype}: {choice.reason}")
        if on_cpu:
            threads = cpu_thread_settings(cpu, reserved=entry.cpu_reserved_cores, bind=entry.cpu_threads_bind)
            shown = " ".join(f"{k}={v}" for k, v in threads.items()) or "vLLM's defaults"
            lines.append(f"    CPU threads: {shown}")
    print("\n".join(lines), file=console().out)
    return ExitCode.OK


def cmd_strategies(args: argparse.Namespace) -> ExitCode:
    lines = []
    for info in list_strategies():
        lines.append(f"{info.name:<18} {info.description}")
        lines.append(f"{'':<18} engine cost per query: {info.calls}")
    print("\n".join(lines), file=console().out)
    return ExitCode.OK


def cmd_ask(args: argparse.Namespace) -> ExitCode:
    entry, config = _prepare(args)
    strategy = get_strategy(args.strategy, config)

    async def ask() -> Any:
        from engine import VLLMClient

        with VLLMClient(entry) as client:
            return await strategy.optimize(args.question, client, system=args.system)

    with _engine_output(args):
        solution = asyncio.run(ask())
    meta = solution.metadata
    lines = [
        solution.reasoning.strip(),
        "",
        f"answer: {solution.answer or '(none found)'}",
        f"strategy: {meta.strategy}   selected by: {meta.selection_rule}   verified: {solution.is_verified}",
        f"tokens: prompt {meta.usage.prompt_tokens} (cached {meta.usage.cached_tokens}), "
        f"completion {meta.usage.completion_tokens}; {meta.engine_requests} engine requests "
        f"in {meta.engine_calls} batched calls; {meta.wall_s:.1f} s",
    ]
    if len(meta.usage_by_phase) > 1:
        lines += [
            f"  {phase:<14} requests {u.requests:>3}  prompt {u.prompt_tokens:>6}  "
            f"cached {u.cached_tokens:>6} ({u.cache_hit_rate:.0%})  completion {u.completion_tokens:>6}"
            for phase, u in meta.usage_by_phase.items()
        ]
    print("\n".join(lines), file=console().out)
    return ExitCode.OK


def cmd_run(args: argparse.Namespace) -> ExitCode:
    from strategies.cli.run import run_file
    from strategies.runner.jsonl import RunOptions, config_of

    entry, config = _prepare(args)
    options = RunOptions(
        input=args.input,
        output=args.output,
        strategy=args.strategy,
        config=config_of(config),
        model=entry.name,
        concurrency=args.concurrency,
        limit=args.limit,
        keep_reasoning=not args.no_reasoning,
        retry_errors=args.retry_errors,
    )
    return run_file(options, entry, engine_output=_engine_output(args), quiet=args.quiet, ray=_ray_settings(args))


def _ray_settings(args: argparse.Namespace) -> RaySettings | None:
    """The Ray placement `run` asked for (any Ray flag asks for Ray), or None: one engine here."""
    if not (args.ray or args.replicas or args.ray_address or args.cpus_per_replica):
        return None
    require_ray()  # before any file is written
    return RaySettings(replicas=args.replicas or 1, address=args.ray_address, cpus_per_replica=args.cpus_per_replica)


def _prepare(args: argparse.Namespace) -> tuple[ModelEntry, StrategyConfig]:
    """Resolve the model entry and validate the strategy config: before any engine starts."""
    registry: ModelRegistry = load_registry(args.models)
    entry = registry.get(args.model)
    settings: dict[str, Any] = {}
    if args.config is not None:
        settings.update(read_config(args.config, args.strategy))
    settings.update(parse_settings(args.overrides))
    if args.budget is not None:
        settings["budget_tokens"] = args.budget
    if "max_tokens" not in settings:
        settings["max_tokens"] = entry.sampling.max_tokens
    return entry, build_config(args.strategy, settings)


def cmd_serve(args: argparse.Namespace) -> ExitCode:
    from strategies.serve import ServeSettings, serve
    from strategies.serve.server import bind

    entry = load_registry(args.models).get(args.model)
    sock = bind(args.host, args.port)  # a port in use fails now, not after the engine's start
    key = args.api_key if args.api_key is not None else os.environ.get("OPTIVLLM_API_KEY", "")
    settings = ServeSettings(
        api_keys=(key,) if key else (),
        max_in_flight=args.max_in_flight,
        stream_interval=args.stream_interval,
        default_max_tokens=entry.sampling.max_tokens,
        share_batches=False,  # vLLM batches every request in flight continuously: no merging needed
    )
    with _engine_output(args) as con:
        if not key and args.host not in ("127.0.0.1", "localhost", "::1"):
            con.note(f"optivllm serve: warning: listening on {args.host} with no API key (--api-key)")

        def ready(url: str) -> None:
            con.note(f"optivllm serve: {entry.name} on {url} (Ctrl-C stops it)")

        serve(entry, sock=sock, settings=settings, access_log=args.verbose, on_ready=ready)
    return ExitCode.OK
