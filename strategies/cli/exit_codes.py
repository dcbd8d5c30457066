"""The `optivllm` command's exit codes, defined once."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What the process's exit status means."""

    OK = 0
    """Everything asked for was done."""
    FAILURES = 1
    """The command ran, but some items (or the engine) failed."""
    USAGE = 2
    """Bad usage or configuration: nothing was run (argparse's own code for usage errors)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)."""
