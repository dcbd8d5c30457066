"""`optivllm run`: a resumable batch run over a JSONL file, with a progress bar and a summary.

The order of work is what keeps it safe: validate the input and recover the output file first
(no engine yet), write the input's error records, then start the engine and append each result
the moment it finishes. Killing the process at any point loses at most the items in flight;
re-running the same command picks up where it stopped.

`run_jsonl` is the same run on a client you already have (a service, a notebook, a test):

    >>> summary = await run_jsonl(RunOptions(input=Path("q.jsonl"), output=Path("r.jsonl")),
    ...                           client)                                     # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine import ModelClient, ModelEntry, Usage
from strategies._console import console
from strategies.base import StrategyConfig, get_optimizer
from strategies.batch import DEFAULT_CONCURRENCY, BatchItem, BatchResult, run_batch
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


class RunOptions(BaseModel):
    """What `optivllm run` was asked to do."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    input: Path
    output: Path
    strategy: str = "mars"
    config: dict[str, Any] = Field(default_factory=dict, description="Strategy settings.")
    model: str = Field("", description="Model name, for the summary.")
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1)
    limit: int | None = Field(None, ge=0)
    keep_reasoning: bool = True
    retry_errors: bool = False
    quiet: bool = False


class PreparedRun:
    """The input read, the output recovered and the work left: everything before the engine."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        items, self.input_errors = read_input(options.input)
        if options.limit is not None:
            items, self.input_errors = _first_lines(items, self.input_errors, options.limit)
        self.done: Done = recover_output(options.output)
        if self.done.truncated_bytes:
            _note(f"dropped a torn last line ({self.done.truncated_bytes} bytes) from {options.output}")
        if options.retry_errors:
            self.done = drop_errors(options.output, self.done)
        self.todo = [i for i in items if not self.done.has(i.id, i.line)]
        if len(items) > len(self.todo):
            _note(f"resuming: {len(items) - len(self.todo)} item(s) already in {options.output}")
        self.written = 0
        self.started = time.perf_counter()

    def record(self, writer: OutputWriter, result: BatchResult) -> None:
        writer.write(result)
        self.done.records.append(result.model_dump(mode="json"))
        if result.id is not None:
            self.done.ids.add(result.id)
        self.written += 1

    def write_input_errors(self, writer: OutputWriter) -> None:
        for error in self.input_errors:
            if not self.done.has(error.id, error.line):
                self.record(writer, error)

    def summary(self) -> RunSummary:
        o = self.options
        summary = summarize(
            self.done.records,
            strategy=o.strategy,
            model=o.model,
            wall_s=time.perf_counter() - self.started,
            run_items=self.written,
        )
        summary_path(o.output).write_text(summary.model_dump_json(indent=2) + "\n")
        return summary


async def run_prepared(run: PreparedRun, client: ModelClient) -> RunSummary:
    """Run the work left on `client`, appending each result as it finishes."""
    o = run.options
    optimizer = get_optimizer(o.strategy, o.config)
    writer = OutputWriter(o.output, keep_reasoning=o.keep_reasoning)
    progress = _Progress(len(run.todo), quiet=o.quiet)
    try:
        run.write_input_errors(writer)
        run.started = time.perf_counter()  # rates cover the batch, not the engine's start
        async for result in run_batch(run.todo, optimizer, client, concurrency=o.concurrency):
            run.record(writer, result)
            progress.update(result)
    finally:
        progress.close()
        writer.close()
    return run.summary()


async def run_jsonl(options: RunOptions, client: ModelClient) -> RunSummary:
    """A whole `optivllm run` on an existing client; returns the summary (also written to disk)."""
    return await run_prepared(PreparedRun(options), client)


def run_file(options: RunOptions, entry: ModelEntry) -> int:
    """The CLI's run: prepare, start the engine only if there is work, run, summarize."""
    import asyncio

    run = PreparedRun(options)
    interrupted = False
    try:
        if run.todo:
            from engine import VLLMClient

            with VLLMClient(entry) as client:
                asyncio.run(run_prepared(run, client))
        else:
            writer = OutputWriter(options.output, keep_reasoning=options.keep_reasoning)
            run.write_input_errors(writer)
            writer.close()
    except KeyboardInterrupt:
        interrupted = True
    summary = run.summary()
    print_summary(summary, options.output)
    if interrupted:
        _note(f"interrupted: {run.written} item(s) written this run; re-run the same command to resume")
        return EXIT_INTERRUPTED
    return EXIT_FAILURES if summary.failures else EXIT_OK


def _first_lines(
    items: list[BatchItem], errors: list[BatchResult], limit: int
) -> tuple[list[BatchItem], list[BatchResult]]:
    """The first `limit` input records, good or bad, in file order."""
    lines = sorted([i.line or 0 for i in items] + [e.line or 0 for e in errors])[:limit]
    last = lines[-1] if lines else 0
    return [i for i in items if (i.line or 0) <= last], [e for e in errors if (e.line or 0) <= last]


def _note(message: str) -> None:
    console().note(message)


class _Progress:
    """A tqdm bar with questions/s, completion tokens/s and the prefix-cache hit rate."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        from tqdm import tqdm

        err = console().err
        self._bar = tqdm(total=total, unit="q", disable=quiet or not err.isatty(), dynamic_ncols=True, file=err)
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


def print_summary(s: RunSummary, output: Path) -> None:
    """The end-of-run report on stdout."""
    acc = f"{s.accuracy:.1%} ({s.correct}/{s.graded})" if s.accuracy is not None else "n/a (no references)"
    print(
        f"\n{s.strategy} on {s.model}: {s.items} items, {s.succeeded} ok, {s.failures} failed"
        f" ({s.resumed_items} from earlier runs)\n"
        f"accuracy: {acc}\n"
        f"tokens: prompt {s.prompt_tokens} (cached {s.cached_tokens}, hit rate {s.prefix_cache_hit_rate:.1%}),"
        f" completion {s.completion_tokens}; {s.engine_requests} engine requests\n"
        f"this run: {s.run_items} items in {s.wall_s:.1f} s, {s.questions_per_s:.3f} questions/s,"
        f" {s.completion_tokens_per_s:.1f} completion tokens/s\n"
        f"results: {output}   summary: {summary_path(output)}",
        file=console().out,
    )


def config_of(config: StrategyConfig) -> dict[str, Any]:
    """A validated strategy config as the plain settings `RunOptions` carries."""
    return config.model_dump()
