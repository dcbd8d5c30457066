"""The command line's own output, kept apart from the engine's.

vLLM, its spawned worker processes, transformers and the C++ kernels all write to the
process's stdout and stderr file descriptors: shard-loading bars, NUMA and Triton warnings,
FutureWarnings. A user running `optivllm run` wants optivllm's lines and its progress bar.
`engine_output_to(log)` points file descriptors 1 and 2 (inherited by every process the
engine spawns) at a log file, and hands back a `Console` whose streams are the terminal
the command started with. Command-line code writes through `console()`; library code never
writes at all. `logging_to_console` shows optivllm's own log records on that console while a
command runs, and puts the logging configuration back afterwards.

Example:
    >>> console().out is sys.stdout
    True
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class Console:
    """Where the command's own lines go; `log` is where everything else went (None: nowhere else)."""

    out: TextIO
    err: TextIO
    log: Path | None = None

    def note(self, message: str) -> None:
        """One line for the user on stderr (progress, resumes, where files are)."""
        print(message, file=self.err, flush=True)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the engine log: the real cause of a failed start is there."""
        if self.log is None or not self.log.exists():
            return ""
        with self.log.open("rb") as f:
            f.seek(max(0, self.log.stat().st_size - 64_000))
            tail = f.read().decode(errors="replace").splitlines()[-lines:]
        return "\n".join(tail)


_active: Console | None = None


def console() -> Console:
    """The console of the running command (the process's own streams outside one)."""
    return _active or Console(sys.stdout, sys.stderr)


@contextmanager
def engine_output_to(log: Path) -> Iterator[Console]:
    """Send file descriptors 1 and 2 to `log` while the block runs; the console keeps the terminal."""
    global _active
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = Console(
        out=os.fdopen(os.dup(saved[0]), "w", buffering=1),
        err=os.fdopen(os.dup(saved[1]), "w", buffering=1),
        log=log,
    )
    with log.open("ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
    previous, _active = _active, terminal
    try:
        yield terminal
    finally:
        _active = previous
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        terminal.out.close()
        terminal.err.close()


class _ConsoleHandler(logging.Handler):
    """Writes each record to the stderr of the console active when it is emitted."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            console().err.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


OUR_LOGGERS = ("engine", "kernels", "strategies", "benchmarks")
_FORMAT = "%(levelname)s %(name)s: %(message)s"


@contextmanager
def logging_to_console(*, verbose: bool) -> Iterator[None]:
    """optivllm's own warnings (debug lines with -v) on the console; everything else to stderr.

    Inside `engine_output_to`, stderr is the engine log; vLLM configures its own loggers itself.
    The previous handlers, levels and propagation are restored when the block ends.
    """
    root = logging.getLogger()
    saved_root = root.handlers[:], root.level
    loggers = [logging.getLogger(name) for name in OUR_LOGGERS]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    everything_else = logging.StreamHandler()  # file descriptor 2: the engine log while redirected
    everything_else.setFormatter(logging.Formatter(_FORMAT))
    root.handlers = [everything_else]
    root.setLevel(logging.WARNING)
    ours = _ConsoleHandler()
    ours.setFormatter(logging.Formatter(_FORMAT))
    for lg in loggers:
        lg.handlers = [ours]
        lg.propagate = False
        lg.setLevel(logging.DEBUG if verbose else logging.WARNING)
    try:
        yield
    finally:
        root.handlers = saved_root[0]
        root.setLevel(saved_root[1])
        for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            lg.handlers, lg.propagate = handlers, propagate
            lg.setLevel(level)
