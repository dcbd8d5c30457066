"""Scorers: how likely a partial solution is to be right, for many partial solutions in one call.

One protocol, `Scorer.score(run, partials, phase=...)`: every (question, steps so far) pair of a
step scored in ONE call, one score in [0, 1] each, in order. The search strategies (beam
search, DVTS, particle filtering) and best-of-n pick a scorer by name with `scorer_for`:

- `judge`: the generating model judges each partial solution itself: one constrained verdict
  probe (`strategies.blocks.probe`), two tokens at most, scored P(CORRECT) from the first
  token's probabilities. `JUDGE_PROMPT` puts the system prompt, the problem and the solution so
  far first and the instruction last, so the judgements of one trajectory's successive steps
  share a growing prefix the engine's prefix cache serves.
- a models.toml entry with `kind = "reward"`: that reward model (process or outcome) in a
  second vLLM engine in pooling mode (`engine.reward`), one pooling request per pair. Its calls
  are announced as a phase like any step; their usage is in `metadata.details["reward_model"]`
  (the run's engine usage counts the generating engine only).
- `ScriptedScorer`: a function of the pair, no engine; for tests.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies.core import Run, StrategyConfig
    >>> run = Run.start("2+2?", ScriptedClient(lambda p, s: "CORRECT"), StrategyConfig())
    >>> asyncio.run(scorer_for("judge").score(run, [Partial("2+2?", ("2 + 2 = 4.",))]))
    [1.0]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from engine import ConfigError, OptivllmError, Prompt, Usage, load_registry
from strategies.blocks.probe import VERDICT_PROBE, read_probe
from strategies.blocks.prompts import followup_prompt
from strategies.core.events import PhaseFinished, PhaseStarted
from strategies.core.run import Run

JUDGE = "judge"
"""The name of the scorer that asks the generating model itself."""

JUDGE_SYSTEM = (
    "You are a strict grader of step-by-step solutions to problems in mathematics, logic and "
    "reasoning. Check each step shown: recompute its numbers and follow its logic. The solution "
    "may be unfinished; judge only the steps written so far."
)

JUDGE_PROMPT = (
    "Problem:\n{query}\n\n"
    "Solution so far:\n{solution}\n\n"
    "---\n"
    "Is every step so far correct? Reply with VERDICT: CORRECT or VERDICT: INCORRECT"
)


@dataclass(frozen=True, slots=True)
class Partial:
    """A question and the steps of a solution to it so far (finished or not); each step keeps
    the delimiter that ended it, so the text is their concatenation."""

    question: str
    steps: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.steps).strip()


@runtime_checkable
class Scorer(Protocol):
    """Scores partial solutions: one score in [0, 1] per pair, every pair in one call."""

    @property
    def name(self) -> str: ...

    async def score(self, run: Run[Any], partials: Sequence[Partial], *, phase: str = "scoring") -> list[float]:
        """The scores of `partials`, in order, in one call tagged `phase` (no call for none)."""
        ...


def judge_prompt(partial: Partial) -> Prompt:
    """The judge's prompt for one partial solution, its verdict label started."""
    prompt = followup_prompt(partial.question, JUDGE_PROMPT, system=JUDGE_SYSTEM, solution=partial.text or "(none)")
    return prompt.continued(f"{VERDICT_PROBE.label}: ")


class JudgeScorer:
    """The generating model judges each partial solution: one constrained probe each, one call."""

    name = JUDGE

    async def score(self, run: Run[Any], partials: Sequence[Partial], *, phase: str = "scoring") -> list[float]:
        if not partials:
            return []
        completions = await run.generate(phase, [judge_prompt(p) for p in partials], VERDICT_PROBE.sampling)
        return [read_probe(c, VERDICT_PROBE).score for c in completions]


class RewardModelScorer:
    """A reward model (a models.toml entry with `kind = "reward"`) in a second engine; the engine
    starts on the first call and serves the whole process."""

    def __init__(self, model: str) -> None:
        self.name = model

    async def score(self, run: Run[Any], partials: Sequence[Partial], *, phase: str = "scoring") -> list[float]:
        if not partials:
            return []
        from engine.reward import shared_reward_client

        client = shared_reward_client(self.name)
        # a second engine is not the run's client: the phase is announced here, not by run.generate
        run.phase = phase
        await run.emit(PhaseStarted(phase=phase, requests=len(partials)))
        start = time.perf_counter()
        batch = await client.score([p.question for p in partials], [p.steps for p in partials])
        await run.emit(
            PhaseFinished(phase=phase, requests=len(partials), wall_s=time.perf_counter() - start, usage=batch.usage)
        )
        record = run.details.setdefault("reward_model", {"model": self.name, "calls": 0, "usage": {}})
        record["calls"] += 1
        record["usage"] = (Usage(**record["usage"]) + batch.usage).model_dump()
        return list(batch.scores)


@dataclass
class ScriptedScorer:
    """Scores from a function of each pair, no engine; every call's pairs are recorded."""

    function: Callable[[Partial], float]
    name: str = "scripted"
    calls: list[tuple[str, tuple[Partial, ...]]] = field(default_factory=list)

    async def score(self, run: Run[Any], partials: Sequence[Partial], *, phase: str = "scoring") -> list[float]:
        if not partials:
            return []
        self.calls.append((phase, tuple(partials)))
        return [self.function(p) for p in partials]


def check_scorer(name: str, *, builtin: Sequence[str] = (JUDGE,)) -> str:
    """`name` if it is a built-in scorer or a reward model of the registry, else a `ConfigError`
    saying which names are valid (a config field's validator calls it)."""
    if name in builtin:
        return name
    try:
        registry = load_registry()
        registry.reward_model(name)
    except OptivllmError as err:
        raise ConfigError(f"{err}; or one of {', '.join(repr(b) for b in builtin)}") from None
    return name


def scorer_for(name: str) -> Scorer:
    """The scorer called `name`: `judge`, or a reward model's registry entry name."""
    return JudgeScorer() if name == JUDGE else RewardModelScorer(name)
