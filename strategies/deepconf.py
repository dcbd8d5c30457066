"""`deepconf`: Deep Think with Confidence (Fu et al., 2025): vote over traces, weighted and
filtered by the model's own token confidence, and stop weak traces early.

Token confidence is minus the mean log-prob of a position's top-k candidates
(`kernels.token_confidence`); a trace's confidence is its lowest sliding-window mean
(`kernels.lowest_group_confidence`), i.e. its weakest stretch of reasoning.

- offline: 1) N traces in one request (n = N, logprobs = k); 2) keep the most confident
  `keep_share` of them; 3) confidence-weighted vote (the consensus kernel) among those.
- online: 1) warm-up: W traces in one request; their confidences set the threshold at the
  `100 * (1 - keep_share)`-th percentile; 2) the other N - W traces stream concurrently,
  all in flight together, each aborted in the engine as soon as its latest window's mean
  confidence drops below the threshold (or a fixed `threshold`). As they finish, the
  confidence-weighted vote share of the leading answer among the kept traces (warm-up traces at
  or above the threshold, and the online traces finished so far) is checked: once it reaches
  `consensus_threshold` (0.95, the paper's tau), every trace still streaming is aborted
  (DeepConf's budget-level stop); 3) confidence-weighted vote over the warm-up traces at or
  above the threshold and the online traces that finished.

Tokens saved (online, in `metadata.details`) are an estimate against generating every
trace in full: each aborted trace would have run to the warm-up traces' mean length, so it
saved that minus what it generated (at least 0); `tokens_saved_upper_bound` uses
`max_tokens` instead of the mean length. `aborted_tokens` are the tokens aborted traces did
generate (spent, then discarded). Each trace's `abort_reason` says why it was aborted:
`confidence` (its window fell below the threshold) or `consensus` (the vote was settled);
`consensus_aborted_traces` counts the latter, `consensus_reached` says whether the vote share
reached `consensus_threshold` as the online traces finished, and `consensus_share` is that share
at the last finished trace.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> deepconf = get_strategy("deepconf", mode="offline", traces=8)
    >>> solution = asyncio.run(deepconf.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'deepconf')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import (
    Completion,
    Prompt,
    Sampling,
    StreamOutcome,
    TextDelta,
    TokenLogprobs,
)
from kernels import (
    VoteWeights,
    confidence_threshold,
    encode_keys,
    lowest_group_confidence,
    pad_top_logprobs,
    token_confidence,
    top_share_mask,
    weighted_vote,
    window_confidence,
)
from strategies.blocks.prompts import solve_prompt
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution, solution_from
from strategies.core.strategy import Strategy


class DeepConfConfig(StrategyConfig):
    """How many traces, how confidence is measured, and how much of it is kept."""

    mode: Literal["offline", "online"] = Field(
        default="online",
        description="offline: generate every trace, then filter and vote; online: warm up, then "
        "stream the rest and abort traces whose confidence falls below the threshold.",
    )
    traces: int = Field(default=8, ge=1, le=256, description="Traces in all (online: warm-up included).")
    warmup_traces: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Online only: traces that set the threshold (one request).",
    )
    keep_share: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="Offline: share of traces kept for the vote (the most confident). Online: "
        "the threshold keeps this share of the warm-up traces (0.1 is DeepConf-low, 0.9 "
        "DeepConf-high).",
    )
    threshold: float | None = Field(
        default=None,
        description="Online only: a fixed confidence threshold instead of the warm-up traces' percentile "
        "(as DeepConf's own code allows); a window below it aborts the trace.",
    )
    consensus_threshold: float | None = Field(
        default=0.95,
        gt=0.5,
        le=1.0,
        description="Online only: once the confidence-weighted vote share of the leading answer among the "
        "kept traces (warm-up traces at or above the threshold, online traces finished so far) reaches "
        "this, the traces still streaming are aborted (DeepConf's tau); None streams every trace to its "
        "end or its confidence stop.",
    )
    window: int = Field(default=16, ge=1, le=4096, description="Tokens per sliding window of the group confidence.")
    top_logprobs: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Candidates per position the token confidence averages over.",
    )
    temperature: float = Field(default=0.7, gt=0.0, le=2.0, description="Sampling temperature of traces.")
    seed: int | None = Field(default=None, description="Seed of trace 0; trace i uses seed + i (None: unseeded).")

    @model_validator(mode="after")
    def _warmup_fits(self) -> DeepConfConfig:
        if self.mode == "online" and self.warmup_traces > self.traces:
            raise ValueError(
                f"warmup_traces ({self.warmup_traces}) must be <= traces ({self.traces}); "
                "raise traces or lower warmup_traces"
            )
        return self


AbortReason = Literal["", "confidence", "consensus"]
"""Why an online trace was aborted: not at all, its confidence fell, or the vote was settled."""


@dataclass(frozen=True, slots=True)
class Trace:
    """One reasoning trace: its solution (None if aborted), confidence and token count."""

    index: int
    solution: Solution | None
    confidence: float
    tokens: int
    abort_reason: AbortReason = ""

    @property
    def aborted(self) -> bool:
        return bool(self.abort_reason)

    def summary(self, *, kept: bool) -> dict[str, Any]:
        return {
            "index": self.index,
            "confidence": round(self.confidence, 4),
            "tokens": self.tokens,
            "aborted": self.aborted,
            "abort_reason": self.abort_reason or None,
            "kept": kept,
            "answer_key": self.solution.answer_key if self.solution else "",
        }


def confidences_of(logprobs: Sequence[TokenLogprobs] | None, k: int) -> np.ndarray:
    """Token confidences `(T,)` of a completion's per-token top-k log-probs."""
    rows = [[t.logprob for t in position.top] for position in logprobs or ()]
    return token_confidence(pad_top_logprobs(rows, k))


@dataclass(frozen=True, slots=True)
class ConfidencePick:
    """The chosen index (-1 for none), and the share of the confidence mass its answer holds."""

    index: int
    share: float


def confidence_vote(solutions: Sequence[Solution], confidences: Sequence[float]) -> ConfidencePick:
    """The most confident solution of the answer with the largest summed confidence.

    Solutions without an answer do not vote; if none has one, the most confident overall.
    """
    if not solutions:
        return ConfidencePick(-1, 0.0)
    conf = np.clip(np.asarray(confidences, dtype=np.float64), 0.0, None)
    scale = conf / conf.max() if conf.max() > 0 else np.ones_like(conf)
    enc = encode_keys([[s.answer_key for s in solutions]])
    vote = weighted_vote(enc.ids, enc.mask, scale[None, :], None, weights=VoteWeights(count=0.0, verification=1.0))
    winner = int(vote.winner[0])
    if winner < 0:
        return ConfidencePick(int(np.argmax(conf)), 0.0)
    group = enc.ids[0] == enc.ids[0, winner]
    voting = enc.ids[0] >= 0
    return ConfidencePick(winner, float(scale[group].sum() / max(scale[voting].sum(), 1e-12)))


class ConfidenceWatch:
    """The stop check of one online trace: stop once a window's confidence falls below `threshold`.

    Fed each new piece of the trace's text (with its top logprobs); `lowest` is the lowest
    window confidence seen so far.
    """

    def __init__(self, window: int, top_logprobs: int, threshold: float) -> None:
        self.window, self.top_logprobs, self.threshold = window, top_logprobs, threshold
        self.confidences: list[float] = []
        self.lowest = float("inf")

    def __call__(self, delta: TextDelta) -> bool:
        new = confidences_of(delta.logprobs, self.top_logprobs)
        self.confidences.extend(new.tolist())
        if len(self.confidences) < self.window or new.size == 0:
            return False
        # the windows that end at the new tokens
        recent = np.asarray(self.confidences[-(new.size + self.window - 1) :])
        self.lowest = min(self.lowest, float(window_confidence(recent, self.window).min()))
        return self.lowest < self.threshold

    @property
    def stopped(self) -> bool:
        """Whether this check stopped the trace (its confidence fell below the threshold)."""
        return self.lowest < self.threshold


class ConsensusWatch:
    """The settle check of the online traces: settled once the confidence-weighted vote share of
    the leading answer among the kept traces reaches `threshold` (DeepConf's consensus stop).

    Starts from the kept warm-up traces; `finish(i, completion)` makes the `Trace` of online
    request i when it finishes, and that trace joins the vote (`traces`, by request).
    """

    def __init__(self, kept: Sequence[Trace], threshold: float, finish: Callable[[int, Completion], Trace]) -> None:
        self.threshold, self._finish = threshold, finish
        self.solutions = [t.solution for t in kept if t.solution is not None]
        self.confidences = [t.confidence for t in kept if t.solution is not None]
        self.traces: dict[int, Trace] = {}
        self.share = 0.0
        self.settled = False

    def __call__(self, request: int, completion: Completion) -> bool:
        trace = self.traces[request] = self._finish(request, completion)
        if trace.solution is not None:
            self.solutions.append(trace.solution)
            self.confidences.append(trace.confidence)
        self.share = confidence_vote(self.solutions, self.confidences).share
        self.settled = self.settled or self.share >= self.threshold
        return self.settled


class DeepConf(Strategy[DeepConfConfig]):
    name = "deepconf"
    description = (
        "DeepConf: confidence-filtered, confidence-weighted vote over traces; online "
        "mode aborts low-confidence traces mid-way."
    )
    calls = (
        "offline: 1 call, 1 request (n = traces); online: 1 call (n = warmup_traces) + "
        "traces - warmup_traces concurrent streams, aborted once the vote reaches consensus_threshold"
    )
    config_class = DeepConfConfig

    async def solve(self, run: Run[DeepConfConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        prompt = solve_prompt(query, system=system)
        if cfg.mode == "offline":
            traces, kept, details = await self._offline(run, prompt)
        else:
            traces, kept, details = await self._online(run, prompt)
        # 3) confidence-weighted vote among the kept traces (all finished ones if none was kept)
        voters = [(t, t.solution) for t in traces if kept[t.index] and t.solution is not None]
        if not voters:
            run.fallback("no trace reached the confidence threshold; voting over every finished trace")
            voters = [(t, t.solution) for t in traces if t.solution is not None]
        pick = confidence_vote([s for _, s in voters], [t.confidence for t, _ in voters])
        chosen, best = voters[pick.index]
        run.details.update(
            {
                "mode": cfg.mode,
                "window": cfg.window,
                "top_logprobs": cfg.top_logprobs,
                "chosen_trace": chosen.index,
                "traces": [t.summary(kept=kept[t.index]) for t in traces],
                **details,
            }
        )
        return best.model_copy(update={"confidence": pick.share}), "confidence-vote"

    def _sampling(self, n: int = 1, first_seed: int = 0) -> Sampling:
        cfg = self.config
        seed = None if cfg.seed is None else cfg.seed + first_seed
        return cfg.sampling(n=n, seed=seed, logprobs=cfg.top_logprobs)

    def _finished(self, index: int, completion: Completion) -> Trace:
        conf = lowest_group_confidence(
            confidences_of(completion.logprobs, self.config.top_logprobs), self.config.window
        )
        solution = solution_from(completion, agent_id=f"trace-{index}", phase=completion.tag or "")
        return Trace(index, solution, conf, completion.completion_tokens)

    async def _offline(self, run: Run, prompt: Prompt) -> tuple[list[Trace], list[bool], dict[str, Any]]:
        # 1) every trace in one request
        completions = await run.generate("traces", [prompt], self._sampling(self.config.traces))
        traces = [self._finished(i, c) for i, c in enumerate(completions)]
        # 2) keep the most confident share
        kept = top_share_mask([t.confidence for t in traces], self.config.keep_share).tolist()
        return traces, kept, {"kept_traces": int(sum(kept))}

    async def _online(self, run: Run, prompt: Prompt) -> tuple[list[Trace], list[bool], dict[str, Any]]:
        cfg = self.config
        # 1) warm-up traces in one request set the threshold
        warm = await run.generate("warmup", [prompt], self._sampling(cfg.warmup_traces))
        warmup = [self._finished(i, c) for i, c in enumerate(warm)]
        threshold = (
            cfg.threshold
            if cfg.threshold is not None
            else confidence_threshold([t.confidence for t in warmup], cfg.keep_share)
        )
        warm_kept = [t.confidence >= threshold for t in warmup]
        # 2) the rest stream concurrently; each stops when its window falls below the threshold,
        #    and all of them once the kept traces' weighted vote reaches the consensus threshold
        rest = range(cfg.warmup_traces, cfg.traces)
        watches = [ConfidenceWatch(cfg.window, cfg.top_logprobs, threshold) for _ in rest]
        consensus = None
        if cfg.consensus_threshold is not None:
            kept_warmup = [t for t, keep in zip(warmup, warm_kept, strict=True) if keep]
            consensus = ConsensusWatch(kept_warmup, cfg.consensus_threshold, lambda i, c: self._finished(rest[i], c))
        outcomes = await run.generate_until(
            "online",
            [prompt] * len(rest),
            [self._sampling(first_seed=i) for i in rest],
            watches,
            settle=consensus,
        )
        online = [
            self._streamed(i, o, watch, consensus.traces.get(j) if consensus else None)
            for j, (i, o, watch) in enumerate(zip(rest, outcomes, watches, strict=True))
        ]
        traces = warmup + online
        kept = warm_kept + [not t.aborted for t in online]
        aborted = [t for t in online if t.aborted]
        full_length = float(np.mean([t.tokens for t in warmup]))
        return (
            traces,
            kept,
            {
                "threshold": threshold,
                "consensus_threshold": cfg.consensus_threshold,
                "consensus_reached": bool(consensus and consensus.settled),
                "consensus_share": round(consensus.share, 4) if consensus else None,
                "aborted_traces": len(aborted),
                "consensus_aborted_traces": sum(t.abort_reason == "consensus" for t in online),
                "aborted_tokens": sum(t.tokens for t in aborted),
                "tokens_saved_estimate": int(sum(max(0.0, full_length - t.tokens) for t in aborted)),
                "tokens_saved_upper_bound": sum(cfg.max_tokens - t.tokens for t in aborted),
            },
        )

    def _streamed(self, index: int, outcome: StreamOutcome, watch: ConfidenceWatch, trace: Trace | None) -> Trace:
        """The trace of one online stream: finished (its `trace` if the consensus check made it),
        or aborted by its own confidence check or by the consensus."""
        if outcome.completion is not None:
            return trace if trace is not None else self._finished(index, outcome.completion)
        if watch.stopped:
            return Trace(index, None, watch.lowest, outcome.completion_tokens, abort_reason="confidence")
        # settled before this trace finished: its confidence so far (no full window needed)
        partial = lowest_group_confidence(np.asarray(watch.confidences), self.config.window)
        return Trace(index, None, partial, outcome.completion_tokens, abort_reason="consensus")
