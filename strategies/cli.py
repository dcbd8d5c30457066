"""The `optivllm` command: list models and strategies, ask one question, run a batch.

    optivllm models
    optivllm strategies
    optivllm ask "What is 17 * 3?" [--strategy mars] [--model NAME]
    optivllm run --input questions.jsonl --output results.jsonl [--strategy mars] [--concurrency 64]

Everything a user can get wrong (a model, strategy or config key that does not exist, a missing
input file) is checked before the engine starts, and reported with the valid choices.
`run` and `ask` print optivllm's own lines only: what vLLM and its processes write goes to an
engine log (next to the output for `run`, in the cache folder for `ask`), whose path is printed
once; `-v` shows it on the terminal instead. A failed engine start shows the log's last lines.
Exit codes: 0 success, 1 some items failed, 2 bad usage or configuration, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tomllib
import traceback
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from engine import (
    ConfigError,
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
from strategies._console import Console, console, engine_output_to
from strategies.base import StrategyConfig, build_config, get_optimizer, list_optimizers

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `optivllm` console script."""
    args = _parser().parse_args(argv)
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "INFO")
    signal.signal(signal.SIGTERM, _stop_gracefully)  # like Ctrl-C: finish writes, shut the engine down
    log = None if args.verbose else _engine_log(args)
    with engine_output_to(log) if log else nullcontext(console()) as con:
        _configure_logging(con, verbose=args.verbose)
        if log:
            con.note(f"optivllm: engine output goes to {log} (-v shows it here)")
        return _run_command(args, con)


def _run_command(args: argparse.Namespace, con: Console) -> int:
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        con.note("interrupted")
        return EXIT_INTERRUPTED
    except (ConfigError, OptivllmError) as err:
        con.note(f"optivllm: error: {err}")
        if isinstance(err, (EngineStartError, EngineDeadError)) and con.log_tail():
            con.note(f"the engine log {con.log} ends with:\n{con.log_tail()}")
        return EXIT_USAGE if isinstance(err, (ConfigError, ValueError)) else EXIT_FAILURES
    except Exception:
        con.note("optivllm: unexpected error (please report it):\n" + traceback.format_exc().rstrip())
        if con.log_tail():
            con.note(f"the engine log {con.log} ends with:\n{con.log_tail()}")
        return EXIT_FAILURES


def _engine_log(args: argparse.Namespace) -> Path | None:
    """Where the engine's output goes for commands that start one (None: no engine)."""
    if args.command is cmd_run:
        output: Path = args.output
        return output.with_name(output.stem + ".engine.log")
    if args.command is cmd_ask:
        return cache_dir() / "logs" / "ask.engine.log"
    return None


def _configure_logging(con: Console, *, verbose: bool) -> None:
    """optivllm's own warnings (debug lines with -v) on the console; everything else to stderr.

    With an engine log, stderr is that log; vLLM configures its own loggers itself.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True)
    ours = logging.StreamHandler(con.err)
    ours.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name in ("engine", "kernels", "strategies", "benchmarks"):
        logger = logging.getLogger(name)
        logger.handlers = [ours]
        logger.propagate = False
        logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


def _stop_gracefully(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optivllm", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    models = sub.add_parser("models", help="list the model registry (models.toml)")
    models.add_argument("--models", type=Path, help="path of models.toml")
    models.set_defaults(command=cmd_models)

    strategies = sub.add_parser("strategies", help="list the strategies")
    strategies.set_defaults(command=cmd_strategies)

    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    _add_engine_args(ask, default_strategy="plain")
    ask.add_argument("--system", help="system prompt")
    ask.set_defaults(command=cmd_ask)

    run = sub.add_parser("run", help="run a strategy over a JSONL file of questions (resumable)")
    run.add_argument("--input", "-i", type=Path, required=True, help="questions, one JSON object a line")
    run.add_argument("--output", "-o", type=Path, required=True, help="results JSONL (appended to)")
    _add_engine_args(run, default_strategy="mars")
    run.add_argument("--concurrency", type=int, default=64, help="queries in flight (default 64)")
    run.add_argument("--limit", type=int, help="run at most this many input items")
    run.add_argument("--no-reasoning", action="store_true", help="leave reasoning out of the output")
    run.add_argument("--retry-errors", action="store_true", help="run again the items that failed before")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.set_defaults(command=cmd_run)
    return parser


def _add_engine_args(p: argparse.ArgumentParser, *, default_strategy: str) -> None:
    p.add_argument("--strategy", "-s", default=default_strategy, help=f"strategy (default {default_strategy})")
    p.add_argument("--model", "-m", help="model registry entry (default: the registry's default)")
    p.add_argument("--models", type=Path, help="path of models.toml")
    p.add_argument("--config", "-c", type=Path, help="TOML file of strategy settings")
    add_set_argument(p, "one strategy setting, value in TOML syntax (repeatable): --set num_agents=4")


# -- commands ---------------------------------------------------------------------------------


def cmd_models(args: argparse.Namespace) -> int:
    from engine.hardware import cpu_thread_settings, on_cpu_device

    registry = load_registry(args.models)
    on_cpu = on_cpu_device()
    cpu = cpu_info()
    print(f"models from {registry.path}")
    print(f"device: {'CPU ' + cpu.describe() if on_cpu else 'GPU'}")
    for name, entry in registry.models.items():
        mark = "*" if name == registry.default else " "
        ctx = entry.max_model_len or "model's own"
        print(f"{mark} {name:<26} {entry.source:<40} ctx={ctx} tp={entry.tensor_parallel_size}")
        if entry.description:
            print(f"    {entry.description}")
        choice = resolve_dtype(entry.dtype, on_cpu=on_cpu, cpu=cpu)
        print(f"    dtype {choice.dtype}: {choice.reason}")
        if on_cpu:
            threads = cpu_thread_settings(cpu, reserved=entry.cpu_reserved_cores, bind=entry.cpu_threads_bind)
            shown = " ".join(f"{k}={v}" for k, v in threads.items()) or "vLLM's defaults"
            print(f"    CPU threads: {shown}")
    return EXIT_OK


def cmd_strategies(args: argparse.Namespace) -> int:
    for info in list_optimizers():
        print(f"{info.name:<18} {info.description}")
        print(f"{'':<18} engine cost per query: {info.calls}")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    entry, config = _prepare(args)
    optimizer = get_optimizer(args.strategy, config)

    async def ask() -> Any:
        from engine import VLLMClient

        with VLLMClient(entry) as client:
            return await optimizer.optimize(args.question, client, system=args.system)

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
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from strategies.batch_cli import RunOptions, config_of, run_file

    entry, config = _prepare(args)
    if args.concurrency < 1:
        raise ConfigError(f"--concurrency must be >= 1, got {args.concurrency}")
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
        quiet=args.quiet,
    )
    return run_file(options, entry)


# -- shared validation --------------------------------------------------------------------------


def _prepare(args: argparse.Namespace) -> tuple[ModelEntry, StrategyConfig]:
    """Resolve the model entry and validate the strategy config: before any engine starts."""
    registry: ModelRegistry = load_registry(args.models)
    entry = registry.get(args.model)
    settings: dict[str, Any] = {}
    if args.config is not None:
        settings.update(_read_config(args.config, args.strategy))
    settings.update(parse_settings(args.overrides))
    if "max_tokens" not in settings:
        settings["max_tokens"] = entry.sampling.max_tokens
    return entry, build_config(args.strategy, settings)


def _read_config(path: Path, strategy: str) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    # either the settings at top level, or a [strategy-name] table
    table = data.get(strategy)
    return dict(table) if isinstance(table, dict) else data


def add_set_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """The repeatable `--set KEY=VALUE` option (read with `parse_settings`)."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help)


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    """`--set KEY=VALUE` items as strategy settings; values in TOML syntax, a bare word is a string."""
    settings: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        try:
            settings[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            settings[key.strip()] = value
    return settings


if __name__ == "__main__":
    sys.exit(main())
