"""Smoke test: the consensus benchmark runs end to end at tiny sizes and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_consensus.py"


def load_bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import benchmarks/bench_consensus.py (not a package) as a module."""
    spec = importlib.util.spec_from_file_location("bench_consensus", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_consensus", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_benchmark_writes_well_formed_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "consensus.json"
    record = load_bench(monkeypatch).main(
        ["--out", str(out), "--q", "20", "--n", "4", "--responses", "30", "--repeats", "2"]
    )
    written = json.loads(out.read_text())
    assert written == record
    assert {"machine", "seed", "q", "n", "consensus", "extraction", "targets"} <= written.keys()
    assert {"platform", "cpu_count", "numpy", "python"} <= written["machine"].keys()
    assert (written["q"], written["n"]) == (20, 4)
    consensus = written["consensus"]
    assert {"vectorized_ms_median", "reference_ms_median", "speedup"} <= consensus.keys()
    assert consensus["results_match_reference"] is True
    extraction = written["extraction"]
    assert extraction["responses"] == 30
    assert extraction["responses_per_s"] > 0 and extraction["total_s"] > 0
