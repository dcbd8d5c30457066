"""Batch runs over engine replicas on a real local Ray instance: 2 CPU replicas of the default
model, one core each (the CI machine has 2).

The command-line test runs first, on a Ray instance of its own that the command starts and
stops; the library tests then share one pool of 2 replicas; the fault test kills a replica last.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import ConfigError, VLLMClient, load_registry
from strategies import BatchItem, run_batch
from strategies.runner import PreparedRun, RayReplicas, RaySettings, RunOptions, run_jsonl, run_prepared

pytestmark = pytest.mark.engine

PLAIN = {"max_tokens": 12}
MARS_LIGHT = {"preset": "lightweight", "max_tokens": 24, "verify_max_tokens": 12}


def _items(n: int, prefix: str = "q") -> list[BatchItem]:
    return [BatchItem(id=f"{prefix}{i}", question=f"What is {i} + {i + 1}?", answer=str(2 * i + 1)) for i in range(n)]


def _write_questions(path: Path, items: list[BatchItem]) -> None:
    path.write_text("".join(json.dumps({"id": i.id, "question": i.question, "answer": i.answer}) + "\n" for i in items))


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_the_run_command_on_ray_resumes_what_a_single_engine_run_left(engine_client: VLLMClient, tmp_path: Path):
    questions, out = tmp_path / "questions.jsonl", tmp_path / "results.jsonl"
    _write_questions(questions, _items(6))
    first = RunOptions(input=questions, output=out, strategy="plain", config=PLAIN, limit=2)
    await run_jsonl(first, engine_client)  # two answered on one engine here, four left
    command = [sys.executable, "-m", "strategies.cli", "run", "-i", str(questions), "-o", str(out)]
    command += ["--strategy", "plain", "--set", "max_tokens=12", "--ray", "--replicas", "2", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    records = _records(out)
    assert sorted(r["id"] for r in records) == [f"q{i}" for i in range(6)]  # every id exactly once
    assert all(r.get("error") is None for r in records)
    summary = json.loads((tmp_path / "results.summary.json").read_text())
    assert (summary["resumed_items"], summary["run_items"]) == (2, 4)  # finished ids went to no replica
    assert "2 cpu replica(s)" in done.stderr and "re-run" not in done.stderr


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


async def test_a_replica_killed_after_its_first_result_loses_no_question(pool: RayReplicas):
    import ray

    before = _finished(pool)
    killed: list[str] = []

    def kill_replica_0_once(result: object) -> None:
        if not killed and _finished(pool)[0] > before[0]:
            killed.append(str(getattr(result, "id", "")))
            ray.kill(pool.actor(0), no_restart=False)  # Ray restarts it; its questions go elsewhere

    results = [
        r async for r in pool.run(_items(8, "k"), "plain", config=PLAIN, concurrency=2, on_result=kill_replica_0_once)
    ]
    assert killed, "replica 0 answered nothing before the others finished"
    assert sorted(r.id for r in results) == [f"k{i}" for i in range(8)]  # every id exactly once
    assert all(r.ok for r in results)
    stats = pool.stats()
    assert stats[0].restarts == 1 and stats[0].requeued >= 1  # what it had in flight ran elsewhere
