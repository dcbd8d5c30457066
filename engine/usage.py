"""Token and request accounting: one `Usage` record type for the client, phases and runs.

The same arithmetic serves the client's own counters (`client.stats`) and a strategy's
per-phase accounting in `Solution.metadata`, so the two always agree.

Example:
    >>> u = Usage(requests=2, prompt_tokens=100, cached_tokens=60, completion_tokens=40)
    >>> (u + u).cache_hit_rate
    0.6
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict, Field

from engine.types import Completion


class Usage(BaseModel):
    """Requests and tokens spent; prompt tokens count once per request even when `n` > 1."""

    model_config = ConfigDict(frozen=True)

    requests: int = Field(0, description="Engine requests (a request with n samples counts once).")
    prompt_tokens: int = Field(0, description="Prompt tokens of those requests.")
    cached_tokens: int = Field(0, description="Prompt tokens served from the prefix cache.")
    completion_tokens: int = Field(0, description="Generated tokens, summed over all samples.")
    aborted_requests: int = Field(0, description="Requests that ended by abort.")
    wall_s: float = Field(0.0, description="Wall time spent waiting on the engine, in seconds.")

    @property
    def cache_hit_rate(self) -> float:
        """Share of prompt tokens served from the prefix cache (0 when there were none)."""
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            aborted_requests=self.aborted_requests + other.aborted_requests,
            wall_s=self.wall_s + other.wall_s,
        )

    def __sub__(self, other: Usage) -> Usage:
        """What was spent since `other` (an earlier snapshot of the same counters)."""
        return Usage(
            requests=self.requests - other.requests,
            prompt_tokens=self.prompt_tokens - other.prompt_tokens,
            cached_tokens=self.cached_tokens - other.cached_tokens,
            completion_tokens=self.completion_tokens - other.completion_tokens,
            aborted_requests=self.aborted_requests - other.aborted_requests,
            wall_s=self.wall_s - other.wall_s,
        )

    @classmethod
    def of(cls, completions: Iterable[Completion], *, wall_s: float = 0.0) -> Usage:
        """The usage of a batch of completions (sample 0 of each request carries its prompt)."""
        requests = prompt = cached = generated = aborted = 0
        for c in completions:
            generated += c.completion_tokens
            if c.sample_index == 0:
                requests += 1
                prompt += c.prompt_tokens
                cached += c.cached_tokens
                aborted += c.finish_reason == "abort"
        return cls(
            requests=requests,
            prompt_tokens=prompt,
            cached_tokens=cached,
            completion_tokens=generated,
            aborted_requests=aborted,
            wall_s=wall_s,
        )


class ClientStats(BaseModel):
    """A snapshot of a client's counters: the total and one `Usage` per request tag."""

    model_config = ConfigDict(frozen=True)

    total: Usage = Usage()
    by_tag: dict[str, Usage] = {}

    def __getitem__(self, tag: str) -> Usage:
        return self.by_tag.get(tag, Usage())


UNTAGGED = "untagged"


class UsageLedger:
    """Mutable per-tag counters; thread-safe. `snapshot()` gives a `ClientStats`.

    Clients keep one for `client.stats`; strategies keep one per query for their metadata.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tag: dict[str, Usage] = {}

    def add(self, tag: str | None, usage: Usage) -> None:
        key = tag or UNTAGGED
        with self._lock:
            self._by_tag[key] = self._by_tag.get(key, Usage()) + usage

    def record(self, completions: Iterable[Completion], *, wall_s: float = 0.0) -> None:
        """Add completions, each under its own tag; the wall time goes to the first tag seen."""
        groups: dict[str | None, list[Completion]] = {}
        for c in completions:
            groups.setdefault(c.tag, []).append(c)
        for i, (tag, group) in enumerate(groups.items()):
            self.add(tag, Usage.of(group, wall_s=wall_s if i == 0 else 0.0))

    def snapshot(self) -> ClientStats:
        with self._lock:
            by_tag = dict(self._by_tag)
        total = sum(by_tag.values(), Usage())
        return ClientStats(total=total, by_tag=by_tag)

    def reset(self) -> None:
        with self._lock:
            self._by_tag.clear()

    @contextmanager
    def timed(self, tag: str | None) -> Iterator[None]:
        """Add the wall time of the block to `tag`."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(tag, Usage(wall_s=time.perf_counter() - start))
