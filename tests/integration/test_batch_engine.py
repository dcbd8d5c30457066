"""Batch runs end to end on the real engine: the Python API and the `optivllm run` command."""

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from engine import VLLMClient
from strategies.runner.jsonl import RunOptions, run_jsonl

pytestmark = pytest.mark.engine

SAMPLES = Path(__file__).parents[2] / "strategies" / "data" / "sample_questions.jsonl"
ENGINE_NOISE = ("Loading safetensors", "NUMA", "WARNING", "Triton", "FutureWarning", "it/s]")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _whole_lines(path: Path) -> list[str]:
    """The newline-terminated lines of `path` (a torn last line left out); none if it is missing.

    Bytes first: a line the run is still writing may end inside a multi-byte character."""
    if not path.exists():
        return []
    return [line.decode() for line in path.read_bytes().splitlines(keepends=True) if line.endswith(b"\n")]


async def test_six_question_mars_run_writes_every_answer_and_a_summary(engine_client: VLLMClient, tmp_path: Path):
    out = tmp_path / "results.jsonl"
    options = RunOptions(
        input=SAMPLES,
        output=out,
        strategy="mars",
        config={"preset": "lightweight", "max_tokens": 48, "verify_max_tokens": 24},
    )
    summary = await run_jsonl(options, engine_client)
    records = _records(out)
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in _records(SAMPLES))
    assert all(r.get("error") is None for r in records)
    assert all(r["strategy"] == "mars" and r["usage"]["requests"] >= 2 for r in records)
    assert summary.items == 6 and summary.graded == 6 and summary.failures == 0
    saved = json.loads((tmp_path / "results.summary.json").read_text())
    assert saved["items"] == 6 and saved["engine_requests"] == summary.engine_requests > 0


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "strategies.cli", "run", *args]


def test_a_killed_run_resumes_with_every_id_exactly_once(tmp_path: Path):
    questions = tmp_path / "questions.jsonl"
    lines = [
        json.dumps({"id": f"q{i}", "question": f"What is {i} + {i + 3}?", "answer": str(2 * i + 3)}) for i in range(10)
    ]
    lines[3:3] = ["{this is not json", json.dumps({"question": "no id here"})]
    questions.write_text("\n".join(lines) + "\n")
    out = tmp_path / "results.jsonl"
    argv = _cli(
        "--input",
        str(questions),
        "--output",
        str(out),
        "--strategy",
        "plain",
        "--set",
        "max_tokens=16",
        "--set",
        "temperature=0.7",
        "--concurrency",
        "1",
        "--quiet",
    )

    # 1) start, wait until five records are on disk, then SIGKILL the run's own process (a crash):
    #    no engine process it started may outlive it. Every process seen under the run while
    #    polling counts (the engine takes seconds to start, so it is seen), so the check holds
    #    wherever the kill lands, even after the run has finished.
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    run = psutil.Process(proc.pid)
    engine: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 300
    while True:
        exited = proc.poll() is not None  # before counting: an exited run has written all it will
        with contextlib.suppress(psutil.Error):
            engine.update((p.pid, p) for p in run.children(recursive=True))
        if len(_whole_lines(out)) >= 5:
            break
        assert not exited and time.monotonic() < deadline, proc.stdout.read().decode()[-3000:]  # type: ignore[union-attr]
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # a leaked engine process never ends by itself: the wait only bounds how long a failure takes
    _, alive = psutil.wait_procs(list(engine.values()), timeout=60)
    for leftover in alive:  # do not leave them to the next test
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    assert engine and not alive, f"engine processes outlived their SIGKILLed run: {alive}"

    # what was written, whenever the kill came: whole records, the two input errors first, then
    # (concurrency 1) results in input order; the kill may have torn the line it interrupted
    written = _whole_lines(out)
    partial = [json.loads(line) for line in written]
    assert sorted(r["line"] for r in partial[:2]) == [4, 5] and all(r["error"] for r in partial[:2])
    assert [r["id"] for r in partial[2:]] == [f"q{i}" for i in range(len(partial) - 2)]
    assert all(r.get("error") is None for r in partial[2:])
    # resume from a known point however far the run got: what a crash during the sixth write
    # leaves behind is the first five records and a torn line
    kept = partial[:5]
    out.write_text("".join(written[:5]) + '{"id": "q9", "answer": "tor')

    # 2) the same command again: keeps the five records, drops the torn line, runs exactly q3..q9;
    #    it ends by itself, closing its engine: none of the engine's processes is left after it
    done = _run_watching_children(argv)
    assert done.returncode == 1, done.stderr[-3000:]  # the two bad input lines are failures
    assert "resuming" in done.stderr and "torn last line" in done.stderr
    records = _records(out)
    assert records[:5] == kept, "finished records are never rewritten"
    assert [r["id"] for r in records[5:]] == [f"q{i}" for i in range(3, 10)]
    ids = [r["id"] for r in records if r["id"] is not None]
    assert sorted(ids) == sorted(f"q{i}" for i in range(10)), "every id exactly once"
    errors = [r for r in records if r.get("error")]
    assert sorted(r["line"] for r in errors) == [4, 5]
    assert "malformed JSON" in errors[0]["error"] or "malformed JSON" in errors[1]["error"]
    assert "10 ok, 2 failed" in done.stdout
    # the console has optivllm's lines; what the engine printed is in the log it names
    log = tmp_path / "results.engine.log"
    assert f"engine output goes to {log}" in done.stderr
    assert not [n for n in ENGINE_NOISE if n in done.stdout + done.stderr], done.stdout + done.stderr
    assert "Loading safetensors" in log.read_text()


def _run_watching_children(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `argv` to its end; fail if a process it started outlives it (its engine's, say)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = psutil.Process(proc.pid)
    children: dict[int, psutil.Process] = {}
    streams: list[str] = []

    def read() -> None:
        streams.extend(proc.communicate(timeout=600))

    reader = threading.Thread(target=read)
    reader.start()
    while reader.is_alive():
        with contextlib.suppress(psutil.Error):
            children.update((p.pid, p) for p in run.children(recursive=True))
        reader.join(0.2)
    _, alive = psutil.wait_procs(list(children.values()), timeout=30)
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    assert children and not alive, f"processes outlived the run that closed its engine: {alive}"
    return subprocess.CompletedProcess(argv, proc.returncode, streams[0], streams[1])


def test_unknown_strategy_or_model_fails_before_the_engine_starts(tmp_path: Path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "question": "x"}) + "\n")
    out = tmp_path / "o.jsonl"
    bad_strategy = subprocess.run(
        _cli("-i", str(questions), "-o", str(out), "-s", "nope"), capture_output=True, text=True
    )
    bad_model = subprocess.run(
        _cli("-i", str(questions), "-o", str(out), "-m", "gpt-x"), capture_output=True, text=True
    )
    bad_key = subprocess.run(
        _cli("-i", str(questions), "-o", str(out), "-s", "plain", "--set", "temp=1"), capture_output=True, text=True
    )
    # no engine started: a started engine always writes its weight loading to the run's engine log
    log = tmp_path / "o.engine.log"
    assert not log.exists() or "Loading safetensors" not in log.read_text(), "no engine should have started"
    assert bad_strategy.returncode == 2 and "valid strategies" in bad_strategy.stderr and "plain" in bad_strategy.stderr
    assert bad_model.returncode == 2 and "known models" in bad_model.stderr
    assert bad_key.returncode == 2 and "temp" in bad_key.stderr and "valid fields" in bad_key.stderr
    assert not out.exists()
