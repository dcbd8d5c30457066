"""Batch runs: many queries in flight on one client, results yielded as they finish.

`run_batch` keeps up to `concurrency` queries running at once on one client, so every phase of
every query lands in the same engine batches. A query that fails (bad input, a prompt that does
not fit the context, a strategy error) becomes a result with `error` set; the batch goes on.
Only a dead engine stops it. Closing the iterator (or cancelling its task) cancels the queries
in flight, which aborts their requests in the engine.

Example:
    >>> from engine import ScriptedClient
    >>> client = ScriptedClient(lambda prompt, sampling: "Answer: 4")   # a scripted model
    >>> [(r.id, r.answer) for r in run_batch_sync(["2+2?", "1+3?"], "plain", client)]
    [('0', '4'), ('1', '4')]
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine import ClientError, ModelClient, OptivllmError, Usage
from kernels import is_correct
from strategies.blocks.prompts import solve_prompt
from strategies.catalog import get_strategy
from strategies.core.solution import Solution
from strategies.core.strategy import Optimizer

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 64


class BatchItem(BaseModel):
    """One query of a batch: its id, question, optional reference answer and system prompt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str
    answer: str | None = Field(None, description="Reference answer, for grading.")
    system: str | None = None
    line: int | None = Field(None, description="1-based line in the input file, if any.")


class BatchResult(BaseModel):
    """The outcome of one query: an answer with its accounting, or an error."""

    model_config = ConfigDict(extra="forbid")

    id: str | None
    line: int | None = None
    answer: str | None = None
    answer_key: str | None = None
    reasoning: str | None = None
    strategy: str = ""
    selection_rule: str | None = None
    verified: bool | None = None
    confidence: float | None = None
    usage: Usage = Field(default_factory=Usage)
    usage_by_phase: dict[str, Usage] = Field(default_factory=dict)
    budget_tokens: int | None = Field(None, description="The query's completion-token budget, if any.")
    elapsed_s: float = 0.0
    reference: str | None = None
    correct: bool | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, item_id: str | None, error: str, *, line: int | None = None, strategy: str = "") -> BatchResult:
        return cls(id=item_id, line=line, error=error, strategy=strategy)

    @classmethod
    def from_solution(cls, item: BatchItem, solution: Solution, elapsed_s: float) -> BatchResult:
        meta = solution.metadata
        return cls(
            id=item.id,
            line=item.line,
            answer=solution.answer,
            answer_key=solution.answer_key,
            reasoning=solution.reasoning,
            strategy=meta.strategy,
            selection_rule=meta.selection_rule,
            verified=solution.is_verified,
            confidence=solution.confidence,
            usage=meta.usage,
            usage_by_phase=meta.usage_by_phase,
            budget_tokens=meta.budget_tokens,
            elapsed_s=round(elapsed_s, 4),
            reference=item.answer,
            correct=is_correct(solution.answer, item.answer) if item.answer is not None else None,
        )


OnResult = Callable[[BatchResult], Awaitable[None] | None]


async def report(on_result: OnResult | None, result: BatchResult) -> None:
    """Call `on_result` with `result` (and await it, if it is async); None: nothing."""
    if on_result is not None:
        maybe = on_result(result)
        if inspect.isawaitable(maybe):
            await maybe


def as_items(queries: Iterable[BatchItem | str]) -> Iterable[BatchItem]:
    """Plain strings become items with ids "0", "1", ..."""
    for i, q in enumerate(queries):
        yield q if isinstance(q, BatchItem) else BatchItem(id=str(i), question=q)


async def solve_item(item: BatchItem, optimizer: Optimizer, client: ModelClient) -> BatchResult:
    """Run one item; a recoverable failure becomes an error result (a dead engine is raised)."""
    start = time.perf_counter()
    name = getattr(optimizer, "name", type(optimizer).__name__)
    if not item.question.strip():
        return BatchResult.failed(item.id, "empty question", line=item.line, strategy=name)
    prompt_tokens = client.count_prompt_tokens(solve_prompt(item.question, system=item.system))
    if prompt_tokens >= client.max_model_len:
        return BatchResult.failed(
            item.id,
            f"question is too long: its prompt is {prompt_tokens} tokens but the model's context is "
            f"{client.max_model_len} tokens",
            line=item.line,
            strategy=name,
        )
    try:
        solution = await optimizer.optimize(item.question, client, system=item.system)
    except OptivllmError as err:
        if isinstance(err, ClientError) and not err.recoverable:
            raise
        logger.debug("item %s failed", item.id, exc_info=True)
        return BatchResult.failed(item.id, f"{type(err).__name__}: {err}", line=item.line, strategy=name)
    return BatchResult.from_solution(item, solution, time.perf_counter() - start)


async def run_batch(
    queries: Iterable[BatchItem | str],
    strategy: Optimizer | str,
    client: ModelClient,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: OnResult | None = None,
    config: dict[str, Any] | None = None,
) -> AsyncIterator[BatchResult]:
    """Yield a `BatchResult` per query as each finishes, with at most `concurrency` in flight.

    `strategy` is an optimizer or a registry name (built with `config`). `on_result` is called
    (and awaited, if async) with each result before it is yielded.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    optimizer = get_strategy(strategy, config) if isinstance(strategy, str) else strategy
    items = iter(as_items(queries))
    done: asyncio.Queue[BatchResult | BaseException] = asyncio.Queue()
    running: set[asyncio.Task[None]] = set()

    async def one(item: BatchItem) -> None:
        try:
            done.put_nowait(await solve_item(item, optimizer, client))
        except asyncio.CancelledError:
            raise
        except BaseException as err:  # a fatal engine error: hand it to the consumer
            done.put_nowait(err)

    def launch() -> bool:
        item = next(items, None)
        if item is None:
            return False
        task = asyncio.ensure_future(one(item))
        running.add(task)
        task.add_done_callback(running.discard)
        return True

    pending = 0
    try:
        while pending < concurrency and launch():
            pending += 1
        while pending:
            outcome = await done.get()
            pending -= 1
            if isinstance(outcome, BaseException):
                raise outcome
            if launch():
                pending += 1
            await report(on_result, outcome)
            yield outcome
    finally:
        for task in list(running):
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


def run_batch_sync(
    queries: Iterable[BatchItem | str],
    strategy: Optimizer | str,
    client: ModelClient,
    **kwargs: Any,
) -> list[BatchResult]:
    """`run_batch` for scripts: runs the batch on a new event loop and returns every result.

    A `VLLMClient` is bound to the first event loop that uses it, so use one client with one
    `run_batch_sync` call per process, or use `run_batch` inside your own loop.
    """

    async def collect() -> list[BatchResult]:
        return [r async for r in run_batch(queries, strategy, client, **kwargs)]

    return asyncio.run(collect())
