"""`optivllm`'s parsing and validation: every mistake is one stderr line and exit code 2, before any engine."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from strategies.cli import ExitCode, main
from strategies.cli.args import non_negative_int, one_line, parse_settings, positive_int


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "What is 2 + 2?", "answer": "4"}) + "\n")
    return path


@pytest.fixture(autouse=True)
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any test here that got as far as starting an engine fails instead."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an engine was started")

    monkeypatch.setattr("strategies.cli.run.VLLMClient", refuse)
    monkeypatch.setattr("engine.VLLMClient", refuse)


def _run(questions: Path, *extra: str) -> list[str]:
    return ["run", "-i", str(questions), "-o", str(questions.with_name("out.jsonl")), "-s", "plain", *extra]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_run_rejects_a_negative_limit_with_exit_code_2(questions: Path, capsys: pytest.CaptureFixture[str]):
    assert main(_run(questions, "--limit", "-1")) == ExitCode.USAGE == 2
    assert _one_error_line(capsys) == "optivllm run: error: argument --limit: must be >= 0 (got -1)"


def test_run_rejects_zero_concurrency_with_exit_code_2(questions: Path, capsys: pytest.CaptureFixture[str]):
    assert main(_run(questions, "--concurrency", "0")) == ExitCode.USAGE
    assert _one_error_line(capsys) == "optivllm run: error: argument --concurrency: must be >= 1 (got 0)"


def test_run_rejects_a_limit_that_is_not_a_whole_number(questions: Path, capsys: pytest.CaptureFixture[str]):
    assert main(_run(questions, "--limit", "2.5")) == ExitCode.USAGE
    assert _one_error_line(capsys) == "optivllm run: error: argument --limit: expected a whole number (got '2.5')"


def test_a_limit_of_zero_is_accepted(questions: Path, capsys: pytest.CaptureFixture[str]):
    assert main(_run(questions, "--limit", "0", "--quiet")) == ExitCode.OK
    assert "0 items" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--set", "temperature"], "argument --set: expected KEY=VALUE (got 'temperature')"),
        (["--set", "=1"], "argument --set: expected KEY=VALUE (got '=1')"),
        (["--set", "temp=1"], "valid fields:"),
        (["--set", "temperature=hot"], "temperature: "),
        (["-s", "nope"], "argument --strategy/-s: unknown strategy 'nope'; valid strategies: "),
        (["-m", "gpt-x"], "known models"),
        (["-c", "missing.toml"], "argument --config/-c: file 'missing.toml' does not exist"),
        (["--models", "missing.toml"], "argument --models: file 'missing.toml' does not exist"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--ray", "--replicas", "0"], "argument --replicas: must be >= 1"),
        (["--cpus-per-replica", "x"], "argument --cpus-per-replica: "),
    ],
    ids=[
        "set-without-equals",
        "set-without-key",
        "unknown-setting",
        "bad-setting-value",
        "unknown-strategy",
        "unknown-model",
        "missing-config",
        "missing-models-file",
        "unknown-flag",
        "zero-replicas",
        "bad-cpus-per-replica",
    ],
)
def test_each_bad_run_flag_is_one_line_with_exit_code_2_before_anything_is_written(
    questions: Path, capsys: pytest.CaptureFixture[str], extra: list[str], expected: str
):
    assert main(_run(questions, *extra)) == ExitCode.USAGE
    line = _one_error_line(capsys)
    assert line.startswith("optivllm run: error: ") and expected in line, line
    assert sorted(p.name for p in questions.parent.iterdir()) == ["q.jsonl"], "no output, summary or engine log"


def test_an_invalid_toml_config_is_one_line_naming_the_flag(questions: Path, capsys: pytest.CaptureFixture[str]):
    bad = questions.with_name("bad.toml")
    bad.write_text("num_agents = = 3\n")
    assert main(_run(questions, "-c", str(bad))) == ExitCode.USAGE
    line = _one_error_line(capsys)
    assert line.startswith("optivllm run: error: --config: ") and "not valid TOML" in line


def test_a_config_with_a_bad_value_lists_the_valid_fields_on_one_line(
    questions: Path, capsys: pytest.CaptureFixture[str]
):
    config = questions.with_name("plain.toml")
    config.write_text("[plain]\ntemperature = 'hot'\n")
    assert main(_run(questions, "-c", str(config))) == ExitCode.USAGE
    line = _one_error_line(capsys)
    assert "invalid config for strategy 'plain'" in line and "temperature" in line and "valid fields:" in line


def test_run_names_a_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["run", "-i", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "o.jsonl")]) == ExitCode.USAGE
    assert "argument --input/-i: file " in _one_error_line(capsys)


def test_run_refuses_a_directory_as_output(questions: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["run", "-i", str(questions), "-o", str(questions.parent)]) == ExitCode.USAGE
    line = _one_error_line(capsys)
    assert "argument --output/-o: " in line and "is a directory" in line


def test_run_without_its_required_flags_is_one_line(capsys: pytest.CaptureFixture[str]):
    assert main(["run"]) == ExitCode.USAGE
    assert "the following arguments are required: --input/-i, --output/-o" in _one_error_line(capsys)


def test_ask_rejects_an_empty_question(capsys: pytest.CaptureFixture[str]):
    assert main(["ask", "  "]) == ExitCode.USAGE
    assert _one_error_line(capsys) == "optivllm ask: error: argument question: must not be empty"


def test_an_unknown_command_is_one_line(capsys: pytest.CaptureFixture[str]):
    assert main(["fly"]) == ExitCode.USAGE
    assert _one_error_line(capsys).startswith("optivllm: error: argument COMMAND: invalid choice: 'fly'")


def test_help_exits_0_and_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]):
    assert main(["run", "--help"]) == ExitCode.OK
    out = " ".join(capsys.readouterr().out.split())
    assert "--limit" in out and "exit codes: 0 success, 1 some items failed, 2 bad usage" in out and "130" in out


def test_the_exit_codes():
    assert [(c.name, int(c)) for c in ExitCode] == [("OK", 0), ("FAILURES", 1), ("USAGE", 2), ("INTERRUPTED", 130)]


def test_strategies_lists_every_strategy_and_leaves_logging_as_it_was(capsys: pytest.CaptureFixture[str]):
    ours = logging.getLogger("strategies")
    before = (ours.handlers[:], ours.level, ours.propagate, logging.getLogger().handlers[:])
    assert main(["strategies"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "plain" in out and "mars" in out and "engine cost per query" in out
    assert (ours.handlers, ours.level, ours.propagate, logging.getLogger().handlers) == before


def test_the_module_runs_as_the_command_and_exits_with_the_code(questions: Path):
    done = subprocess.run(
        [sys.executable, "-m", "strategies.cli", *_run(questions, "--concurrency", "-3")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "optivllm run: error: argument --concurrency: must be >= 1 (got -3)\n"


def test_the_console_script_entry_point_is_main():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["optivllm"] == "strategies.cli:main"


def test_the_flag_types_accept_their_bounds():
    assert non_negative_int("0") == 0 and positive_int("1") == 1
    assert parse_settings(["num_agents=4", "preset=lightweight", "x=[1, 2]"]) == {
        "num_agents": 4,
        "preset": "lightweight",
        "x": [1, 2],
    }


def test_one_line_joins_a_field_list():
    message = "invalid config for strategy 'plain':\n  temp: Extra inputs\nvalid fields: a, b"
    assert one_line(message) == "invalid config for strategy 'plain': temp: Extra inputs; valid fields: a, b"


def test_the_package_exports_main_the_exit_codes_and_the_set_option():
    import strategies.cli

    assert strategies.cli.__all__ == ["ExitCode", "add_set_argument", "main", "parse_settings"]
    public = {n for n, v in vars(strategies.cli).items() if not n.startswith("_") and not isinstance(v, type(sys))}
    assert public == set(strategies.cli.__all__)
