"""One request's run: its strategy on the shared client, or for `plain` streamed, the engine's
stream of the one completion, token by token.

`answer(plan, client, on_item)` returns an `Answered`. While it runs, `on_item` (a streamed
request's queue) gets every event of the run (`strategies.core.events`) as it is emitted, and
for a streamed `plain` request every `TextDelta` of the answer. Cancelling the task that runs
it cancels the strategy, which aborts its requests in the engine.

`plain` streams through `client.stream` with the prompt and sampling `Plain.solve` uses, so a
streamed and an unstreamed plain answer are the same request. Other strategies' last steps are
batched `generate` calls (there is no streaming step in `Run`), so their answer is sent whole
when the run chooses it.

Candidates (`optivllm.candidates`) are the run's `history`: the strategy runs with a `Run`
subclass that records the run it starts (the core has no other way to reach the run).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies.catalog import build_config
    >>> plan = Plan("plain", build_config("plain"), "2+2?", None, stream=True, candidates=True)
    >>> pieces = []
    >>> done = asyncio.run(answer(plan, ScriptedClient(lambda p, s: "2 + 2 = 4. Answer: 4"), pieces.append))
    >>> "".join(p.text for p in pieces), done.solution.answer, len(done.candidates), done.streamed
    ('2 + 2 = 4. Answer: 4', '4', 1, True)
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from engine import ModelClient
from strategies.catalog import strategy_class
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy
from strategies.plain import PHASE as PLAIN_PHASE
from strategies.plain import Plain, PlainConfig
from strategies.serve.request import Plan
from strategies.serve.schema import FinishReason

OnItem = Callable[[Any], None]


@dataclass(frozen=True)
class Answered:
    """A finished run: the chosen solution (with the run's accounting), and what goes with it."""

    solution: Solution
    candidates: list[Solution] | None
    finish_reason: FinishReason
    streamed: bool
    """Whether the answer's text already went out piece by piece (`TextDelta`s)."""


async def answer(
    plan: Plan, client: ModelClient, on_item: OnItem | None = None, *, stream_interval: int = 1
) -> Answered:
    """Run `plan` on `client`; `on_item` gets the events (and a streamed plain answer's pieces,
    each gathering up to `stream_interval` tokens)."""
    if plan.strategy == "plain" and on_item is not None:
        return await _stream_plain(plan, client, on_item, stream_interval)
    runs: list[Run[Any]] = []
    _RUNS.set(runs)  # this task's own context: concurrent requests do not see each other's
    cls = strategy_class(plan.strategy)
    strategy = (_recording(cls) if plan.candidates else cls)(plan.config)
    solution = await strategy.optimize(plan.query, client, system=plan.system, on_event=on_item)
    candidates = list(runs[0].history) if plan.candidates and runs else None
    cut = solution.completion_tokens >= plan.config.max_tokens
    return Answered(solution, candidates, "length" if cut else "stop", streamed=False)


async def _stream_plain(plan: Plan, client: ModelClient, on_item: OnItem, stream_interval: int) -> Answered:
    plain = Plain(cast(PlainConfig, plan.config))
    run = Run.start(plan.query, client, plain.config, system=plan.system, strategy="plain")
    prompt, sampling = plain.request(run)
    sampling = sampling.with_(stream_interval=stream_interval)
    streamed, completion = await run.stream_solution(PLAIN_PHASE, prompt, sampling, on_text=on_item, agent_id="agent-0")
    solution = run.finish(streamed, selection_rule="only")
    finish: FinishReason = "length" if completion.finish_reason == "length" else "stop"
    return Answered(solution, [solution] if plan.candidates else None, finish, streamed=True)


# -- candidates: the runs a strategy starts -----------------------------------------------------

_RUNS: ContextVar[list[Run[Any]] | None] = ContextVar("optivllm_serve_runs", default=None)


_RECORDING: dict[type[Strategy[Any]], type[Strategy[Any]]] = {}


def _recording(cls: type[Strategy[Any]]) -> type[Strategy[Any]]:
    """`cls` with a run class that records each run it starts in the task's `_RUNS` list."""
    if cls not in _RECORDING:
        base = cls.run_class

        class RecordingRun(base):  # type: ignore[misc,valid-type]
            @classmethod
            def start(klass, *args: Any, **kwargs: Any) -> Run[Any]:
                run = super().start(*args, **kwargs)
                runs = _RUNS.get()
                if runs is not None:
                    runs.append(run)
                return run

        RecordingRun.__name__ = RecordingRun.__qualname__ = f"Recording{base.__name__}"
        _RECORDING[cls] = type(cls.__name__, (cls,), {"run_class": RecordingRun, "__module__": cls.__module__})
    return _RECORDING[cls]
