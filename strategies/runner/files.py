"""JSONL input and output of `optivllm run`: validation, resume, append-only writing, summary.

Input: one JSON object per line with `id` and `question` (or `query` / `prompt`), an optional
reference `answer` and an optional `system` prompt. A bad line (not JSON, no id, no question,
an empty question, a duplicate id) becomes an error record with its line number.

Output: one JSON object per finished item, appended and flushed to disk as soon as it is done.
Error records carry `error` and `line`. Re-running the same command resumes: ids (and, for
records without an id, input lines) already in the output are skipped, and a truncated last
line left by a crash is cut off first, so no id is ever written twice.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "questions.jsonl"
    >>> _ = path.write_text('{"id": "a", "question": "2+2?"}\\n{"id": "b"}\\n')
    >>> items, errors = read_input(path)
    >>> [i.id for i in items], [(e.line, e.id) for e in errors]
    (['a'], [(2, 'b')])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from engine import InputError, Usage
from strategies.runner.batch import BatchItem, BatchResult

QUESTION_KEYS = ("question", "query", "prompt")


def read_input(path: Path) -> tuple[list[BatchItem], list[BatchResult]]:
    """Valid items in file order, and an error record for every bad line."""
    if not path.is_file():
        raise InputError(f"input file {str(path)!r} does not exist")
    items: list[BatchItem] = []
    errors: list[BatchResult] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            item, error = _parse_line(raw, number, seen)
            if error is not None:
                errors.append(error)
            elif item is not None:
                seen[item.id] = number
                items.append(item)
    return items, errors


def _parse_line(raw: str, line: int, seen: dict[str, int]) -> tuple[BatchItem | None, BatchResult | None]:
    def bad(reason: str, item_id: str | None = None) -> tuple[None, BatchResult]:
        return None, BatchResult.failed(item_id, f"input line {line}: {reason}", line=line)

    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as err:
        return bad(f"malformed JSON ({err.msg} at column {err.colno})")
    if not isinstance(obj, dict):
        return bad(f"expected a JSON object, got {type(obj).__name__}")
    raw_id = obj.get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        return bad("missing 'id'")
    if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
        return bad(f"'id' must be a string or integer, got {type(raw_id).__name__}")
    item_id = str(raw_id)
    if item_id in seen:
        return bad(f"duplicate id {item_id!r} (first on line {seen[item_id]})", None)
    key = next((k for k in QUESTION_KEYS if k in obj), None)
    if key is None:
        return bad("missing 'question' (or 'query' / 'prompt')", item_id)
    question = obj[key]
    if not isinstance(question, str):
        return bad(f"'{key}' must be a string, got {type(question).__name__}", item_id)
    if not question.strip():
        return bad(f"empty '{key}'", item_id)
    answer = obj.get("answer")
    system = obj.get("system")
    if system is not None and not isinstance(system, str):
        return bad(f"'system' must be a string, got {type(system).__name__}", item_id)
    return (
        BatchItem(
            id=item_id,
            question=question,
            answer=None if answer is None else str(answer),
            system=system,
            line=line,
        ),
        None,
    )


@dataclass
class Done:
    """What an existing output file already holds."""

    ids: set[str] = field(default_factory=set)
    lines: set[int] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)
    truncated_bytes: int = 0

    def has(self, item_id: str | None, line: int | None) -> bool:
        return (item_id is not None and item_id in self.ids) or (item_id is None and line in self.lines)


def recover_output(path: Path) -> Done:
    """Read an existing output, cutting off a torn last line (a crash mid-write)."""
    done = Done()
    if not path.exists():
        return done
    data = path.read_bytes()
    good_end = 0
    offset = 0
    for raw in data.splitlines(keepends=True):
        end = offset + len(raw)
        try:
            if not raw.endswith(b"\n"):
                raise ValueError("no newline")
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            if raw.strip() and end != len(data):
                raise InputError(
                    f"output file {str(path)!r} has a corrupt line in the middle (byte {offset}); "
                    "it is not a file this tool wrote, or it was edited; move it away to start over"
                ) from None
            break
        good_end = end
        offset = end
        done.records.append(record)
        if record.get("id") is not None:
            done.ids.add(str(record["id"]))
        elif isinstance(record.get("line"), int):
            done.lines.add(record["line"])
    if good_end < len(data):
        done.truncated_bytes = len(data) - good_end
        with path.open("r+b") as f:
            f.truncate(good_end)
    return done


def drop_errors(path: Path, done: Done) -> Done:
    """Rewrite the output without its error records (atomically), so they run again."""
    kept = [r for r in done.records if r.get("error") is None]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for r in kept:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return Done(ids={str(r["id"]) for r in kept if r.get("id") is not None}, records=kept)


_ERROR_FIELDS = {"id", "line", "strategy", "error", "elapsed_s"}


class OutputWriter:
    """Appends one JSON line per result and makes it durable before returning."""

    def __init__(self, path: Path, *, keep_reasoning: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._keep_reasoning = keep_reasoning

    def write(self, result: BatchResult) -> None:
        if result.error is not None:
            line = result.model_dump_json(include=_ERROR_FIELDS)
        else:
            line = result.model_dump_json(exclude=None if self._keep_reasoning else {"reasoning"})
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


class RunSummary(BaseModel):
    """Totals of a run (this invocation plus what the output already held)."""

    model_config = ConfigDict(extra="forbid")

    strategy: str
    model: str
    items: int
    succeeded: int
    failures: int
    graded: int
    correct: int
    accuracy: float | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    prefix_cache_hit_rate: float
    engine_requests: int
    wall_s: float
    questions_per_s: float
    completion_tokens_per_s: float
    run_items: int
    resumed_items: int


def summarize(records: list[dict[str, Any]], *, strategy: str, model: str, wall_s: float, run_items: int) -> RunSummary:
    """Summary over all output records; rates use this invocation's items and wall time."""
    usage = Usage()
    ok = [r for r in records if r.get("error") is None]
    for r in ok:
        usage = usage + Usage.model_validate(r.get("usage") or {})
    graded = [r for r in ok if r.get("correct") is not None]
    correct = sum(bool(r["correct"]) for r in graded)
    run_records = records[len(records) - run_items :] if run_items else []
    run_tokens = sum((r.get("usage") or {}).get("completion_tokens", 0) for r in run_records)
    return RunSummary(
        strategy=strategy,
        model=model,
        items=len(records),
        succeeded=len(ok),
        failures=len(records) - len(ok),
        graded=len(graded),
        correct=correct,
        accuracy=correct / len(graded) if graded else None,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cached_tokens=usage.cached_tokens,
        prefix_cache_hit_rate=round(usage.cache_hit_rate, 4),
        engine_requests=usage.requests,
        wall_s=round(wall_s, 3),
        questions_per_s=round(run_items / wall_s, 4) if wall_s > 0 else 0.0,
        completion_tokens_per_s=round(run_tokens / wall_s, 2) if wall_s > 0 else 0.0,
        run_items=run_items,
        resumed_items=len(records) - run_items,
    )


def summary_path(output: Path) -> Path:
    """`results.jsonl` -> `results.summary.json`, beside the output."""
    stem = output.name[: -len(".jsonl")] if output.name.endswith(".jsonl") else output.name
    return output.with_name(stem + ".summary.json")
