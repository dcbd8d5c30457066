"""Batch runs end to end on the real engine: the Python API and the `optivllm run` command."""

import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from engine import VLLMClient
from strategies.batch_cli import RunOptions, run_jsonl

pytestmark = pytest.mark.engine

SAMPLES = Path(__file__).parents[2] / "strategies" / "data" / "sample_questions.jsonl"
ENGINE_NOISE = ("Loading safetensors", "NUMA", "WARNING", "Triton", "FutureWarning", "it/s]")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_six_question_mars_run_writes_every_answer_and_a_summary(engine_client: VLLMClient, tmp_path: Path):
    out = tmp_path / "results.jsonl"
    options = RunOptions(
        input=SAMPLES,
        output=out,
        strategy="mars",
        quiet=True,
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

    # 1) start, wait until a few items are on disk, then SIGKILL the run's own process (a crash):
    #    its engine processes must not outlive it by more than 10 s
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 5):
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]  # type: ignore[union-attr]
        time.sleep(0.2)
    engine = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(engine, timeout=10)
    for leftover in alive:  # do not leave them to the next test
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    assert engine and not alive, f"engine processes outlived their SIGKILLed run: {alive}"
    partial = _records(out)
    assert 5 <= len(partial) < 12, "the run should have been killed halfway"
    with out.open("a") as f:  # what a crash mid-write leaves behind
        f.write('{"id": "q9", "answer": "tor')

    # 2) the same command again: resumes, skips finished ids, drops the torn line
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-3000:]  # the two bad input lines are failures
    assert "resuming" in done.stderr and "torn last line" in done.stderr
    records = _records(out)
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


def test_unknown_strategy_or_model_fails_before_the_engine_starts(tmp_path: Path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "question": "x"}) + "\n")
    out = tmp_path / "o.jsonl"
    start = time.monotonic()
    bad_strategy = subprocess.run(
        _cli("-i", str(questions), "-o", str(out), "-s", "nope"), capture_output=True, text=True
    )
    bad_model = subprocess.run(
        _cli("-i", str(questions), "-o", str(out), "-m", "gpt-x"), capture_output=True, text=True
    )
    bad_key = subprocess.run(
        _cli("-i", str(questions), "-o", str(out), "-s", "plain", "--set", "temp=1"), capture_output=True, text=True
    )
    assert time.monotonic() - start < 60, "no engine should have started"
    assert bad_strategy.returncode == 2 and "valid strategies" in bad_strategy.stderr and "plain" in bad_strategy.stderr
    assert bad_model.returncode == 2 and "known models" in bad_model.stderr
    assert bad_key.returncode == 2 and "temp" in bad_key.stderr and "valid fields" in bad_key.stderr
    assert not out.exists()
