"""What every engine benchmark shares: the engine's description, clients that record or
serialize requests, confidence intervals, and the result file format.

Every result file states the model, device, engine version, Q, token budgets and seeds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import Completion, ModelClient, Prompt, Sampling, TrackedClient, cpu_info
from engine.hardware import THREAD_ENV
from engine.types import SamplingArg, TagArg, pair_requests

RESULTS = Path(__file__).resolve().parent / "results"


def describe_engine(client: Any) -> dict[str, Any]:
    """Model, device and versions of the engine behind `client`."""
    import torch
    import vllm

    info: dict[str, Any] = {
        "vllm": getattr(vllm, "__version__", "?"),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }
    if torch.cuda.is_available():
        info["device"] = torch.cuda.get_device_name(0)
    else:
        info["device"] = f"cpu ({os.cpu_count()} cores)"
        info["cpu"] = cpu_info().describe()
        info["threads"] = {k: os.environ[k] for k in THREAD_ENV if k in os.environ}
    entry = getattr(client, "entry", None)
    if entry is not None:
        info["model"] = entry.name
        info["model_source"] = entry.source
        info["max_model_len"] = client.max_model_len
        for key in ("dtype", "block_size"):  # a running engine's own; a description may lack them
            if hasattr(client, key):
                info[key] = getattr(client, key)
    return info


@dataclass(frozen=True)
class Recorded:
    """One request as the engine saw it, with the lengths it produced."""

    prompt: Prompt
    sampling: Sampling
    completion_tokens: tuple[int, ...]


class RecordingClient(TrackedClient):
    """Forwards to the engine and remembers every request and its completion lengths."""

    def __init__(self, inner: ModelClient) -> None:
        super().__init__(inner)
        self.recorded: list[Recorded] = []

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        requests = pair_requests(prompts, samplings, tag)
        out = await super().generate(prompts, samplings, tag=tag)
        lengths: list[list[int]] = []
        for c in out:
            if c.sample_index == 0:
                lengths.append([])
            lengths[-1].append(c.completion_tokens)
        self.recorded.extend(Recorded(p, s, tuple(n)) for (p, s, _), n in zip(requests, lengths, strict=True))
        return out


class SequentialClient(TrackedClient):
    """One engine request at a time: the naive baseline of `bench_throughput`'s sequential mode.

    Not a model of optillm, whose MARS fans calls out on thread pools (see `bench_vs_optillm.py`).
    """

    def __init__(self, inner: ModelClient) -> None:
        super().__init__(inner)
        self._lock = asyncio.Lock()

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        out: list[Completion] = []
        for prompt, sampling, t in pair_requests(prompts, samplings, tag):
            async with self._lock:
                out.extend(await super().generate([prompt], sampling, tag=t))
        return out


async def replay_as_one_batch(client: ModelClient, recorded: Sequence[Recorded]) -> tuple[float, int]:
    """The engine's ceiling: the recorded requests, with their completion lengths forced, in one call.

    Returns (wall seconds, completion tokens).
    """
    samplings = []
    for r in recorded:
        length = max(1, max(r.completion_tokens))
        samplings.append(r.sampling.with_(max_tokens=length, min_tokens=length, stop=()))
    start = time.perf_counter()
    out = await client.generate([r.prompt for r in recorded], samplings, tag="limit")
    return time.perf_counter() - start, sum(c.completion_tokens for c in out)


def wilson_interval(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (sane at 0 and 1, unlike the normal one)."""
    if total == 0:
        return (0.0, 0.0)
    p = correct / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def common_args(parser: argparse.ArgumentParser, default_out: Path) -> argparse.ArgumentParser:
    """The options every engine benchmark takes: --model, --out, --quiet."""
    parser.add_argument("--model", help="model registry entry (default: the registry's default)")
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows already in --out that were measured with the same settings, and run only the rest",
    )
    return parser


async def reset_prefix_cache(client: ModelClient) -> None:
    """Start a measurement cold: drop the engine's cached KV blocks (a client without a cache: nothing)."""
    reset = getattr(client, "reset_prefix_cache", None)
    if reset is not None:
        await reset()


def add_smoke_argument(parser: argparse.ArgumentParser, sizes: dict[str, Any], out: Path) -> None:
    """`--smoke`: run at the toy `sizes` (the machinery only), written to `out` unless --out is given."""
    shown = ", ".join(f"{k}={v}" for k, v in sizes.items())
    parser.add_argument(
        "--smoke", action="store_true", help=f"toy sizes ({shown}), written to {out.name} unless --out is given"
    )


def apply_smoke(args: argparse.Namespace, sizes: dict[str, Any], default_out: Path, out: Path) -> None:
    """With `--smoke`, set `args` to the toy `sizes` and the smoke result file (unless --out was given)."""
    if not args.smoke:
        return
    for key, value in sizes.items():
        setattr(args, key, value)
    if args.out == default_out:
        args.out = out


def earlier_rows(path: Path, settings: dict[str, Any], *, resume: bool) -> list[dict[str, Any]]:
    """With `resume`, the rows of the result file at `path` if it was written with `settings`.

    A long benchmark stopped part-way (or one that hit an error) goes on from where it stopped;
    a file written with other settings is not mixed in, it is measured again.
    """
    if not resume or not path.exists():
        return []
    payload = json.loads(path.read_text())
    if any(payload.get(key) != value for key, value in settings.items()):
        print(f"{path}: written with other settings; measuring every row again", file=sys.stderr)
        return []
    return list(payload.get("rows", []))


class ResultFile:
    """A benchmark's result file, filled row by row: written after every row, resumable.

    With `--resume`, the rows of an earlier file written with the same `settings` are kept
    (see `earlier_rows`); `payload` is what goes to disk.

    Example:
        >>> result = ResultFile(args, {"benchmark": "accuracy", "seed": 1}, "bench_accuracy.py")  # doctest: +SKIP
        >>> result.add({"strategy": "plain", "accuracy": 0.1})  # doctest: +SKIP
    """

    def __init__(self, args: argparse.Namespace, settings: dict[str, Any], script: str) -> None:
        self.path: Path = args.out
        self.payload: dict[str, Any] = {
            **settings,
            "rows": earlier_rows(args.out, settings, resume=args.resume),
            "command": f"python benchmarks/{script} " + " ".join(args.argv),
        }

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.payload["rows"]

    def add(self, row: dict[str, Any]) -> None:
        """Append `row` and rewrite the file, so a run stopped early keeps what it measured."""
        self.rows.append(row)
        write_result(self.path, self.payload)


def whole_numbers(text: str) -> list[int]:
    """`type=` for a comma-separated list of whole numbers >= 1 (`--concurrency 1,8,32`)."""
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers (got {text!r})") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected whole numbers >= 1 (got {text!r})")
    return values


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse `argv`, keeping it for the result file's `command` field."""
    args = parser.parse_args(argv)
    args.argv = argv
    return args


def main_on_engine(
    parse_args: Callable[[list[str]], argparse.Namespace],
    run: Callable[[Any, argparse.Namespace], Awaitable[Any]],
    argv: list[str] | None = None,
) -> int:
    """A benchmark's `main`: start the engine, `await run(client, args)`, shut down."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from engine import OptivllmError, VLLMClient

    try:
        with VLLMClient(args.model) as client:
            asyncio.run(run(client, args))
    except OptivllmError as err:
        return failed(args, err)
    print(f"wrote {args.out}")
    return 0


def failed(args: argparse.Namespace, err: BaseException) -> int:
    """A benchmark stopped by an error: say why and where the rows measured so far are; exit code 1."""
    print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
    if args.out.exists():
        print(f"rows measured so far are in {args.out}; add --resume to go on from there", file=sys.stderr)
    return 1


def write_result(path: Path, payload: dict[str, Any]) -> Path:
    """Write a result file (pretty JSON, trailing newline), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    return path
