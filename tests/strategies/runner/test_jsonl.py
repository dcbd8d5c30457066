"""`run_jsonl`, the library behind `optivllm run`: it never prints; it reports through notes and a callback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import ScriptedClient
from strategies.runner.batch import BatchResult
from strategies.runner.jsonl import PreparedRun, RunOptions, run_jsonl, run_prepared


def _client() -> ScriptedClient:
    return ScriptedClient(lambda prompt, sampling: "Answer: 4")


def _options(tmp_path: Path) -> RunOptions:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a", "question": "2 + 2?", "answer": "4"})
        + "\n{broken\n"
        + json.dumps({"id": "b", "question": "1 + 3?", "answer": "4"})
        + "\n"
    )
    return RunOptions(input=questions, output=tmp_path / "r.jsonl", strategy="plain", config={"max_tokens": 16})


async def test_run_jsonl_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    summary = await run_jsonl(_options(tmp_path), _client())
    assert capsys.readouterr() == ("", "")
    assert summary.items == 3 and summary.succeeded == 2 and summary.failures == 1 and summary.correct == 2
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 3
    assert json.loads((tmp_path / "r.summary.json").read_text())["items"] == 3


async def test_on_result_sees_each_result_of_the_work_left_after_it_is_written(tmp_path: Path):
    options = _options(tmp_path)
    seen: list[tuple[str | None, int]] = []

    def on_result(result: BatchResult) -> None:
        seen.append((result.id, len(options.output.read_text().splitlines())))

    await run_jsonl(options, _client(), on_result=on_result)
    # the bad input line is written first, then each answer before its callback
    assert sorted(i for i, _ in seen) == ["a", "b"]  # type: ignore[type-var]
    assert sorted(lines for _, lines in seen) == [2, 3]


async def test_an_async_on_result_is_awaited(tmp_path: Path):
    seen: list[str | None] = []

    async def on_result(result: BatchResult) -> None:
        seen.append(result.id)

    await run_jsonl(_options(tmp_path), _client(), on_result=on_result)
    assert sorted(seen) == ["a", "b"]  # type: ignore[type-var]


async def test_a_resumed_run_collects_its_notes_instead_of_printing_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    options = _options(tmp_path)
    await run_jsonl(options, _client())
    with options.output.open("a") as f:
        f.write('{"id": "b", "ans')
    run = PreparedRun(options)
    assert run.notes == [
        f"dropped a torn last line (16 bytes) from {options.output}",
        f"resuming: 2 item(s) already in {options.output}",
    ]
    assert run.todo == []
    summary = await run_prepared(run, _client())
    assert capsys.readouterr() == ("", "")
    assert summary.items == 3 and summary.run_items == 0 and summary.resumed_items == 3
