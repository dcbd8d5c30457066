import json
from pathlib import Path

import pytest

from engine import InputError, Usage
from strategies.runner.batch import BatchResult
from strategies.runner.files import OutputWriter, drop_errors, read_input, recover_output, summarize, summary_path


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_read_input_accepts_question_query_and_prompt_keys(tmp_path: Path):
    f = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "question": "q1", "answer": 4}),
            json.dumps({"id": 2, "query": "q2", "system": "be brief"}),
            "",
            json.dumps({"id": "c", "prompt": "q3"}),
        ],
    )
    items, errors = read_input(f)
    assert errors == []
    assert [(i.id, i.question, i.line) for i in items] == [("a", "q1", 1), ("2", "q2", 2), ("c", "q3", 4)]
    assert items[0].answer == "4" and items[1].system == "be brief"


def test_each_bad_line_becomes_an_error_record_with_its_line_and_reason(tmp_path: Path):
    f = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "question": "ok"}),
            "{not json",
            json.dumps({"question": "no id"}),
            json.dumps({"id": "a", "question": "dup"}),
            json.dumps({"id": "b", "question": "   "}),
            json.dumps({"id": "c"}),
            json.dumps([1, 2]),
            json.dumps({"id": "d", "question": 5}),
        ],
    )
    items, errors = read_input(f)
    assert [i.id for i in items] == ["a"]
    reasons = {e.line: e.error for e in errors}
    assert "malformed JSON" in reasons[2]
    assert "missing 'id'" in reasons[3]
    assert "duplicate id 'a' (first on line 1)" in reasons[4]
    assert "empty 'question'" in reasons[5]
    assert "missing 'question'" in reasons[6]
    assert "expected a JSON object" in reasons[7]
    assert "must be a string" in reasons[8]
    # a duplicate's error record must not carry the id again: no id is written twice
    assert next(e for e in errors if e.line == 4).id is None


def test_missing_input_file_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="does not exist"):
        read_input(tmp_path / "nope.jsonl")


def test_recover_output_drops_a_torn_last_line_and_remembers_finished_ids(tmp_path: Path):
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"id": "a"}) + "\n" + json.dumps({"id": None, "line": 7, "error": "x"}) + "\n" + '{"id": "b", "ans'
    )
    done = recover_output(out)
    assert done.ids == {"a"} and done.lines == {7}
    assert done.truncated_bytes == len('{"id": "b", "ans')
    assert out.read_text().endswith("\n") and len(out.read_text().splitlines()) == 2
    assert done.has("a", 1) and done.has(None, 7) and not done.has("b", 2)


def test_recover_output_refuses_a_file_corrupt_in_the_middle(tmp_path: Path):
    out = _write(tmp_path / "out.jsonl", [json.dumps({"id": "a"}), "garbage", json.dumps({"id": "b"})])
    with pytest.raises(InputError, match="corrupt line in the middle"):
        recover_output(out)


def test_drop_errors_keeps_only_successful_records(tmp_path: Path):
    out = _write(tmp_path / "out.jsonl", [json.dumps({"id": "a"}), json.dumps({"id": "b", "error": "boom"})])
    done = drop_errors(out, recover_output(out))
    assert done.ids == {"a"}
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a"]


def test_writer_appends_durable_lines_and_can_drop_reasoning(tmp_path: Path):
    out = tmp_path / "sub" / "out.jsonl"
    w = OutputWriter(out, keep_reasoning=False)
    w.write(BatchResult(id="a", answer="4", reasoning="long text"))
    w.write(BatchResult.failed("b", "bad", line=3))
    w.close()
    first, second = [json.loads(x) for x in out.read_text().splitlines()]
    assert first["answer"] == "4" and "reasoning" not in first
    assert second == {"id": "b", "line": 3, "strategy": "", "error": "bad", "elapsed_s": 0.0}


def test_summary_counts_accuracy_failures_tokens_and_rates():
    records = [
        BatchResult(
            id="a", correct=True, usage=Usage(requests=2, prompt_tokens=100, cached_tokens=50, completion_tokens=40)
        ),
        BatchResult(id="b", correct=False, usage=Usage(requests=1, prompt_tokens=100, completion_tokens=20)),
        BatchResult(id="c"),
        BatchResult.failed("d", "boom"),
    ]
    s = summarize([r.model_dump(mode="json") for r in records], strategy="mars", model="m", wall_s=2.0, run_items=2)
    assert (s.items, s.succeeded, s.failures, s.graded, s.correct) == (4, 3, 1, 2, 1)
    assert s.accuracy == 0.5 and s.prefix_cache_hit_rate == 0.25
    assert s.engine_requests == 3 and s.questions_per_s == 1.0 and s.resumed_items == 2


def test_summary_path_sits_beside_the_output():
    assert summary_path(Path("runs/x.jsonl")) == Path("runs/x.summary.json")
