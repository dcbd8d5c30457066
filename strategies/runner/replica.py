"""`Replica`: one engine replica, the object a Ray actor holds (`strategies.runner.replicas`).

A replica owns one `VLLMClient` on its registry entry and runs the questions it is sent with
`solve_item`, so each question's whole strategy (every phase, every fan-out) stays on one engine
and its prefix cache. It is a plain class: `RayReplicas` makes it an actor with
`ray.remote(Replica)`, which is why nothing here imports Ray. The engine starts in `start`, not
in the constructor, so a replica Ray restarts after a crash comes back cheaply and the driver
decides when it starts its engine again (on the same cores).

Example (no Ray, no engine: the replica's bookkeeping alone):
    >>> from engine import load_registry
    >>> replica = Replica(load_registry().get())
    >>> replica.started, replica.where()["pid"] > 0
    (False, True)
"""

from __future__ import annotations

import os
import socket
from typing import Any

from engine import ClientError, ModelClient, ModelEntry
from strategies.core.strategy import Optimizer
from strategies.runner.batch import BatchItem, BatchResult, solve_item


class Replica:
    """One engine and the strategies it runs; its methods are the actor's methods."""

    def __init__(self, entry: ModelEntry) -> None:
        self.entry = entry
        self.client: ModelClient | None = None
        self._optimizers: dict[str, Optimizer] = {}

    @property
    def started(self) -> bool:
        return self.client is not None

    def where(self) -> dict[str, Any]:
        """Where this replica runs: its node, host, process, the cores it may use, its GPUs and
        its engine's processes."""
        info: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid(), "node": "", "gpus": []}
        info["cores"] = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        info["engine_pids"] = _engine_pids() if self.client is not None else []
        try:
            import ray

            if ray.is_initialized():
                context = ray.get_runtime_context()
                info["node"] = context.get_node_id()
                info["gpus"] = [str(g) for g in ray.get_gpu_ids()]
        except ImportError:
            pass
        return info

    async def start(self, cores: list[int] | None = None) -> dict[str, Any]:
        """Start the engine (once), pinned to `cores` when given: the engine's processes inherit
        this process's CPU affinity, and vLLM binds its threads within it."""
        if self.client is None:
            from engine import VLLMClient

            if cores and hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(0, cores)
            self.client = VLLMClient(self.entry)
        return {"max_model_len": self.client.max_model_len, **self.where()}

    def use(self, key: str, optimizer: Optimizer) -> None:
        """Keep `optimizer` under `key` for the `solve` calls of one batch."""
        self._optimizers[key] = optimizer

    async def solve(self, key: str, item: BatchItem) -> BatchResult:
        """One question through the optimizer kept under `key` (`solve_item`'s rules)."""
        if self.client is None:
            raise ClientError("this replica's engine is not started (call start first)")
        return await solve_item(item, self._optimizers[key], self.client)


def _engine_pids() -> list[int]:
    """This process's children but Python's resource tracker: the engine's processes."""
    import psutil

    pids = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                pids.append(child.pid)
        except psutil.Error:  # it ended meanwhile
            continue
    return pids
