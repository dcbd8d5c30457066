"""Batch runs over engine replicas on a real local Ray instance: 2 CPU replicas of the default
model, one core each (the CI machine has 2).

The command-line test runs first, on a Ray instance of its own that the command starts and
stops (and that Ctrl-C stops); the library tests then share one pool of 2 replicas; the fault
test kills a replica last.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from engine import ConfigError, EngineStartError, VLLMClient, load_registry
from strategies import BatchItem, run_batch
from strategies.cli import ExitCode
from strategies.runner import PreparedRun, RayReplicas, RaySettings, RunOptions, run_jsonl, run_prepared

pytestmark = pytest.mark.engine

PLAIN = {"max_tokens": 12}
MARS_LIGHT = {"preset": "lightweight", "max_tokens": 24, "verify_max_tokens": 12}


def _items(n: int, prefix: str = "q") -> list[BatchItem]:
    return [BatchItem(id=f"{prefix}{i}", question=f"What is {i} + {i + 1}?", answer=str(2 * i + 1)) for i in range(n)]


def _write_questions(path: Path, items: list[BatchItem]) -> None:
    path.write_text("".join(json.dumps({"id": i.id, "question": i.question, "answer": i.answer}) + "\n" for i in items))


def _records(path: Path) -> list[dict[str, Any]]:
    """The whole records of `path` (a line a run is still writing is left out)."""
    lines = path.read_bytes().splitlines(keepends=True)
    return [json.loads(line) for line in lines if line.endswith(b"\n")]


async def test_the_run_command_on_ray_resumes_a_single_engine_run_and_stops_cleanly_on_ctrl_c(
    engine_client: VLLMClient, tmp_path: Path
):
    questions, out = tmp_path / "questions.jsonl", tmp_path / "results.jsonl"
    _write_questions(questions, _items(120))
    options = RunOptions(input=questions, output=out, strategy="plain", config=PLAIN)
    await run_jsonl(options.model_copy(update={"limit": 2}), engine_client)  # q0, q1 on one engine here

    # the same file on 2 replicas, one question in flight each; Ctrl-C (SIGINT to the whole
    # process group, as a terminal sends it) once the replicas have written a few
    command = [sys.executable, "-m", "strategies.cli", "run", "-i", str(questions), "-o", str(out), "--quiet"]
    command += ["--strategy", "plain", "--set", "max_tokens=12", "--ray", "--replicas", "2", "--concurrency", "1"]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 600
    while len(_records(out)) < 6:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-3000:]
        with contextlib.suppress(psutil.Error):
            started.update((c.pid, c) for c in psutil.Process(proc.pid).children(recursive=True))
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == ExitCode.INTERRUPTED, err[-3000:]
    assert "2 cpu replica(s)" in err and "re-run the same command to resume" in err
    _, alive = psutil.wait_procs(list(started.values()), timeout=60)  # Ray's and the engines' processes
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    assert started and not alive, f"processes outlived the interrupted run: {alive}"
    written = [r["id"] for r in _records(out)]
    assert written[:2] == ["q0", "q1"] and len(written) == len(set(written)) < 120  # whole rows, none twice
    summary = json.loads((tmp_path / "results.summary.json").read_text())
    assert summary["resumed_items"] == 2 and summary["run_items"] == len(written) - 2  # q0, q1 went to no replica

    # and the rest on one engine again: every id exactly once
    await run_jsonl(options, engine_client)
    assert sorted(r["id"] for r in _records(out)) == sorted(f"q{i}" for i in range(120))


@pytest.fixture(scope="module")
def pool() -> Iterator[RayReplicas]:
    with RayReplicas(load_registry().get(), settings=RaySettings(replicas=2)) as replicas:
        yield replicas


def _finished(pool: RayReplicas) -> list[int]:
    return [s.finished for s in pool.stats()]


async def test_eight_plain_questions_come_back_once_each_in_the_form_of_a_single_engine_run(
    pool: RayReplicas, engine_client: VLLMClient
):
    before = _finished(pool)
    spread = [r async for r in pool.run(_items(8), "plain", config=PLAIN, concurrency=4)]
    single = [r async for r in run_batch(_items(8), "plain", engine_client, config=PLAIN, concurrency=4)]
    assert sorted(r.id for r in spread) == sorted(r.id for r in single) == [f"q{i}" for i in range(8)]
    assert all(r.ok for r in spread)
    for a, b in zip(sorted(spread, key=lambda r: r.id), sorted(single, key=lambda r: r.id), strict=True):
        assert set(a.model_dump(exclude_none=True)) == set(b.model_dump(exclude_none=True))
        assert (a.strategy, a.selection_rule, a.usage.requests, a.reference) == (
            b.strategy,
            b.selection_rule,
            b.usage.requests,
            b.reference,
        )
    assert all(after > earlier for after, earlier in zip(_finished(pool), before, strict=True))  # both did work


async def test_four_mars_lightweight_questions_run_their_phases_on_the_replicas(pool: RayReplicas):
    results = [r async for r in pool.run(_items(4, "m"), "mars", config=MARS_LIGHT, concurrency=2)]
    assert sorted(r.id for r in results) == ["m0", "m1", "m2", "m3"]
    assert all(r.ok and r.strategy == "mars" and r.usage.requests >= 2 for r in results)


async def test_a_second_run_of_the_same_file_sends_no_finished_id_to_any_replica(pool: RayReplicas, tmp_path: Path):
    questions, out = tmp_path / "questions.jsonl", tmp_path / "results.jsonl"
    _write_questions(questions, _items(5, "r"))
    await run_prepared(
        PreparedRun(RunOptions(input=questions, output=out, strategy="plain", config=PLAIN, limit=3)), pool
    )
    before = sum(_finished(pool))
    second = PreparedRun(RunOptions(input=questions, output=out, strategy="plain", config=PLAIN))
    assert [i.id for i in second.todo] == ["r3", "r4"]
    await run_prepared(second, pool)
    assert sum(_finished(pool)) - before == 2
    assert sorted(r["id"] for r in _records(out)) == ["r0", "r1", "r2", "r3", "r4"]


async def test_the_scale_benchmark_row_counts_each_replicas_answers(pool: RayReplicas):
    from benchmarks import bench_scale

    row = await bench_scale.measure(pool, _items(4, "s"), "plain", PLAIN, concurrency=2)
    assert (row["replicas"], row["q"], row["failures"], row["engine_requests"]) == (2, 4, 0, 4)
    assert sum(row["answered_by_replica"]) == 4 and row["questions_per_s"] > 0
    first, second = (set(p["cores"]) for p in row["placement"])
    assert first and second and not first & second  # cores of their own, not the same ones


def test_more_replicas_than_the_cluster_holds_is_an_error_naming_both(pool: RayReplicas):
    import ray

    cpus = int(ray.cluster_resources()["CPU"])
    too_many = RaySettings(replicas=cpus + 1, cpus_per_replica=1)
    with pytest.raises(ConfigError, match=rf"{cpus + 1} CPU replica\(s\).*need 1 CPU\(s\) each.*CPUs \[{cpus}\]"):
        RayReplicas(load_registry().get(), settings=too_many).start()


def test_a_replica_the_busy_cluster_cannot_place_is_an_error_naming_what_was_asked_and_what_there_is(
    pool: RayReplicas,
):
    # the pool holds every CPU: one more replica waits for one until its start timeout
    waiting = RaySettings(replicas=1, cpus_per_replica=1, start_timeout_s=3)
    with pytest.raises(
        EngineStartError,
        match=r"could not be placed within 3 s; asked for .*'num_cpus': 1.*has \d+ CPU, 0 GPU \(0 CPU, 0 GPU free now\)",
    ):
        RayReplicas(load_registry().get(), settings=waiting).start()


async def test_a_killed_replica_and_a_dead_engine_lose_no_question(pool: RayReplicas):
    """Replica 0's actor is killed after its first answer, replica 1's engine after its own:
    for a while no replica can answer; Ray restarts both, and every question still comes once."""
    import ray

    before = _finished(pool)
    engine_1 = (await pool.actor(1).where.remote())["engine_pids"]
    assert engine_1, "replica 1 runs its engine in processes of its own"
    done: set[int] = set()

    def kill_each_after_its_first_answer(result: object) -> None:
        finished = _finished(pool)
        if 0 not in done and finished[0] > before[0]:
            done.add(0)
            ray.kill(pool.actor(0), no_restart=False)  # the actor dies; Ray restarts it
        if 1 not in done and finished[1] > before[1]:
            done.add(1)
            for pid in engine_1:  # the engine dies, the actor lives: the driver has Ray restart it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    results = [
        r
        async for r in pool.run(
            _items(8, "k"), "plain", config=PLAIN, concurrency=2, on_result=kill_each_after_its_first_answer
        )
    ]
    assert done == {0, 1}, "a replica answered nothing before the others finished"
    assert sorted(r.id for r in results) == [f"k{i}" for i in range(8)]  # every id exactly once
    assert all(r.ok for r in results)
    stats = pool.stats()
    assert [s.restarts for s in stats] == [1, 1]
    assert stats[0].requeued >= 1  # what replica 0 had in flight ran again
