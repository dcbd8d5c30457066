"""Scripted replies with per-word logprobs, for strategies that read token probabilities.

`ScriptedClient` counts whitespace words as tokens; these helpers give each word a
`TokenLogprobs` whose candidates are chosen to produce a wanted confidence or margin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine import ScriptedReply, TokenLogprobs, TopLogprob


def words_of(text: str) -> list[str]:
    """The text's tokens as `ScriptedClient` streams them (a space before all but the first)."""
    return [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]


def confident_reply(text: str, confidence: float, k: int = 5) -> ScriptedReply:
    """Every word with k candidates at log-prob -confidence: token confidence = `confidence`."""
    positions = tuple(
        TokenLogprobs(i, w, -confidence, tuple(TopLogprob(i * k + j, f"c{j}", -confidence) for j in range(k)))
        for i, w in enumerate(words_of(text))
    )
    return ScriptedReply(text, logprobs=positions)


def margin_reply(text: str, margins: Sequence[float]) -> ScriptedReply:
    """Word i with two candidates whose probabilities differ by margins[i] (p1 + p2 = 1)."""
    words = words_of(text)
    assert len(words) == len(margins)
    positions = []
    for i, (w, m) in enumerate(zip(words, margins, strict=True)):
        p1, p2 = (1 + m) / 2, (1 - m) / 2
        top = (
            TopLogprob(2 * i, w, math.log(p1)),
            TopLogprob(2 * i + 1, "alt", math.log(max(p2, 1e-12))),
        )
        positions.append(TokenLogprobs(2 * i, w, math.log(p1), top))
    return ScriptedReply(text, logprobs=tuple(positions))


def first_token_reply(candidates: Sequence[tuple[str, float]]) -> ScriptedReply:
    """A one-token reply whose position lists `candidates` (text, logprob), best first."""
    top = tuple(TopLogprob(i, t, lp) for i, (t, lp) in enumerate(candidates))
    best = candidates[0][0]
    return ScriptedReply(best, logprobs=(TokenLogprobs(0, best, candidates[0][1], top),))
