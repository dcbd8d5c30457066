"""`cot_decoding`: Chain-of-Thought Decoding (Wang & Zhou, 2024): branch on the first token,
decode each branch greedily, and trust the branch whose answer the model is surest of.

1) branch: one request with max_tokens = 1 and logprobs = k gives the top-k first tokens;
2) decode: k greedy continuations in one call, each prompt the same chat prompt with that
   first token as the start of the answer (`Prompt.assistant_prefix`), so the shared prompt
   is prefilled once and served from the prefix cache where it spans full KV blocks; each
   continuation asks for logprobs = 2;
3) score: a path's confidence is the mean margin between its top-2 token probabilities
   (`kernels.top2_margin`) over the answer span, the tokens of the extracted answer; when
   no answer is found, or it cannot be located, the whole completion (noted in `fallbacks`);
4) aggregate: paths with the same normalized answer add their confidences (the consensus
   kernel); the most confident path of the winning answer is returned.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> cot = get_strategy("cot_decoding", k=5, max_tokens=256)
    >>> solution = asyncio.run(cot.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'cot_decoding')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from engine import Completion, Sampling, TokenLogprobs
from kernels import pad_top_logprobs, span_mask, top2_margin
from strategies.blocks.prompts import solve_prompt
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution, solution_from
from strategies.core.strategy import Strategy
from strategies.deepconf import confidence_vote

MAX_LOGPROBS = 20
"""The engine reports at most this many candidates per position."""


class CotDecodingConfig(StrategyConfig):
    """How many first-token branches, and how they are decoded."""

    k: int = Field(default=10, ge=1, le=MAX_LOGPROBS, description="First-token branches (top-k).")
    extra_candidates: int = Field(
        default=2,
        ge=0,
        le=MAX_LOGPROBS - 1,
        description="Candidates asked for beyond k, so that k remain after dropping first "
        "tokens that decode to empty or repeated text (capped at 20 in all).",
    )


@dataclass(frozen=True, slots=True)
class Path:
    """One decoding path: its first token, its solution, and its confidence."""

    first_token: str
    first_logprob: float
    solution: Solution
    confidence: float
    answer_tokens: int
    """Tokens the confidence averages over (the answer span, or all of them)."""
    span: str
    """"answer" or "completion" (the fallback)."""


def answer_margin(pieces: Sequence[str], margins: np.ndarray, answer: str) -> tuple[float, int, bool]:
    """Mean of `margins` over the tokens (texts `pieces`) of `answer`'s last occurrence.

    Returns (confidence, tokens averaged, whether the answer span was found); without the
    span, the mean over every token.

    >>> answer_margin(["x", " = ", "4", "2"], np.array([0.1, 0.2, 0.9, 0.7]), "42")
    (0.8, 2, True)
    """
    if not pieces:
        return 0.0, 0, False
    start = "".join(pieces).rfind(answer) if answer else -1
    if start >= 0:
        mask = span_mask([len(p) for p in pieces], start, start + len(answer))
        if mask.any():
            return float(margins[mask].mean()), int(mask.sum()), True
    return float(margins.mean()), len(margins), False


def _margins(positions: Sequence[TokenLogprobs]) -> np.ndarray:
    return top2_margin(pad_top_logprobs([[t.logprob for t in p.top] for p in positions], 2))


class CotDecoding(Strategy[CotDecodingConfig]):
    name = "cot_decoding"
    description = (
        "CoT decoding: branch on the top-k first tokens, decode each greedily, keep "
        "the answer with the largest top-2 probability margin."
    )
    calls = "2 calls, 1 + k requests"
    config_class = CotDecodingConfig

    async def solve(self, run: Run[CotDecodingConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        prompt = solve_prompt(query, system=system)
        # 1) branch: the top-k first tokens from one single-token request
        ask = min(MAX_LOGPROBS, cfg.k + cfg.extra_candidates)
        [first] = await run.generate("branch", [prompt], Sampling(temperature=0.0, max_tokens=1, logprobs=ask))
        branches = _distinct_first_tokens(first, cfg.k)
        # 2) decode: every branch greedily, in one call
        continuations = await run.generate(
            "decode",
            [prompt.continued(token) for token, _ in branches],
            cfg.sampling(0.0, seed=None, logprobs=2),
        )
        # 3) score: the top-2 margin over each path's answer span
        first_margin = float(_margins(first.logprobs or ())[:1].sum())
        paths = [
            _path(token, logprob, first_margin, c, i)
            for i, ((token, logprob), c) in enumerate(zip(branches, continuations, strict=True))
        ]
        await run.produced([p.solution for p in paths])
        # 4) aggregate: summed confidence per answer; the surest path of the winning answer
        pick = confidence_vote([p.solution for p in paths], [p.confidence for p in paths])
        chosen = paths[pick.index]
        for i, p in enumerate(paths):
            if p.span != "answer":
                run.fallback(f"path {i}: no answer span, scored the whole completion")
        run.details.update({"chosen_path": pick.index, "paths": [_summary(p) for p in paths]})
        return chosen.solution.model_copy(update={"confidence": pick.share}), "margin-vote"


def _distinct_first_tokens(first: Completion, k: int) -> list[tuple[str, float]]:
    """Up to k (text, logprob) first tokens, most likely first, non-empty and distinct."""
    if not first.logprobs:
        return [(first.text, 0.0)]
    out: dict[str, float] = {}
    for candidate in sorted(first.logprobs[0].top, key=lambda t: -t.logprob):
        if candidate.token and candidate.token not in out:
            out[candidate.token] = candidate.logprob
        if len(out) == k:
            break
    return list(out.items()) or [(first.text, 0.0)]


def _path(token: str, logprob: float, first_margin: float, continuation: Completion, index: int) -> Path:
    """A path: its first token, then the continuation; the first position's margin is shared."""
    whole = dataclasses.replace(continuation, text=token + continuation.text)
    solution = solution_from(whole, agent_id=f"path-{index}", phase="decode", method="cot-path")
    positions = continuation.logprobs or ()
    pieces = [token] + [p.token for p in positions]
    margins = np.concatenate(([first_margin], _margins(positions)))
    confidence, count, found = answer_margin(pieces, margins, solution.answer)
    return Path(token, logprob, solution, confidence, count, "answer" if found else "completion")


def _summary(path: Path) -> dict[str, Any]:
    return {
        "first_token": path.first_token,
        "first_logprob": round(path.first_logprob, 4),
        "answer_key": path.solution.answer_key,
        "confidence": round(path.confidence, 4),
        "answer_tokens": path.answer_tokens,
        "span": path.span,
        "completion_tokens": path.solution.completion_tokens,
    }
