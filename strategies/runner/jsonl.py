"""A resumable batch run over a JSONL file: the library behind `optivllm run`.

The order of work is what keeps it safe: validate the input and recover the output file first
(no engine yet), write the input's error records, then run the work left and append each result
the moment it finishes. Killing the process at any point loses at most the items in flight;
re-running the same run picks up where it stopped.

Nothing here prints. `PreparedRun.notes` collects what a user should hear about the files
(a resume, a torn last line), `on_result` reports each result as it is written, and the
returned `RunSummary` is also written next to the output; `strategies.cli.run` turns these into
the command's progress bar and report.

    >>> summary = await run_jsonl(RunOptions(input=Path("q.jsonl"), output=Path("r.jsonl")),
    ...                           client, on_result=lambda r: print(r.id))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine import ModelClient
from strategies.catalog import get_strategy
from strategies.core.config import StrategyConfig
from strategies.runner.batch import DEFAULT_CONCURRENCY, BatchItem, BatchResult, OnResult, report, run_batch
from strategies.runner.files import (
    Done,
    OutputWriter,
    RunSummary,
    drop_errors,
    read_input,
    recover_output,
    summarize,
    summary_path,
)
from strategies.runner.replicas import RayReplicas


class RunOptions(BaseModel):
    """What a run over a JSONL file was asked to do."""

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


class PreparedRun:
    """The input read, the output recovered and the work left: everything before the engine.

    `notes` are the lines a user should see about the files (a resume, a dropped torn line),
    in the order they happened; the library never prints them.
    """

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.notes: list[str] = []
        items, self.input_errors = read_input(options.input)
        if options.limit is not None:
            items, self.input_errors = _first_lines(items, self.input_errors, options.limit)
        self.done: Done = recover_output(options.output)
        if self.done.truncated_bytes:
            self.notes.append(f"dropped a torn last line ({self.done.truncated_bytes} bytes) from {options.output}")
        if options.retry_errors:
            self.done = drop_errors(options.output, self.done)
        self.todo = [i for i in items if not self.done.has(i.id, i.line)]
        if len(items) > len(self.todo):
            self.notes.append(f"resuming: {len(items) - len(self.todo)} item(s) already in {options.output}")
        self.written = 0
        self.started = time.perf_counter()

    def record(self, writer: OutputWriter, result: BatchResult) -> None:
        writer.write(result)
        self.done.records.append(result.model_dump(mode="json"))
        if result.id is not None:
            self.done.ids.add(result.id)
        self.written += 1

    def write_input_errors(self) -> None:
        """Append the error records of the input's bad lines not already in the output."""
        writer = OutputWriter(self.options.output, keep_reasoning=self.options.keep_reasoning)
        try:
            self._write_input_errors(writer)
        finally:
            writer.close()

    def _write_input_errors(self, writer: OutputWriter) -> None:
        for error in self.input_errors:
            if not self.done.has(error.id, error.line):
                self.record(writer, error)

    def summary(self) -> RunSummary:
        """The summary of everything in the output so far; also written next to it."""
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


async def run_prepared(
    run: PreparedRun, client: ModelClient | RayReplicas, *, on_result: OnResult | None = None
) -> RunSummary:
    """Run the work left on `client` (one engine, or replicas on Ray with `concurrency` each),
    appending each result as it finishes.

    `on_result` is called (and awaited, if async) with each result of `run.todo` once it is
    written: a progress bar's hook.
    """
    o = run.options
    strategy = get_strategy(o.strategy, o.config)
    writer = OutputWriter(o.output, keep_reasoning=o.keep_reasoning)
    try:
        run._write_input_errors(writer)
        run.started = time.perf_counter()  # rates cover the batch, not the engine's start
        if isinstance(client, RayReplicas):
            results = client.run(run.todo, strategy, concurrency=o.concurrency)
        else:
            results = run_batch(run.todo, strategy, client, concurrency=o.concurrency)
        async for result in results:
            run.record(writer, result)
            await report(on_result, result)
    finally:
        writer.close()
    return run.summary()


async def run_jsonl(
    options: RunOptions, client: ModelClient | RayReplicas, *, on_result: OnResult | None = None
) -> RunSummary:
    """A whole run on an existing client; returns the summary (also written to disk)."""
    return await run_prepared(PreparedRun(options), client, on_result=on_result)


def _first_lines(
    items: list[BatchItem], errors: list[BatchResult], limit: int
) -> tuple[list[BatchItem], list[BatchResult]]:
    """The first `limit` input records, good or bad, in file order."""
    lines = sorted([i.line or 0 for i in items] + [e.line or 0 for e in errors])[:limit]
    last = lines[-1] if lines else 0
    return [i for i in items if (i.line or 0) <= last], [e for e in errors if (e.line or 0) <= last]


def config_of(config: StrategyConfig) -> dict[str, Any]:
    """A validated strategy config as the plain settings `RunOptions` carries."""
    return config.model_dump()
