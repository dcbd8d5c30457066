import asyncio
from collections import defaultdict

import pytest

from engine import ClientError, ConfigError, EngineDeadError, ScriptedClient, StrategyError
from strategies import BatchItem, Solution, run_batch, run_batch_sync
from strategies.runner.batch import solve_item


class GatedOptimizer:
    """Answers a query once the test opens its gate (all gates open with `open_all`); records
    how many queries run at once and how many were cancelled."""

    name = "gated"
    description = "test"

    def __init__(self, *, open_all: bool = False) -> None:
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.open_all = open_all
        self.running = 0
        self.peak = 0
        self.cancelled = 0

    async def optimize(self, query, client, *, system=None, on_event=None):
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            if query == "fail":
                raise StrategyError("no solution")
            if query == "dead":
                raise EngineDeadError("engine died")
            if not self.open_all:
                await self.gates[query].wait()
            return Solution(answer=query, answer_key=query)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1


CLIENT = ScriptedClient(lambda p, s: "x")


async def settle() -> None:
    """Let every task that can run, run (the batch's workers are all waiting afterwards)."""
    for _ in range(50):
        await asyncio.sleep(0)


async def collect(batch, into: list) -> None:
    async for result in batch:
        into.append(result.id)


async def test_at_most_concurrency_queries_run_at_once():
    opt = GatedOptimizer()
    done: list[str] = []
    task = asyncio.create_task(collect(run_batch([f"q{i}" for i in range(20)], opt, CLIENT, concurrency=4), done))
    await settle()
    assert opt.running == 4 and done == []  # four started, the rest wait for a free slot
    opt.gates["q0"].set()
    await settle()
    assert done == ["0"] and opt.running == 4  # one finished, the next one took its slot
    for i in range(20):
        opt.gates[f"q{i}"].set()
    await task
    assert len(done) == 20 and opt.peak == 4


async def test_results_come_back_as_they_finish_not_in_input_order():
    opt = GatedOptimizer()
    done: list[str] = []
    task = asyncio.create_task(collect(run_batch(["a", "b", "c"], opt, CLIENT, concurrency=3), done))
    for query, count in (("b", 1), ("c", 2), ("a", 3)):
        await settle()
        opt.gates[query].set()
        await settle()
        assert len(done) == count
    await task
    assert done == ["1", "2", "0"]


async def test_a_failing_item_becomes_an_error_result_and_the_batch_goes_on():
    opt = GatedOptimizer(open_all=True)
    seen = []
    results = [r async for r in run_batch(["a", "fail", "b"], opt, CLIENT, on_result=seen.append)]
    errors = [r for r in results if r.error]
    assert len(results) == 3 and len(errors) == 1
    assert errors[0].id == "1" and "StrategyError: no solution" in errors[0].error
    assert seen == results


async def test_a_dead_engine_stops_the_batch_and_cancels_the_rest():
    opt = GatedOptimizer()
    with pytest.raises(EngineDeadError):
        [r async for r in run_batch(["never", "dead"], opt, CLIENT)]
    assert opt.cancelled == 1 and opt.running == 0


async def test_closing_the_iterator_cancels_queries_in_flight():
    opt = GatedOptimizer()
    opt.gates["first"].set()
    batch = run_batch(["first", "held", "held too"], opt, CLIENT, concurrency=3)
    first = await batch.__anext__()
    await batch.aclose()
    assert first.id == "0" and opt.cancelled == 2 and opt.running == 0


async def test_empty_and_overlong_questions_fail_without_calling_the_strategy():
    client = ScriptedClient(lambda p, s: "x", max_model_len=50)
    opt = GatedOptimizer(open_all=True)
    empty = await solve_item(BatchItem(id="e", question="  "), opt, client)
    long = await solve_item(BatchItem(id="l", question="word " * 100), opt, client)
    assert empty.error == "empty question"
    assert "too long" in long.error and "50 tokens" in long.error
    assert opt.peak == 0


async def test_results_are_graded_against_reference_answers():
    client = ScriptedClient(lambda p, s: "So the total is 8.\nAnswer: 8")
    items = [BatchItem(id="a", question="3+5?", answer="8"), BatchItem(id="b", question="3+4?", answer="7")]
    results = {r.id: r async for r in run_batch(items, "plain", client)}
    assert results["a"].correct is True and results["b"].correct is False
    assert results["a"].strategy == "plain" and results["a"].usage.requests == 1


def test_concurrency_must_be_positive():
    with pytest.raises(ValueError, match="concurrency"):
        run_batch_sync(["1"], GatedOptimizer(open_all=True), CLIENT, concurrency=0)


def test_run_batch_sync_returns_every_result():
    results = run_batch_sync(["a", "b"], GatedOptimizer(open_all=True), CLIENT)
    assert sorted(r.answer for r in results) == ["a", "b"]


def test_unknown_strategy_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="valid strategies: .*plain"):
        run_batch_sync(["1"], "nope", CLIENT)


def test_client_errors_that_are_recoverable_become_error_results():
    class Failing(GatedOptimizer):
        async def optimize(self, query, client, *, system=None, on_event=None):
            raise ClientError("request rejected")

    [r] = run_batch_sync(["q"], Failing(), CLIENT)
    assert "ClientError: request rejected" in r.error
