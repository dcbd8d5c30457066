"""Scripted steps and scores for the step-level searches (beam search, DVTS, particle filter).

`StepModel` writes steps "s1", "s2", ... in the order they are requested (a step listed in
`answers` states an answer instead); `score_by_step` scores a partial solution by its latest
step's number, so the later-written steps score higher unless a table says otherwise.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from engine import Prompt, Sampling
from strategies.blocks.scoring import Partial

STEP = re.compile(r"s(\d+)")


class StepModel:
    """Step k is "s{k}"; a step in `answers` is "s{k} Answer: {answer}"; a step in `empty` is ""."""

    def __init__(self, answers: dict[int, str] | None = None, empty: set[int] | None = None) -> None:
        self.counter = itertools.count(1)
        self.answers = answers or {}
        self.empty = empty or set()

    def __call__(self, prompt: Prompt, sampling: Sampling) -> str:
        if sampling.choice is not None:  # a judge probe: not scripted here
            return "CORRECT"
        k = next(self.counter)
        if k in self.empty:
            return ""
        return f"s{k} Answer: {self.answers[k]}" if k in self.answers else f"s{k}"


def latest_step(partial: Partial) -> int:
    """The number of the partial solution's latest step (0 if none)."""
    found = STEP.findall(partial.text)
    return int(found[-1]) if found else 0


def score_by_step(table: dict[int, float] | None = None) -> Callable[[Partial], float]:
    """A score function: `table[k]` for latest step k, else k / 100."""

    def score(partial: Partial) -> float:
        k = latest_step(partial)
        return (table or {}).get(k, k / 100)

    return score
