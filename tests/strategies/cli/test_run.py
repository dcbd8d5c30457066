"""`optivllm run`'s console side on a scripted engine: notes, progress, the report and the exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engine import ModelEntry, ScriptedClient
from strategies.cli import ExitCode, main
from strategies.runner import RaySettings


class ScriptedEngine(ScriptedClient):
    """Stands in for `VLLMClient(entry)`: a context manager answering every question with 42."""

    started = 0

    def __init__(self, entry: ModelEntry) -> None:
        super().__init__(lambda prompt, sampling: "It is 42.\nAnswer: 42")
        ScriptedEngine.started += 1

    def __enter__(self) -> ScriptedEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(autouse=True)
def scripted_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    ScriptedEngine.started = 0
    monkeypatch.setattr("strategies.cli.run.VLLMClient", ScriptedEngine)


def _questions(tmp_path: Path, *, bad_line: bool = False) -> Path:
    lines = [json.dumps({"id": f"q{i}", "question": f"What is {i} + 42 - {i}?", "answer": "42"}) for i in range(3)]
    if bad_line:
        lines.append("{not json")
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _argv(questions: Path, *extra: str) -> list[str]:
    return ["run", "-i", str(questions), "-o", str(questions.with_name("out.jsonl")), "-s", "plain", "-q", *extra]


def test_a_run_prints_the_engine_log_path_and_the_summary_and_exits_0(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    assert main(_argv(_questions(tmp_path))) == ExitCode.OK
    out, err = capfd.readouterr()
    log = tmp_path / "out.engine.log"
    assert err.splitlines() == [f"optivllm: engine output goes to {log} (-v shows it here)"]
    assert "plain on " in out and "3 items, 3 ok, 0 failed" in out and "accuracy: 100.0% (3/3)" in out
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 3 and ScriptedEngine.started == 1


def test_a_run_with_a_bad_input_line_exits_1(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    assert main(_argv(_questions(tmp_path, bad_line=True))) == ExitCode.FAILURES
    assert "4 items, 3 ok, 1 failed" in capfd.readouterr().out


def test_a_rerun_prints_the_resume_note_and_starts_no_engine(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    questions = _questions(tmp_path)
    assert main(_argv(questions)) == ExitCode.OK
    capfd.readouterr()
    with (tmp_path / "out.jsonl").open("a") as f:
        f.write('{"id": "q9", "answer": "tor')  # what a crash mid-write leaves behind
    assert main(_argv(questions)) == ExitCode.OK
    out, err = capfd.readouterr()
    assert err.splitlines() == [
        f"dropped a torn last line (27 bytes) from {tmp_path / 'out.jsonl'}",
        f"resuming: 3 item(s) already in {tmp_path / 'out.jsonl'}",
    ]
    assert "3 items, 3 ok, 0 failed (3 from earlier runs)" in out and ScriptedEngine.started == 1


def test_verbose_keeps_the_engine_output_on_the_terminal(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    assert main(["-v", *_argv(_questions(tmp_path))]) == ExitCode.OK
    assert "engine output goes to" not in capfd.readouterr().err
    assert not (tmp_path / "out.engine.log").exists()


def test_any_ray_flag_asks_for_replicas_on_ray_and_none_keeps_one_engine_here(tmp_path: Path):
    from strategies.cli.commands import _ray_settings, build_parser

    def settings(*extra: str) -> object:
        return _ray_settings(build_parser().parse_args(_argv(_questions(tmp_path), *extra)))

    assert settings() is None
    assert settings("--ray") == RaySettings(replicas=1)
    assert settings("--replicas", "4", "--ray-address", "auto") == RaySettings(replicas=4, address="auto")
    assert settings("--cpus-per-replica", "2") == RaySettings(cpus_per_replica=2)


def test_a_ray_run_without_ray_installed_is_one_line_with_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed
    assert main(_argv(_questions(tmp_path), "--ray")) == ExitCode.USAGE
    err = capfd.readouterr().err
    assert "Ray is not installed" in err and "optivllm[ray]" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.jsonl"], "no output, summary or engine log"
