"""The `optivllm` command: list models and strategies, ask one question, run a batch.

    optivllm models
    optivllm strategies
    optivllm ask "What is 17 * 3?" [--strategy mars] [--model NAME]
    optivllm run --input questions.jsonl --output results.jsonl [--strategy mars] [--concurrency 64]

Everything a user can get wrong (a model, strategy or config key that does not exist, a missing
input file) is checked before the engine starts, and reported with the valid choices.
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
from pathlib import Path
from typing import Any

from engine import ConfigError, ModelEntry, ModelRegistry, OptivllmError, load_registry
from strategies.base import StrategyConfig, build_config, get_optimizer, list_optimizers

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `optivllm` console script."""
    args = _parser().parse_args(argv)
    # vLLM's warnings about CPU tuning are noise for a command-line user; -v shows them
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "DEBUG" if args.verbose else "ERROR")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    signal.signal(signal.SIGTERM, _stop_gracefully)  # like Ctrl-C: finish writes, shut the engine down
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ConfigError, OptivllmError) as err:
        print(f"optivllm: error: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, (ConfigError, ValueError)) else EXIT_FAILURES


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
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one strategy setting, value in TOML syntax (repeatable): --set num_agents=4",
    )


# -- commands ---------------------------------------------------------------------------------


def cmd_models(args: argparse.Namespace) -> int:
    registry = load_registry(args.models)
    print(f"models from {registry.path}")
    for name, entry in registry.models.items():
        mark = "*" if name == registry.default else " "
        ctx = entry.max_model_len or "model's own"
        print(f"{mark} {name:<26} {entry.source:<40} ctx={ctx} tp={entry.tensor_parallel_size}")
        if entry.description:
            print(f"    {entry.description}")
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
    print(solution.reasoning.strip())
    print()
    print(f"answer: {solution.answer or '(none found)'}")
    print(f"strategy: {meta.strategy}   selected by: {meta.selection_rule}   verified: {solution.is_verified}")
    print(
        f"tokens: prompt {meta.usage.prompt_tokens} (cached {meta.usage.cached_tokens}), "
        f"completion {meta.usage.completion_tokens}; {meta.engine_requests} engine requests "
        f"in {meta.engine_calls} batched calls; {meta.wall_s:.1f} s"
    )
    if len(meta.usage_by_phase) > 1:
        for phase, u in meta.usage_by_phase.items():
            print(
                f"  {phase:<14} requests {u.requests:>3}  prompt {u.prompt_tokens:>6}  "
                f"cached {u.cached_tokens:>6} ({u.cache_hit_rate:.0%})  completion {u.completion_tokens:>6}"
            )
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
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        settings[key.strip()] = _toml_value(key.strip(), value)
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


def _toml_value(key: str, text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: take it as a string


if __name__ == "__main__":
    sys.exit(main())
