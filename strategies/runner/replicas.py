"""Batch runs over engine replicas on a Ray cluster: `RayReplicas` and `run_batch_ray`.

A replica is a Ray actor holding one `Replica` (one `VLLMClient` on one registry entry). The
unit Ray is given is a question: the driver keeps a shared queue of questions and each replica
runs up to `concurrency` of them at once on its own engine, so a question's whole strategy and
its prefix cache stay on one engine, while the replicas' results stream back to the driver in
the order they finish. The driver is the only writer: `run_prepared` appends each result to the
one output file exactly as a single-engine run does, which is what makes resume and "no id
twice" hold across replicas.

Why an actor pool of our own and not Ray Data: a Ray Data pipeline (`map_batches` over actors,
`ray.data.llm`'s processors) retries whole blocks after a failure and hands rows back in blocks,
so results already written could come again and the driver would need to dedupe and reorder;
its unit is a batch of rows with one engine call each, not a question with a multi-call
strategy. A pool of long-lived actors with one question per call keeps at-most-once delivery
per call and per-question streaming with ~150 lines, and Ray still does the placement (GPUs
and CPUs per replica as actor resources), the restarts (`max_restarts`) and the cluster.

Placement. On a cluster with GPUs a replica asks for its entry's `tensor_parallel_size` x
`data_parallel_size` GPUs (on one node; Ray sets `CUDA_VISIBLE_DEVICES`) and one CPU. On CPU-only nodes a replica asks for
`cpus_per_replica` CPUs (default: the cluster's CPUs shared out evenly) and is pinned to its own
slice of its node's cores, so two engines on one node do not fight over the same cores. What the
cluster cannot hold is a `ConfigError` naming what was asked for and what there is, before any
actor starts.

Faults. A replica whose actor dies (killed, crashed, its node gone) or whose engine died has its
questions in flight put back in the queue, where any replica takes them; Ray restarts the actor
(up to `max_restarts` times) and the driver starts its engine again on the same cores. A
question whose replica died under it `max_attempts` times gets an error record instead. Results
never come twice: a question is only sent again after its call failed, and only the driver
writes. When every replica is gone for good, the run stops with `ClientError`.

Example:
    >>> from engine import load_registry
    >>> replicas = RayReplicas(load_registry().get(), replicas=2)   # nothing starts yet
    >>> replicas.replicas
    2
    >>> with RayReplicas(load_registry().get(), replicas=2) as pool:  # doctest: +SKIP
    ...     results = [r async for r in pool.run(questions, "plain", concurrency=8)]
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine import ClientError, ConfigError, EngineDeadError, EngineStartError, ModelEntry, cpu_info
from strategies.catalog import get_strategy
from strategies.core.strategy import Optimizer
from strategies.runner.batch import DEFAULT_CONCURRENCY, BatchItem, BatchResult, OnResult, as_items, report
from strategies.runner.replica import Replica

logger = logging.getLogger(__name__)


class RaySettings(BaseModel):
    """How a run is spread over Ray: how many replicas, on which cluster, with how many CPUs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    replicas: int = Field(1, ge=1, description="Engine replicas, one Ray actor each.")
    address: str | None = Field(
        None, description="An existing cluster ('auto' or host:port); None starts a local Ray instance."
    )
    cpus_per_replica: int | None = Field(
        None, ge=1, description="CPUs per CPU replica (None: the cluster's CPUs shared out evenly)."
    )
    max_restarts: int = Field(3, ge=0, description="Times Ray restarts a replica's actor after it died.")
    max_attempts: int = Field(3, ge=1, description="Replica deaths a question may see before it is an error.")
    start_timeout_s: float = Field(1800.0, gt=0, description="How long the replicas' engines may take to start.")


@dataclass
class ReplicaStats:
    """What one replica did in this pool's lifetime."""

    replica: int
    host: str = ""
    node: str = ""
    cores: list[int] = field(default_factory=list)
    gpus: list[str] = field(default_factory=list)
    finished: int = 0
    """Questions it answered (results the driver received from it)."""
    requeued: int = 0
    """Questions it had in flight when it died, sent again."""
    restarts: int = 0
    dead: bool = False


@dataclass
class _Slot:
    """A replica as the driver sees it: its actor, its cores, its counters."""

    index: int
    actor: Any
    resources: dict[str, float]
    cores: list[int] | None = None
    stats: ReplicaStats = field(init=False)
    healthy: bool = True

    def __post_init__(self) -> None:
        self.stats = ReplicaStats(self.index)


class RayReplicas:
    """`replicas` engine replicas of `entry` on a Ray cluster, for one or more batches.

    `start()` (or `with`) connects to the cluster (or starts a local one), checks that it can
    hold the replicas, starts them and waits for their engines; `run()` streams a batch through
    them; `close()` stops them, and the local Ray instance if this pool started it.
    """

    def __init__(
        self,
        entry: ModelEntry,
        *,
        replicas: int = 1,
        address: str | None = None,
        settings: RaySettings | None = None,
    ) -> None:
        self.entry = entry
        self.settings = settings or RaySettings(replicas=replicas, address=address)
        self._slots: list[_Slot] = []
        self._owns_ray = False
        self.device = ""
        self.session_dir = ""

    @property
    def replicas(self) -> int:
        return self.settings.replicas

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> RayReplicas:
        ray = require_ray()
        s = self.settings
        if not ray.is_initialized():
            if s.address is None:
                ray.init(
                    num_cpus=cpu_info().cores,  # the cores this process may use, not the host's
                    include_dashboard=False,
                    log_to_driver=False,
                    object_store_memory=256 * 1024 * 1024,
                    configure_logging=False,
                )
                self._owns_ray = True
            else:
                try:
                    ray.init(address=s.address, log_to_driver=False, configure_logging=False)
                except ConnectionError as err:
                    raise ConfigError(f"cannot reach the Ray cluster at {s.address!r}: {err}") from None
        self.session_dir = _session_dir(ray)
        try:
            self._place(ray)
            self._start_engines(ray)
        except BaseException:
            self.close()
            raise
        return self

    def _place(self, ray: Any) -> None:
        """Check the cluster can hold the replicas, create their actors, give each its cores."""
        s = self.settings
        nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
        gpus = [int(n.get("GPU", 0)) for n in nodes]
        cpus = [int(n.get("CPU", 0)) for n in nodes]
        tp = self.entry.tensor_parallel_size * self.entry.data_parallel_size
        if sum(gpus) > 0:
            self.device = "gpu"
            fits = sum(g // tp for g in gpus)
            if fits < s.replicas:
                raise ConfigError(
                    f"{s.replicas} replica(s) of {self.entry.name!r} need {tp} GPU(s) each on one node "
                    f"(tensor_parallel_size {self.entry.tensor_parallel_size} x data_parallel_size "
                    f"{self.entry.data_parallel_size}), {s.replicas * tp} in all; the cluster has GPUs {gpus} "
                    f"per node, room for {fits} replica(s)"
                )
            resources: dict[str, float] = {"num_gpus": tp, "num_cpus": 1}
        else:
            self.device = "cpu"
            total = sum(cpus)
            per = s.cpus_per_replica or max(1, min(max(cpus, default=1), total // s.replicas))
            fits = sum(c // per for c in cpus)
            if fits < s.replicas:
                raise ConfigError(
                    f"{s.replicas} CPU replica(s) of {self.entry.name!r} need {per} CPU(s) each, "
                    f"{s.replicas * per} in all; the cluster has CPUs {cpus} per node and no GPU, "
                    f"room for {fits} replica(s) (--replicas, cpus_per_replica)"
                )
            resources = {"num_cpus": per, "num_gpus": 0}
        actor_class = ray.remote(Replica)
        for i in range(s.replicas):
            actor = actor_class.options(**resources, max_restarts=s.max_restarts, max_task_retries=0, name=None).remote(
                self.entry
            )
            self._slots.append(_Slot(i, actor, resources))
        where = self._wait(ray, [slot.actor.where.remote() for slot in self._slots], "be placed")
        by_node: Counter[str] = Counter()
        for slot, info in zip(self._slots, where, strict=True):
            slot.stats.host, slot.stats.node, slot.stats.gpus = info["host"], info["node"], info["gpus"]
            if self.device == "cpu":
                rank = by_node[info["node"]]
                by_node[info["node"]] += 1
                per = int(resources["num_cpus"])
                cores = info["cores"][rank * per : (rank + 1) * per]
                slot.cores = cores if len(cores) == per else None  # more replicas than slices: no pinning
            slot.stats.cores = slot.cores or info["cores"]

    def _start_engines(self, ray: Any) -> None:
        refs = [slot.actor.start.remote(slot.cores) for slot in self._slots]
        self._wait(ray, refs, "start its engine")

    def _wait(self, ray: Any, refs: list[Any], doing: str) -> list[Any]:
        """Every ref's value, or an error naming the replica that failed and why."""
        done, pending = ray.wait(refs, num_returns=len(refs), timeout=self.settings.start_timeout_s)
        if pending:
            stuck = [i for i, r in enumerate(refs) if r in pending]
            raise EngineStartError(
                f"replica(s) {stuck} of {self.entry.name!r} could not {doing} within "
                f"{self.settings.start_timeout_s:g} s; asked for {self._slots[0].resources} each, "
                f"the cluster has {_cpus_gpus(ray.cluster_resources())} ({_cpus_gpus(ray.available_resources())} "
                f"free now) (Ray's logs: {self.session_dir})"
            )
        values = []
        for i, ref in enumerate(refs):
            try:
                values.append(ray.get(ref))
            except Exception as err:  # the actor's own error, or its death
                cause = getattr(err, "cause", None) or err
                raise EngineStartError(
                    f"replica {i} of {self.entry.name!r} could not {doing}: {type(cause).__name__}: "
                    f"{_gist(cause)} (Ray's logs: {self.session_dir})"
                ) from None
        return values

    def close(self) -> None:
        """Stop every replica (their engines end with their actors), and Ray if this pool started it."""
        if not self._slots and not self._owns_ray:
            return
        ray = require_ray()
        for slot in self._slots:
            try:
                ray.kill(slot.actor, no_restart=True)
            except Exception:  # already gone
                logger.debug("replica %d was already gone", slot.index, exc_info=True)
        self._slots = []
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    def __enter__(self) -> RayReplicas:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- what a test or a report may look at -----------------------------------------------------

    def stats(self) -> list[ReplicaStats]:
        return [slot.stats for slot in self._slots]

    def actor(self, replica: int) -> Any:
        """Replica `replica`'s Ray actor handle (to kill it in a fault test, for one)."""
        return self._slots[replica].actor

    # -- a batch ----------------------------------------------------------------------------------

    async def run(
        self,
        queries: Iterable[BatchItem | str],
        strategy: Optimizer | str,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_result: OnResult | None = None,
        config: dict[str, Any] | None = None,
    ) -> AsyncIterator[BatchResult]:
        """Yield a `BatchResult` per query as each finishes on any replica (`run_batch`'s contract:
        `concurrency` questions in flight on each replica, `on_result` before each is yielded)."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if not self._slots:
            raise ClientError("the replicas are not started: use `with RayReplicas(...)` or call start()")
        optimizer = get_strategy(strategy, config) if isinstance(strategy, str) else strategy
        batch = _Batch(list(as_items(queries)), self.settings.max_attempts)
        key = uuid.uuid4().hex
        # every replica holds the optimizer before any takes a question, so they start together
        ready = [slot for slot in self._slots if slot.healthy]
        given = await asyncio.gather(*(s.actor.use.remote(key, optimizer) for s in ready), return_exceptions=True)
        for slot, outcome in zip(ready, given, strict=True):
            if isinstance(outcome, BaseException):  # it died since the last batch: its driver restarts it
                slot.healthy = False
        drivers = [asyncio.ensure_future(self._drive(slot, batch, key, optimizer, concurrency)) for slot in self._slots]
        try:
            for _ in range(batch.total):
                outcome = await batch.results.get()
                if isinstance(outcome, BaseException):
                    raise outcome
                await report(on_result, outcome)
                yield outcome
        finally:
            for task in drivers:
                task.cancel()
            await asyncio.gather(*drivers, return_exceptions=True)

    async def _drive(self, slot: _Slot, batch: _Batch, key: str, optimizer: Optimizer, concurrency: int) -> None:
        """Keep `slot`'s replica busy with the batch's questions until none is left."""
        ray = require_ray()
        in_flight: dict[asyncio.Future[Any], tuple[BatchItem, Any]] = {}

        def drop_all() -> None:  # the calls in flight will not come back (or are not wanted)
            for future, (_, ref) in in_flight.items():
                future.cancel()
                ray.cancel(ref)
            in_flight.clear()

        try:
            while batch.left and not slot.stats.dead:
                if not slot.healthy and not await self._recover(slot, key, optimizer):
                    break
                while len(in_flight) < concurrency and batch.todo:
                    item = batch.todo.popleft()
                    ref = slot.actor.solve.remote(key, item)
                    in_flight[asyncio.ensure_future(_value(ref))] = (item, ref)
                    await asyncio.sleep(0)  # the other replicas take theirs in turn: an even first share
                if not in_flight:
                    await batch.wait_for_work()
                    continue
                finished, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for future in finished:
                    item, _ = in_flight.pop(future)
                    self._take(slot, batch, item, future, ray)
                if not slot.healthy:  # its other questions will not come back from this actor
                    for item, _ in in_flight.values():
                        batch.again(item, slot)
                    drop_all()
        except asyncio.CancelledError:
            drop_all()
            raise
        except BaseException as err:
            drop_all()
            batch.results.put_nowait(err)
        finally:
            if slot.stats.dead:
                batch.replica_gone(self._slots)

    def _take(self, slot: _Slot, batch: _Batch, item: BatchItem, future: asyncio.Future[Any], ray: Any) -> None:
        """Hand a finished call's result to the batch, or send its question again."""
        err = future.exception()
        if err is None:
            slot.stats.finished += 1
            batch.finished(future.result())
            return
        cause = getattr(err, "cause", None)
        if isinstance(err, ray.exceptions.RayActorError) or isinstance(cause, EngineDeadError):
            if slot.healthy:  # the first of its calls to fail: the others follow
                logger.warning("replica %d died (%s); its questions run again", slot.index, _gist(err))
                if isinstance(cause, EngineDeadError):  # the actor lives, its engine does not: restart it
                    ray.kill(slot.actor, no_restart=False)
            slot.healthy = False
            batch.again(item, slot)
            return
        raise cause if isinstance(cause, BaseException) else err

    async def _recover(self, slot: _Slot, key: str, optimizer: Optimizer) -> bool:
        """Wait for Ray to restart `slot`'s actor, then start its engine again on the same cores."""
        ray = require_ray()
        slot.stats.restarts += 1
        try:
            # retried across the restart; an actor out of restarts raises ActorDiedError
            await slot.actor.start.options(max_task_retries=-1).remote(slot.cores)
            await slot.actor.use.options(max_task_retries=-1).remote(key, optimizer)
        except ray.exceptions.RayError as err:
            logger.warning("replica %d is gone for good: %s", slot.index, _gist(err))
            slot.stats.dead = True
            return False
        slot.healthy = True
        return True


class _Batch:
    """The questions of one `run`: those waiting, those left, and where results go."""

    def __init__(self, items: list[BatchItem], max_attempts: int) -> None:
        self.todo: deque[BatchItem] = deque(items)
        self.total = self.left = len(items)
        self.results: asyncio.Queue[BatchResult | BaseException] = asyncio.Queue()
        self._deaths: Counter[str] = Counter()
        self._max_attempts = max_attempts
        self._work = asyncio.Event()

    def finished(self, result: BatchResult) -> None:
        self.left -= 1
        self.results.put_nowait(result)

    def again(self, item: BatchItem, slot: _Slot) -> None:
        """`item`'s replica died under it: queue it again, or give up on it."""
        slot.stats.requeued += 1
        self._deaths[item.id] += 1
        if self._deaths[item.id] >= self._max_attempts:
            error = f"its replica died under it {self._deaths[item.id]} times; not sent again"
            self.finished(BatchResult.failed(item.id, error, line=item.line))
            return
        self.todo.append(item)
        self._work.set()

    async def wait_for_work(self) -> None:
        self._work.clear()
        await self._work.wait()

    def replica_gone(self, slots: list[_Slot]) -> None:
        if all(s.stats.dead for s in slots) and self.left:
            self.results.put_nowait(
                ClientError(f"every replica died for good with {self.left} question(s) left; re-run to resume")
            )


async def _value(ref: Any) -> Any:
    return await ref


async def run_batch_ray(
    queries: Iterable[BatchItem | str],
    strategy: Optimizer | str,
    entry: ModelEntry,
    *,
    settings: RaySettings | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: OnResult | None = None,
    config: dict[str, Any] | None = None,
) -> AsyncIterator[BatchResult]:
    """`run_batch` over `settings.replicas` replicas of `entry` started for this batch alone."""
    pool = RayReplicas(entry, settings=settings)
    await asyncio.to_thread(pool.start)
    try:
        async for result in pool.run(queries, strategy, concurrency=concurrency, on_result=on_result, config=config):
            yield result
    finally:
        pool.close()


def require_ray() -> Any:
    """The `ray` module, or a `ConfigError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "Ray is not installed: install the extra with `pip install 'optivllm[ray]'` (scripts/setup.sh does)"
        ) from None
    return ray


def _session_dir(ray: Any) -> str:
    """Where Ray keeps this session's logs (the replicas' engine output among them)."""
    try:
        return str(ray._private.worker._global_node.get_session_dir_path())
    except Exception:  # a private API: fall back to Ray's default place
        return "/tmp/ray/session_latest"


def _cpus_gpus(resources: dict[str, float]) -> str:
    return f"{resources.get('CPU', 0):g} CPU, {resources.get('GPU', 0):g} GPU"


def _gist(err: BaseException) -> str:
    """The line of an error that says what happened (a Ray error's last)."""
    text = str(err).strip()
    return text.splitlines()[-1] if text else type(err).__name__
