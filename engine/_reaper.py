"""Engine processes never outlive the process that started them.

vLLM runs its engine core and workers as separate processes, and nothing in them notices
when the process that owns the `VLLMClient` dies: a SIGKILLed `optivllm run` or pytest left
them running (and holding memory) with the engine core ignoring SIGTERM for seconds. So each
client starts a small watchdog process first:

1. while the engine starts, the watchdog records every new descendant of its parent;
2. once the client tells it the engine is up (`engine_started`), it keeps only those
   processes and their own later children, so another client started afterwards in the
   same process is not its business;
3. when its parent dies (stdin reaches EOF, or the watchdog is re-parented), or the client
   closes it, it sends SIGTERM to whatever it recorded that is still alive, then SIGKILL
   after `GRACE_S`, and exits.

A normal `close()` shuts the engine down first and then closes the watchdog, which by then
finds nothing left to kill and confirms it by exiting. The watchdog is a plain Python
process (`python -m engine._reaper PARENT_PID`) using psutil, which vLLM depends on.

Example:
    >>> reaper = Reaper.start()    # before the engine's processes are started
    >>> reaper.engine_started()    # they are up: record them, stop watching for new ones
    >>> reaper.close()
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

POLL_S = 0.2
GRACE_S = 2.0
_STARTED = b"started\n"


class Reaper:
    """The parent side: a pipe to the watchdog process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def start(cls) -> Reaper:
        """Start the watchdog for this process; call before starting the engine."""
        process = subprocess.Popen(
            [sys.executable, "-m", "engine._reaper", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to the terminal's group must not end it first
            env={**os.environ, "PYTHONPATH": _package_root() + os.pathsep + os.environ.get("PYTHONPATH", "")},
        )
        return cls(process)

    @property
    def pid(self) -> int:
        return self._process.pid

    def engine_started(self) -> None:
        """Stop adopting new children of this process: the engine's processes are all up."""
        self._send(_STARTED)

    def close(self, timeout: float = 15.0) -> None:
        """Have the watchdog end what is left of the engine, and wait for it to exit."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _send(self, message: bytes) -> None:
        stdin = self._process.stdin
        if stdin is None:
            return
        try:
            stdin.write(message)
            stdin.flush()
        except OSError:  # the watchdog is gone; close() still reaps it
            pass


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- the watchdog process ---------------------------------------------------------------------


def _watch(parent_pid: int) -> None:
    import psutil

    me = os.getpid()
    since = time.time() - 1.0
    tracked: dict[int, psutil.Process] = {}
    adopting = True
    stop = threading.Event()

    def read_parent() -> None:
        nonlocal adopting
        for line in sys.stdin.buffer:
            if line == _STARTED:
                adopting = False
        stop.set()  # EOF: the parent closed us or died

    threading.Thread(target=read_parent, daemon=True).start()
    try:
        parent = psutil.Process(parent_pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            roots = parent.children(recursive=True) if adopting else list(tracked.values())
            for proc in roots + [c for p in list(tracked.values()) for c in _children(p)]:
                if (
                    proc.pid != me
                    and proc.pid not in tracked
                    and proc.create_time() >= since
                    and _is_engine_process(proc)
                ):
                    tracked[proc.pid] = proc
        except psutil.Error:
            pass
        if os.getppid() != parent_pid:  # re-parented: the parent is gone
            break
        stop.wait(POLL_S)
    _end(list(tracked.values()))


def _is_engine_process(proc: object) -> bool:
    """Not multiprocessing's resource tracker: it is the whole process's, and ends by itself."""
    import psutil

    try:
        return not any("resource_tracker" in part for part in proc.cmdline())  # type: ignore[attr-defined]
    except psutil.Error:
        return False


def _children(proc: object) -> list:  # type: ignore[type-arg]
    import psutil

    try:
        return proc.children(recursive=True)  # type: ignore[attr-defined, no-any-return]
    except psutil.Error:
        return []


def _end(processes: list) -> None:  # type: ignore[type-arg]
    import psutil

    alive = [p for p in processes if p.is_running()]
    for proc in alive:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(alive, timeout=GRACE_S)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=GRACE_S)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch(int(sys.argv[1]))
