"""Rating: the model scores responses from 0 to 10, every rating of a step in one batched call.

`rate_batch` sends one rating request per response in one `generate` call and reads each
reply's last `RATING:` (or `SCORE:`) with `parse_score`; a rating is kept as a share of the
scale in [0, 1], or None when the reply had no readable rating (the caller ignores it and notes
a fallback). The prompt puts the grader's instructions and the problem first, so the ratings of
one problem share a token prefix. Best-of-n rates whole solutions with it; MCTS rates the
(possibly unfinished) solutions its simulations reach. `RatingConfig` holds the settings both
share.

Example:
    >>> read_rating("Clear and correct.\\nRATING: 8"), read_rating("I like it")
    (0.8, None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from engine import Sampling
from strategies.blocks.parsing import parse_score
from strategies.blocks.probe import RATING_PROBE, probe_batch
from strategies.blocks.prompts import followup_prompt
from strategies.blocks.voting import agreement
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution

RATING_SCALE = 10.0
"""Ratings are asked for on [0, RATING_SCALE] and kept as shares of it."""

RATING_SYSTEM = (
    "You are a strict grader of solutions to problems in mathematics, logic and reasoning. "
    "Check the solution yourself: recompute its numbers and make sure it answers the question "
    "that was asked. Reply with one short sentence on its main strength or flaw, then one last "
    "line and nothing after it:\n"
    "RATING: an integer from 0 to 10, where 0 means certainly wrong and 10 certainly right"
)

RATING_PROMPT = (
    "Problem:\n{query}\n\n"
    "Solution to rate (it may be unfinished):\n{solution}\n\n"
    "---\n"
    "How likely is this solution to reach the correct final answer? End with: RATING: <0-10>"
)


class RatingConfig(StrategyConfig):
    """Settings of strategies that rate responses with the model (best-of-n, MCTS)."""

    rating_temperature: float = Field(
        0.1, ge=0.0, le=2.0, description="Sampling temperature of rating requests, in [0, 2]."
    )
    rating_max_tokens: int = Field(
        128, ge=1, description="Completion budget of each rating (a sentence and the RATING line)."
    )
    rating_source: Literal["engine", "text"] = Field(
        default="engine",
        description="Where a rating comes from: 'engine' (the rating alone, asked of the engine "
        "as a constrained 0-10 probe: one or two tokens, always a rating, scored by its expected "
        "value under the model's probabilities) or 'text' (a written rating, parsed from its "
        "RATING line; a reply without one is ignored).",
    )

    @property
    def rating_sampling(self) -> Sampling:
        """Sampling of a rating request (unseeded)."""
        return self.sampling(self.rating_temperature, max_tokens=self.rating_max_tokens, seed=None)


@dataclass(frozen=True, slots=True)
class Rating:
    """The rating of response `index`: `score` in [0, 1], or None when none could be read."""

    index: int
    score: float | None
    text: str

    def summary(self) -> dict[str, object]:
        """A JSON-friendly record for `SolutionMetadata.details`."""
        return {"index": self.index, "score": self.score, "parsed": self.score is not None}


def read_rating(text: str) -> float | None:
    """The last labelled rating of `text` on 0-10 (or a reply that is only a number), as a share."""
    value = parse_score(text, 0.0, RATING_SCALE, labels=("rating", "score"))
    return None if value is None else value / RATING_SCALE


async def rate_batch(
    run: Run[Any],
    responses: Sequence[str],
    *,
    sampling: Sampling,
    phase: str = "rating",
    source: Literal["engine", "text"] = "text",
) -> list[Rating]:
    """One rating of each response to the run's query, all in one step of the run, in order.

    With `source="engine"` no rating is written: the engine is asked for the number alone (a
    `RATING_PROBE` started right after the prompt; `sampling` does not apply), so every response
    is rated in one or two tokens and scored by the expected rating under the model's
    probabilities. With `source="text"` the model writes its rating and its RATING line is parsed.
    """
    if not responses:
        return []
    prompts = [followup_prompt(run.query, RATING_PROMPT, system=RATING_SYSTEM, solution=text) for text in responses]
    if source == "engine":
        readings = await probe_batch(run, phase, prompts, [""] * len(prompts), RATING_PROBE)
        return [Rating(i, r.score, f"RATING: {r.choice}") for i, r in enumerate(readings)]
    completions = await run.generate(phase, prompts, sampling.with_(n=1))
    return [Rating(i, read_rating(c.text), c.text) for i, c in enumerate(completions)]


def unrated_fallbacks(ratings: Sequence[Rating], what: str) -> list[str]:
    """One fallback note per rating that could not be read: `"<what> 2: no readable rating"`."""
    return [f"{what} {r.index}: no readable rating; ignored" for r in ratings if r.score is None]


def best_rated(solutions: Sequence[Solution], ratings: Sequence[Rating]) -> int:
    """The index of the best-rated solution; ties go to the answer more solutions agree on,
    then to the lower index. -1 when no rating could be read.

    >>> sols = [Solution(answer_key=k) for k in ("5", "4", "4")]
    >>> best_rated(sols, [Rating(i, s, "") for i, s in enumerate((0.9, 0.9, None))])
    1
    """
    agree = agreement(solutions)
    rated = [r for r in ratings if r.score is not None]
    if not rated:
        return -1
    best = max(rated, key=lambda r: (r.score, agree[r.index], -r.index))
    return best.index
