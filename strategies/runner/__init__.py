"""Batch runs: many queries through one strategy on one client (`run_batch`) or on engine replicas
on a Ray cluster (`RayReplicas`, `run_batch_ray`), and resumable JSONL files in and out
(`run_jsonl`: the library side of `optivllm run`).

Example:
    >>> from strategies.runner import BatchItem
    >>> BatchItem(id="q1", question="2+2?").question
    '2+2?'
"""

from strategies.runner.batch import BatchItem, BatchResult, as_items, run_batch, run_batch_sync, solve_item
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
from strategies.runner.jsonl import PreparedRun, RunOptions, config_of, run_jsonl, run_prepared
from strategies.runner.replica import Replica
from strategies.runner.replicas import RayReplicas, RaySettings, ReplicaStats, run_batch_ray

__all__ = [
    "BatchItem",
    "BatchResult",
    "Done",
    "OutputWriter",
    "PreparedRun",
    "RayReplicas",
    "RaySettings",
    "Replica",
    "ReplicaStats",
    "RunOptions",
    "RunSummary",
    "as_items",
    "config_of",
    "drop_errors",
    "read_input",
    "recover_output",
    "run_batch",
    "run_batch_ray",
    "run_batch_sync",
    "run_jsonl",
    "run_prepared",
    "solve_item",
    "summarize",
    "summary_path",
]
