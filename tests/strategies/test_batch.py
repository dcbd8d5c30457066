import asyncio

import pytest

from engine import ClientError, ConfigError, EngineDeadError, ScriptedClient, StrategyError
from strategies import BatchItem, Solution, run_batch, run_batch_sync
from strategies.batch import solve_item


class SleepyOptimizer:
    """Answers after a delay taken from the question; records how many run at once."""

    name = "sleepy"
    description = "test"

    def __init__(self) -> None:
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
            await asyncio.sleep(float(query))
            return Solution(answer=query, answer_key=query)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1


CLIENT = ScriptedClient(lambda p, s: "x")


async def test_at_most_concurrency_queries_run_at_once():
    opt = SleepyOptimizer()
    results = [r async for r in run_batch([str(0.01)] * 20, opt, CLIENT, concurrency=4)]
    assert len(results) == 20 and opt.peak == 4


async def test_results_come_back_as_they_finish_not_in_input_order():
    opt = SleepyOptimizer()
    results = [r async for r in run_batch(["0.2", "0.01", "0.1"], opt, CLIENT, concurrency=3)]
    assert [r.id for r in results] == ["1", "2", "0"]


async def test_a_failing_item_becomes_an_error_result_and_the_batch_goes_on():
    opt = SleepyOptimizer()
    seen = []
    results = [r async for r in run_batch(["0.01", "fail", "0.01"], opt, CLIENT, on_result=seen.append)]
    errors = [r for r in results if r.error]
    assert len(results) == 3 and len(errors) == 1
    assert errors[0].id == "1" and "StrategyError: no solution" in errors[0].error
    assert seen == results


async def test_a_dead_engine_stops_the_batch():
    with pytest.raises(EngineDeadError):
        [r async for r in run_batch(["0.5", "dead"], SleepyOptimizer(), CLIENT)]


async def test_closing_the_iterator_cancels_queries_in_flight():
    opt = SleepyOptimizer()
    batch = run_batch(["0.01", "5", "5"], opt, CLIENT, concurrency=3)
    first = await batch.__anext__()
    await batch.aclose()
    assert first.id == "0" and opt.cancelled == 2 and opt.running == 0


async def test_empty_and_overlong_questions_fail_without_calling_the_strategy():
    client = ScriptedClient(lambda p, s: "x", max_model_len=50)
    opt = SleepyOptimizer()
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
        run_batch_sync(["1"], SleepyOptimizer(), CLIENT, concurrency=0)


def test_run_batch_sync_returns_every_result():
    results = run_batch_sync(["0.01", "0.02"], SleepyOptimizer(), CLIENT)
    assert sorted(r.answer for r in results) == ["0.01", "0.02"]


def test_unknown_strategy_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="valid strategies: .*plain"):
        run_batch_sync(["1"], "nope", CLIENT)


def test_client_errors_that_are_recoverable_become_error_results():
    class Failing(SleepyOptimizer):
        async def optimize(self, query, client, *, system=None, on_event=None):
            raise ClientError("request rejected")

    [r] = run_batch_sync(["q"], Failing(), CLIENT)
    assert "ClientError: request rejected" in r.error
