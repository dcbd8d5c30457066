"""The consensus benchmark at tiny sizes: it runs end to end and writes a well-formed JSON record.

Nothing here is timed: the timings are only checked for their shape (one per repeat), never for
their size. What is checked is what the benchmark computes: the vectorized kernels agree with
the plain-Python reference, and the extraction half reports what ``answer_key`` really finds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks import bench_consensus
from kernels import answer_key

Q, N, RESPONSES, REPEATS, SEED = 20, 4, 30, 2, 0


def test_benchmark_writes_well_formed_json(tmp_path: Path) -> None:
    out = tmp_path / "consensus.json"
    record = bench_consensus.main(
        ["--out", str(out), "--q", str(Q), "--n", str(N), "--responses", str(RESPONSES), "--repeats", str(REPEATS)]
    )
    written = json.loads(out.read_text())
    assert written == record
    assert {"machine", "seed", "q", "n", "consensus", "extraction", "targets"} <= written.keys()
    assert {"platform", "cpu_count", "numpy", "python"} <= written["machine"].keys()
    assert (written["q"], written["n"], written["seed"], written["repeats"]) == (Q, N, SEED, REPEATS)
    consensus = written["consensus"]
    assert {"vectorized_ms_median", "reference_ms_median", "speedup"} <= consensus.keys()
    assert consensus["results_match_reference"] is True
    for timings in (
        consensus["vectorized_ms"],
        consensus["reference_ms"],
        consensus["fresh_allocator"]["vectorized_ms"],
    ):
        assert len(timings) == REPEATS and all(t >= 0 for t in timings)
    extraction = written["extraction"]
    responses = [r for chunk in bench_consensus.response_chunks(RESPONSES, SEED) for r in chunk]
    assert extraction["responses"] == len(responses) == RESPONSES
    assert extraction["mean_response_chars"] == round(sum(map(len, responses)) / RESPONSES, 1)
    found = sum(1 for r in responses if answer_key(r))
    assert found > 0
    assert extraction["share_with_answer"] == round(found / RESPONSES, 4)


def test_reference_check_detects_a_wrong_result() -> None:
    """``results_match_reference`` is not vacuous: a single changed top-k entry is a mismatch."""
    batch = bench_consensus.make_batch(Q, N, SEED)
    fast, slow = bench_consensus.vectorized(batch, 2), bench_consensus.reference(batch, 2)
    assert bench_consensus.same_results(fast, slow)
    vote, scores, top = fast
    wrong = top.copy()
    wrong.flat[0] = wrong.flat[0] + 1
    assert not np.array_equal(wrong, top)
    assert not bench_consensus.same_results((vote, scores, wrong), slow)
