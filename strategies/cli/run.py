"""`optivllm run`'s console side: the progress bar, the run's notes and the end-of-run report.

The run itself is `strategies.runner.jsonl`'s library code, which never prints; this module
starts the engine only when there is work left, shows what the library reports, and turns the
outcome into an exit code.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractContextManager
from pathlib import Path

from engine import ModelEntry, Usage, VLLMClient
from strategies.cli.console import Console, console
from strategies.cli.exit_codes import ExitCode
from strategies.runner.batch import BatchResult
from strategies.runner.files import RunSummary, summary_path
from strategies.runner.jsonl import PreparedRun, RunOptions, run_prepared
from strategies.runner.replicas import RayReplicas, RaySettings, ReplicaStats


def run_file(
    options: RunOptions,
    entry: ModelEntry,
    *,
    engine_output: AbstractContextManager[Console],
    quiet: bool = False,
    ray: RaySettings | None = None,
) -> ExitCode:
    """Prepare, start the engine (inside `engine_output`; replicas on Ray with `ray`) only if
    there is work, run, summarize."""
    run = PreparedRun(options)
    for note in run.notes:
        console().note(note)
    interrupted = False
    try:
        if run.todo:
            # the engine starts inside `engine_output`: what it prints goes to the engine log
            with engine_output as con, _engines(entry, ray) as client:
                if isinstance(client, RayReplicas):
                    con.note(_placement(client))
                progress = Progress(len(run.todo), quiet=quiet)
                try:
                    asyncio.run(run_prepared(run, client, on_result=progress.update))
                finally:
                    progress.close()
                    if isinstance(client, RayReplicas):
                        con.note(_replica_report(client))
        else:
            run.write_input_errors()
    except KeyboardInterrupt:
        interrupted = True
    summary = run.summary()
    print_summary(summary, options.output)
    if interrupted:
        console().note(f"interrupted: {run.written} item(s) written this run; re-run the same command to resume")
        return ExitCode.INTERRUPTED
    return ExitCode.FAILURES if summary.failures else ExitCode.OK


def _engines(entry: ModelEntry, ray: RaySettings | None) -> VLLMClient | RayReplicas:
    return VLLMClient(entry) if ray is None else RayReplicas(entry, settings=ray)


def _placement(pool: RayReplicas) -> str:
    where = "; ".join(f"{s.replica} on {s.host} ({_devices(s)})" for s in pool.stats())
    return f"optivllm: {pool.replicas} {pool.device} replica(s) of {pool.entry.name}: {where}; Ray's logs: {pool.session_dir}"


def _replica_report(pool: RayReplicas) -> str:
    parts = [
        f"{s.replica}: {s.finished} answered" + (f", died {s.restarts}x ({s.requeued} re-sent)" if s.restarts else "")
        for s in pool.stats()
    ]
    return "optivllm: replicas " + "; ".join(parts)


def _devices(s: ReplicaStats) -> str:
    return f"GPUs {','.join(s.gpus)}" if s.gpus else f"cores {_span(s.cores)}"


def _span(cores: list[int]) -> str:
    return (
        f"{cores[0]}-{cores[-1]}"
        if len(cores) > 1 and cores == list(range(cores[0], cores[-1] + 1))
        else ",".join(map(str, cores))
    )


class Progress:
    """A tqdm bar on the console with questions/s, completion tokens/s and the prefix-cache hit rate."""

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
    """The end-of-run report on the console's stdout."""
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
