"""`optivllm run`: a resumable batch run over a JSONL file, with a progress bar and a summary.

The order of work is what keeps it safe: validate the input and recover the output file first
(no engine yet), write the input's error records, then start the engine and append each result
the moment it finishes. Killing the process at any point loses at most the items in flight;
re-running the same command picks up where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from engine import ModelEntry, Usage
from strategies.base import StrategyConfig, get_optimizer
from strategies.batch import BatchItem, BatchResult, run_batch
from strategies.runfile import (
    Done,
    OutputWriter,
    RunSummary,
    drop_errors,
    read_input,
    recover_output,
    summarize,
    summary_path,
)

EXIT_OK, EXIT_FAILURES, EXIT_INTERRUPTED = 0, 1, 130


def run_file(args: argparse.Namespace, entry: ModelEntry, config: StrategyConfig) -> int:
    """Run `args.strategy` over `args.input`, appending to `args.output`; returns the exit code."""
    items, input_errors = read_input(args.input)
    if args.limit is not None:
        items, input_errors = _first_lines(items, input_errors, args.limit)
    done = recover_output(args.output)
    if done.truncated_bytes:
        print(f"note: dropped a torn last line ({done.truncated_bytes} bytes) from {args.output}", file=sys.stderr)
    if args.retry_errors:
        done = drop_errors(args.output, done)
    todo = [i for i in items if not done.has(i.id, i.line)]
    skipped = len(items) - len(todo)
    if skipped:
        print(f"resuming: {skipped} item(s) already in {args.output}", file=sys.stderr)

    optimizer = get_optimizer(args.strategy, config)
    writer = OutputWriter(args.output, keep_reasoning=not args.no_reasoning)
    start = time.perf_counter()
    written = 0
    interrupted = False
    try:
        for error in input_errors:
            if not done.has(error.id, error.line):
                written += _record(writer, done, error)
        if todo:
            from engine import VLLMClient

            with VLLMClient(entry) as client:
                start = time.perf_counter()  # rates exclude the engine's start
                written += asyncio.run(_run(todo, optimizer, client, writer, done, args))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        writer.close()

    summary = summarize(
        done.records, strategy=args.strategy, model=entry.name, wall_s=time.perf_counter() - start, run_items=written
    )
    summary_path(args.output).write_text(summary.model_dump_json(indent=2) + "\n")
    _print_summary(summary, args.output)
    if interrupted:
        print(
            f"interrupted: {written} item(s) written this run; re-run the same command to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return EXIT_FAILURES if summary.failures else EXIT_OK


def _first_lines(
    items: list[BatchItem], errors: list[BatchResult], limit: int
) -> tuple[list[BatchItem], list[BatchResult]]:
    """The first `limit` input records, good or bad, in file order."""
    lines = sorted([i.line or 0 for i in items] + [e.line or 0 for e in errors])[:limit]
    last = lines[-1] if lines else 0
    return [i for i in items if (i.line or 0) <= last], [e for e in errors if (e.line or 0) <= last]


def _record(writer: OutputWriter, done: Done, result: BatchResult) -> int:
    writer.write(result)
    done.records.append(result.model_dump(mode="json"))
    if result.id is not None:
        done.ids.add(result.id)
    return 1


async def _run(
    todo: list[BatchItem], optimizer: Any, client: Any, writer: OutputWriter, done: Done, args: argparse.Namespace
) -> int:
    progress = _Progress(len(todo), quiet=args.quiet)
    written = 0
    try:
        async for result in run_batch(todo, optimizer, client, concurrency=args.concurrency):
            written += _record(writer, done, result)
            progress.update(result)
    finally:
        progress.close()
    return written


class _Progress:
    """A tqdm bar with questions/s, completion tokens/s and the prefix-cache hit rate."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total, unit="q", disable=quiet or not sys.stderr.isatty(), dynamic_ncols=True, file=sys.stderr
        )
        self._usage = Usage()
        self._start = time.perf_counter()
        self._failed = 0

    def update(self, result: BatchResult) -> None:
        self._usage = self._usage + result.usage
        self._failed += not result.ok
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        self._bar.set_postfix(
            tok_s=f"{self._usage.completion_tokens / elapsed:.0f}",
            cache=f"{self._usage.cache_hit_rate:.0%}",
            failed=self._failed,
            refresh=False,
        )
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def _print_summary(s: RunSummary, output: Path) -> None:
    acc = f"{s.accuracy:.1%} ({s.correct}/{s.graded})" if s.accuracy is not None else "n/a (no references)"
    print(
        f"\n{s.strategy} on {s.model}: {s.items} items, {s.succeeded} ok, {s.failures} failed"
        f" ({s.resumed_items} from earlier runs)\n"
        f"accuracy: {acc}\n"
        f"tokens: prompt {s.prompt_tokens} (cached {s.cached_tokens}, hit rate {s.prefix_cache_hit_rate:.1%}),"
        f" completion {s.completion_tokens}; {s.engine_requests} engine requests\n"
        f"this run: {s.run_items} items in {s.wall_s:.1f} s, {s.questions_per_s:.3f} questions/s,"
        f" {s.completion_tokens_per_s:.1f} completion tokens/s\n"
        f"results: {output}   summary: {summary_path(output)}"
    )
