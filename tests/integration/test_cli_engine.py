"""`optivllm run` as a user runs it: a real process on the real engine.

Its console carries optivllm's own lines only (the engine's output goes to the engine log it
names), and SIGKILLing it mid-run leaves no engine process behind: within 10 s every process
of its engine is gone, and the results it had written are intact.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
NOISE = ("Loading safetensors", "NUMA", "WARNING", "Triton", "FutureWarning", "it/s]")


@dataclass
class KilledRun:
    console: str
    engine_pids: list[int]
    output: Path
    log: Path


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KilledRun]:
    tmp = tmp_path_factory.mktemp("cli")
    questions = tmp / "q.jsonl"
    questions.write_text(
        "".join(json.dumps({"id": f"q{i}", "question": f"What is {i} + 1?"}) + "\n" for i in range(120))
    )
    output = tmp / "out.jsonl"
    console = tmp / "console.txt"
    command = [sys.executable, "-m", "strategies.cli", "run", "--strategy", "plain", "--set", "max_tokens=48"]
    command += ["--input", str(questions), "--output", str(output), "--concurrency", "8"]
    with console.open("wb") as sink:
        run = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while not (output.exists() and output.read_text().count("\n") >= 1):
                assert run.poll() is None, f"the run ended early:\n{console.read_text()}"
                assert time.monotonic() < deadline, "no result within 300 s"
                time.sleep(0.2)
            pids = [p.pid for p in psutil.Process(run.pid).children(recursive=True)]
            run.send_signal(signal.SIGKILL)
            run.wait()
        finally:
            run.kill()
    yield KilledRun(console.read_text(), pids, output, tmp / "out.engine.log")
    for pid in _alive(pids):
        psutil.Process(pid).kill()


def test_a_sigkilled_run_leaves_no_engine_process(killed_run: KilledRun):
    assert killed_run.engine_pids, "the engine runs in processes of its own"
    deadline = time.monotonic() + 10.0
    while _alive(killed_run.engine_pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(killed_run.engine_pids) == [], "engine processes outlived their SIGKILLed run by 10 s"
    rows = [json.loads(line) for line in killed_run.output.read_text().splitlines()]
    assert rows and all(r["id"].startswith("q") for r in rows)


def test_the_console_shows_optivllm_lines_and_the_engine_log_gets_the_rest(killed_run: KilledRun):
    assert f"engine output goes to {killed_run.log}" in killed_run.console
    assert not [n for n in NOISE if n in killed_run.console], killed_run.console
    log = killed_run.log.read_text()
    assert "Loading safetensors" in log or "vllm" in log.lower()
