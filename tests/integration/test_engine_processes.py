"""`VLLMClient.close()` returns with none of its engine's processes left.

The holder is a separate Python process (the session's own engine stays up for the other
tests): it starts a client, reports its engine's process ids on a pipe, closes it and says
so. A SIGKILLed owner is tested on `optivllm run` itself (test_cli_engine.py).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import os, sys, time
from engine import VLLMClient
if __name__ == "__main__":
    report = int(sys.argv[1])
    first = VLLMClient(max_num_seqs=4)
    os.write(report, (" ".join(map(str, first.engine_pids)) + "\\n").encode())
    first.close()
    os.write(report, b"closed\\n")
    time.sleep(600)
"""


class Holder:
    def __init__(self, tmp: Path) -> None:
        (tmp / "holder.py").write_text(HOLDER)
        self.log = tmp / "holder.log"
        self.fd, write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, str(tmp / "holder.py"), str(write)],
            cwd=ROOT,
            pass_fds=(write,),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        os.close(write)
        self.buffer = b""

    def line(self, timeout: float = 300.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the holder ended or timed out; its log ends:\n{self.log.read_text()[-3000:]}")
            if select.select([self.fd], [], [], 1.0)[0]:
                self.buffer += os.read(self.fd, 4096)
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.fd)


@pytest.fixture(scope="module")
def holder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holder]:
    h = Holder(tmp_path_factory.mktemp("holder"))
    yield h
    h.close()


def _pids(line: str) -> list[int]:
    pids = [int(p) for p in line.split()]
    assert pids, "the engine runs in processes of its own"
    return pids


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_close_returns_with_no_engine_process_left(holder: Holder):
    pids = _pids(holder.line())
    assert holder.line() == "closed"
    assert _alive(pids) == []
