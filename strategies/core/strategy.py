"""`Strategy`: the base class of every algorithm, and the one `optimize` every run goes through.

A strategy is a class with five class attributes (`name`, `description`, `calls`: what a
query costs in engine calls and requests, `config_class`, and optionally `run_class`) and one
method, `solve(run)`: its algorithm, returning the chosen solution and the rule that chose it.
`optimize` does the rest the same way for every strategy: an empty query is an `InputError`;
the run announces itself (`RunStarted`), every step goes through `run.generate`, a failure is
announced as `Error` (naming the phase) and raised, and the run's accounting goes into the
chosen solution's metadata before `RunFinished`. `events()` streams any strategy's events.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies.blocks.prompts import solve_prompt
    >>> class Once(Strategy[StrategyConfig]):
    ...     name, description, calls, config_class = "once", "One sample.", "1 call", StrategyConfig
    ...     async def solve(self, run):
    ...         [s] = await run.solutions("sample", [solve_prompt(run.query)], run.config.sampling())
    ...         return s, "only"
    >>> solution = asyncio.run(Once().optimize("2+2?", ScriptedClient(lambda p, s: "Answer: 4")))
    >>> solution.answer, solution.metadata.selection_rule, solution.metadata.engine_calls
    ('4', 'only', 1)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast, runtime_checkable

from engine import BudgetExhausted, InputError, ModelClient
from strategies.core.config import StrategyConfig
from strategies.core.events import Error, Event, EventCallback, RunFinished, RunStarted, iterate_events
from strategies.core.run import Run
from strategies.core.solution import Solution

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=StrategyConfig)


@runtime_checkable
class Optimizer(Protocol):
    """What a runner needs of a strategy: a name and `optimize` (every `Strategy` has both)."""

    name: ClassVar[str]

    async def optimize(
        self,
        query: str,
        client: ModelClient,
        *,
        system: str | None = None,
        on_event: EventCallback | None = None,
    ) -> Solution: ...


class Strategy(Generic[C]):
    """Base of every strategy: holds the config and runs `solve` inside a fresh `Run`."""

    name: ClassVar[str]
    """Registry name (`get_strategy(name)`)."""
    description: ClassVar[str]
    """One line for `optivllm strategies`."""
    calls: ClassVar[str] = ""
    """What a query costs: engine calls (batched steps) and requests."""
    config_class: ClassVar[type[StrategyConfig]] = StrategyConfig
    run_class: ClassVar[type[Run[Any]]] = Run
    """The run type `solve` gets: `Run`, or a subclass carrying the strategy's own state."""

    def __init__(self, config: C | None = None) -> None:
        self.config: C = config if config is not None else cast(C, self.config_class())

    async def optimize(
        self,
        query: str,
        client: ModelClient,
        *,
        system: str | None = None,
        on_event: EventCallback | None = None,
    ) -> Solution:
        """Answer `query` on `client`; `system` is an optional system prompt, `on_event` gets
        the run's events as they happen."""
        if not query.strip():
            raise InputError(f"{self.name} got an empty query; pass the question to answer")
        run = self.run_class.start(query, client, self.config, system=system, strategy=self.name, on_event=on_event)
        await run.emit(RunStarted())
        try:
            chosen, rule = await self._solve_within_budget(run)
        except Exception as err:
            await run.emit(Error(phase=str(getattr(err, "phase", "") or run.phase), message=str(err)))
            raise
        solution = run.finish(chosen, selection_rule=rule)
        await run.emit(RunFinished(solution_id=solution.id, answer=solution.answer, selection_rule=rule))
        meta = solution.metadata
        logger.debug(
            "%s: answer %r by rule %s, %d calls, %d requests, %.1f s",
            self.name,
            solution.answer,
            rule,
            meta.engine_calls,
            meta.engine_requests,
            meta.wall_s,
        )
        return solution

    async def _solve_within_budget(self, run: Run[C]) -> tuple[Solution, str]:
        try:
            return await self.solve(run)
        except BudgetExhausted as err:
            fallback = run.best_so_far()
            if fallback is None:
                raise
            run.fallback(f"budget: {err}; answered from the {len(run.history)} candidate(s) produced")
            return fallback, "budget"

    def events(self, query: str, client: ModelClient, *, system: str | None = None) -> AsyncIterator[Event | Solution]:
        """The run's events as they happen, then its `Solution` as the last item."""
        return iterate_events(lambda on_event: self.optimize(query, client, system=system, on_event=on_event))

    async def solve(self, run: Run[C]) -> tuple[Solution, str]:
        """The algorithm: the chosen solution and the rule that chose it."""
        raise NotImplementedError
