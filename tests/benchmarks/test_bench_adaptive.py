"""bench_adaptive.py at toy size: on a scripted model (no engine), and once on the real engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_adaptive, report
from benchmarks.datasets import generate
from engine import Prompt, Sampling, ScriptedClient
from engine.scripted import render_text

ENGINE = {"model": "scripted", "device": "none", "vllm": "-", "torch": "-"}


def knows_the_answers() -> ScriptedClient:
    """A model that answers every generated question correctly."""
    items = generate(bench_adaptive.SMOKE["q"], seed=bench_adaptive.SEED)

    def respond(prompt: Prompt, sampling: Sampling) -> str:
        text = render_text(prompt)
        [item] = [i for i in items if i.question in text]
        return f"Working it out.\nAnswer: {item.answer}"

    return ScriptedClient(respond)


async def test_smoke_run_compares_each_adaptive_strategy_with_its_fixed_budget(tmp_path: Path) -> None:
    out = tmp_path / "adaptive.json"
    client = knows_the_answers()
    args = bench_adaptive.parse_args(["--smoke", "--out", str(out), "--quiet"])
    await bench_adaptive.run(client, args, describe=lambda c: ENGINE)
    payload = json.loads(out.read_text())

    assert payload["benchmark"] == "adaptive" and payload["engine"] == ENGINE
    assert payload["command"].startswith("python benchmarks/bench_adaptive.py --smoke")
    assert (payload["q"], payload["samples"], payload["seed"]) == (2, 8, 0)
    answers = [i.answer for i in generate(2, seed=0)]
    rows = {r["strategy"]: r for r in payload["rows"]}
    assert list(rows) == ["self_consistency", "deepconf", "diverse_sampling"]
    for row in rows.values():
        for side in ("fixed", "adaptive"):
            m = row[side]
            assert m["n"] == 2 and m["failures"] == 0 and m["answer_keys"] == answers
            assert m["accuracy"] == 1.0 and m["ci95"][0] <= 1.0 == m["ci95"][1]
            assert m["engine_requests"] > 0 and m["prompt_tokens_per_question"] > 0
        # the samples agree, so every adaptive run stops early, spends less, and keeps the answer
        assert row["fixed"]["stopped_early"] == 0.0 and row["adaptive"]["stopped_early"] == 1.0
        assert row["adaptive"]["completion_tokens_per_question"] < row["fixed"]["completion_tokens_per_question"]
        assert row["agreement"] == 1.0 and row["agreeing"] == 2
        assert row["completion_tokens_ratio"] < 1.0
    sc, dc, ds = rows["self_consistency"], rows["deepconf"], rows["diverse_sampling"]
    assert sc["fixed"]["config"]["stop_when_settled"] is False and sc["adaptive"]["config"]["wave_size"] == 4
    assert sc["fixed"]["engine_requests"] == sc["adaptive"]["engine_requests"] == 2  # one request (n=8, n=4) each
    assert dc["fixed"]["config"]["consensus_threshold"] is None and dc["adaptive"]["aborted_requests"] > 0
    assert (ds["fixed"]["engine_requests"], ds["adaptive"]["engine_requests"]) == (16, 8)

    # --resume keeps the rows measured with the same settings and measures nothing again
    calls = len(client.calls)
    resumed = bench_adaptive.parse_args(["--smoke", "--out", str(out), "--quiet", "--resume"])
    await bench_adaptive.run(client, resumed, describe=lambda c: ENGINE)
    assert len(client.calls) == calls and json.loads(out.read_text())["rows"] == payload["rows"]

    # the report turns it into a table and a plot
    text = report.build(tmp_path, tmp_path)
    assert "### Stop when the answer is settled" in text
    assert "| self_consistency | adaptive | 100.0% (2/2) |" in text
    assert (tmp_path / "adaptive.png").stat().st_size > 0


def test_smoke_writes_its_own_file_unless_told_otherwise(tmp_path: Path) -> None:
    assert bench_adaptive.parse_args(["--smoke"]).out == bench_adaptive.SMOKE_OUT
    assert bench_adaptive.parse_args([]).out == bench_adaptive.DEFAULT_OUT
    assert bench_adaptive.parse_args(["--smoke", "--out", str(tmp_path / "x.json")]).out == tmp_path / "x.json"


@pytest.mark.parametrize(
    "argv",
    [
        ["--strategies", "mars"],
        ["--samples", "2", "--warmup-traces", "4"],
        ["--stop-confidence", "1.0"],
        ["--consensus-threshold", "0.5"],
        ["--wave-size", "0"],
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench_adaptive.parse_args(argv)


@pytest.mark.engine
async def test_smoke_run_on_the_real_engine_writes_a_well_formed_file(engine_client: object, tmp_path: Path) -> None:
    out = tmp_path / "adaptive.json"
    args = bench_adaptive.parse_args(["--smoke", "--out", str(out), "--quiet"])
    await bench_adaptive.run(engine_client, args)  # type: ignore[arg-type]
    payload = json.loads(out.read_text())
    for key in ("model", "device", "vllm", "torch"):
        assert payload["engine"][key], key
    assert [r["strategy"] for r in payload["rows"]] == ["self_consistency", "deepconf", "diverse_sampling"]
    for row in payload["rows"]:
        for side in ("fixed", "adaptive"):
            m = row[side]
            assert m["wall_s"] > 0 and m["engine_requests"] > 0 and m["completion_tokens_per_question"] > 0
            assert 0.0 <= m["ci95"][0] <= m["accuracy"] <= m["ci95"][1] <= 1.0
        assert 0.0 <= row["agreement"] <= 1.0
