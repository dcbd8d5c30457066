"""`autothink`: estimate how hard a query is, then spend thinking on it accordingly.

1) assess: a difficulty in [0, 1] from a heuristic over the query text, blended with the
   model's one-token self-assessment when it is on;
2) route: easy (< `easy_below`) → `plain` with a small budget; medium → `deep_thinking`
   with a moderate thinking budget; hard (>= `hard_from`) → `deep_thinking` with a large
   budget, or `deepconf`. The chosen strategy's own `optimize` runs on this run's tracked
   client, so its requests are counted once, in this run's usage.

Text heuristic (`text_difficulty`), each feature clipped to [0, 1]:
  0.20 * words / 80  +  0.25 * math symbols / 6  +  0.20 * numbers / 6
  +  0.35 * multi-step cue phrases / 3
(math symbols: + - * / ^ = < > % and LaTeX commands; cues: "then", "each", "total",
"how many", "remaining", "prove", "probability", ...; see `CUE_PHRASES`).

Self-assessment: the model is asked whether the question is easy or hard, in one word,
with max_tokens = 1 and logprobs = 20; the probability mass of easy-ish first tokens
("easy", "simple", ...) against hard-ish ones ("hard", "difficult", ...) gives
p(hard) = hard / (easy + hard). When neither shows up in the top 20, the heuristic alone
decides. difficulty = heuristic_weight * heuristic + (1 - heuristic_weight) * p(hard).

Example:
    >>> round(text_difficulty("What is 2 + 2?"), 3)
    0.121
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Literal

from pydantic import Field, model_validator

from engine import Completion, Prompt, Sampling
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy
from strategies.deep_thinking import DeepThinking, DeepThinkingConfig
from strategies.deepconf import DeepConf, DeepConfConfig
from strategies.plain import Plain, PlainConfig

Tier = Literal["easy", "medium", "hard"]

ASSESS_PROMPT = (
    "Is the following question easy or hard to answer correctly? "
    "Answer with one word: easy or hard.\n\nQuestion: {query}"
)

EASY_WORDS = ("easy", "simple", "trivial", "basic", "straightforward")
HARD_WORDS = ("hard", "difficult", "complex", "challenging", "tough", "tricky")
CUE_PHRASES = (
    "then", "after", "each", "every", "total", "how many", "how much", "remaining", "left",
    "more than", "less than", "times", "prove", "show that", "step", "if", "suppose",
    "probability", "at least", "at most", "average", "percent", "ratio", "find all", "sum of",
)  # fmt: skip
_MATH = re.compile(r"[+\-*/^=<>%]|\\[a-zA-Z]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_CUE = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in CUE_PHRASES) + ")", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Difficulty:
    """The estimate and what went into it."""

    words: int
    math_symbols: int
    numbers: int
    cues: int
    heuristic: float
    model_p_hard: float | None
    score: float


def text_difficulty(query: str) -> float:
    """The text heuristic of the module docstring, in [0, 1]."""
    return _heuristic(*_features(query))


def _features(query: str) -> tuple[int, int, int, int]:
    return (
        len(query.split()),
        len(_MATH.findall(query)),
        len(_NUMBER.findall(query)),
        len(_CUE.findall(query)),
    )


def _heuristic(words: int, math_symbols: int, numbers: int, cues: int) -> float:
    return (
        0.20 * min(1.0, words / 80)
        + 0.25 * min(1.0, math_symbols / 6)
        + 0.20 * min(1.0, numbers / 6)
        + 0.35 * min(1.0, cues / 3)
    )


def _matches(token: str, words: tuple[str, ...]) -> bool:
    t = token.strip().lower()
    return bool(t) and any(t.startswith(w) or (len(t) >= 3 and w.startswith(t)) for w in words)


def model_p_hard(assessment: Completion) -> float | None:
    """p(hard) from the top first tokens of a one-word self-assessment (None: no signal)."""
    if not assessment.logprobs:
        return None
    top = assessment.logprobs[0].top
    easy = sum(math.exp(t.logprob) for t in top if _matches(t.token, EASY_WORDS))
    hard = sum(math.exp(t.logprob) for t in top if _matches(t.token, HARD_WORDS))
    return hard / (easy + hard) if easy + hard > 1e-9 else None


class AutoThinkConfig(StrategyConfig):
    """How difficulty is estimated and what each tier gets."""

    self_assess: bool = Field(default=True, description="Blend in the model's one-token self-assessment.")
    heuristic_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Weight of the text heuristic against the model's p(hard).",
    )
    easy_below: float = Field(default=0.35, ge=0.0, le=1.0, description="Scores below this are easy.")
    hard_from: float = Field(default=0.65, ge=0.0, le=1.0, description="Scores from this on are hard.")
    easy_max_tokens: int = Field(default=256, ge=1, description="Budget of the plain answer (easy).")
    medium_thinking: tuple[int, int] = Field(
        default=(64, 256), description="(min, max) thinking tokens of a medium query."
    )
    hard_thinking: tuple[int, int] = Field(
        default=(256, 1024),
        description="(min, max) thinking tokens of a hard query (deep_thinking).",
    )
    hard_strategy: Literal["deep_thinking", "deepconf"] = Field(
        default="deep_thinking", description="What a hard query runs."
    )
    temperature: float = Field(default=0.6, ge=0.0, le=2.0, description="Sampling temperature.")
    seed: int | None = Field(default=None, description="Seed passed to the routed strategy.")

    @model_validator(mode="after")
    def _ordered(self) -> AutoThinkConfig:
        if self.easy_below > self.hard_from:
            raise ValueError("easy_below must be <= hard_from")
        for name in ("medium_thinking", "hard_thinking"):
            low, high = getattr(self, name)
            if not 0 <= low <= high or high < 1:
                raise ValueError(f"{name} must be (min, max) with 0 <= min <= max and max >= 1")
        return self


class AutoThink(Strategy[AutoThinkConfig]):
    name = "autothink"
    description = (
        "Estimate query difficulty (text heuristic + one-token self-assessment), then "
        "route: plain, deep_thinking with a budget for the tier, or deepconf."
    )
    calls = "0-1 assessment call + the routed strategy's calls"
    config_class = AutoThinkConfig

    async def solve(self, run: Run[AutoThinkConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        # 1) assess
        difficulty = await self._assess(run, query)
        tier: Tier = (
            "easy" if difficulty.score < cfg.easy_below else "hard" if difficulty.score >= cfg.hard_from else "medium"
        )
        # 2) route to the tier's strategy, on the run's tracked client
        inner = self._route(tier)
        solution = await inner.optimize(query, run.client, system=system, on_event=run.sink.callback)
        inner_meta = solution.metadata
        run.fallbacks.extend(inner_meta.fallbacks)
        run.details.update(
            {
                "difficulty": asdict(difficulty),
                "tier": tier,
                "routed_to": inner_meta.strategy,
                "inner": {
                    "selection_rule": inner_meta.selection_rule,
                    "engine_calls": inner_meta.engine_calls,
                    "details": inner_meta.details,
                },
            }
        )
        return solution, f"route:{tier}"

    async def _assess(self, run: Run, query: str) -> Difficulty:
        features = _features(query)
        heuristic = _heuristic(*features)
        p_hard = None
        if self.config.self_assess:
            prompt = Prompt.user(ASSESS_PROMPT.format(query=query))
            [answer] = await run.generate("assess", [prompt], Sampling(temperature=0.0, max_tokens=1, logprobs=20))
            p_hard = model_p_hard(answer)
        w = self.config.heuristic_weight
        score = heuristic if p_hard is None else w * heuristic + (1 - w) * p_hard
        return Difficulty(*features, heuristic=heuristic, model_p_hard=p_hard, score=score)

    def _route(self, tier: Tier) -> Plain | DeepThinking | DeepConf:
        cfg = self.config
        if tier == "easy":
            return Plain(PlainConfig.model_validate({"max_tokens": cfg.easy_max_tokens, "seed": cfg.seed}))
        if tier == "hard" and cfg.hard_strategy == "deepconf":
            temperature = max(cfg.temperature, 0.1)
            return DeepConf(DeepConfConfig(max_tokens=cfg.max_tokens, temperature=temperature, seed=cfg.seed))
        low, high = cfg.medium_thinking if tier == "medium" else cfg.hard_thinking
        return DeepThinking(
            DeepThinkingConfig(
                max_tokens=cfg.max_tokens,
                min_thinking_tokens=low,
                max_thinking_tokens=high,
                temperature=cfg.temperature,
                seed=cfg.seed,
            )
        )
