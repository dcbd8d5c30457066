"""Probes: a verdict or a rating the engine guarantees, with the probability the model gave it.

A probe asks the engine for a label's value alone (`VERDICT:`, `RATING:`): the prompt is the
request with the text written so far, if any (a review is written first; a rating is not), and
the label as the start of the assistant's turn, so the prefix cache serves all of it, and the
sampling is greedy, one or two tokens, constrained to the probe's choices (vLLM's structured outputs; `ScriptedClient` honours the same field). The
value is therefore always readable, on any model. Its score is the expectation of the choices'
values under the probabilities of the first generated token among the engine's top
alternatives (P(CORRECT) for a verdict), so a review that hesitates scores in between.

Example:
    >>> from engine import Completion, TokenLogprobs, TopLogprob
    >>> tops = (TopLogprob(1, "COR", -0.1), TopLogprob(2, "IN", -2.4))
    >>> c = Completion("COR", (1,), "length", 9, 1, logprobs=(TokenLogprobs(1, "COR", -0.1, tops),))
    >>> read_probe(c, VERDICT_PROBE)
    ProbeReading(choice='CORRECT', score=0.909)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine import Completion, Prompt, Sampling
from strategies.core.run import Run

PROBE_LOGPROBS = 20
"""Top alternatives read at the probe's first token."""


@dataclass(frozen=True, slots=True)
class Probe:
    """A label the text ends in, its choices (distinct first characters) and their values."""

    label: str
    values: tuple[tuple[str, float], ...]

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(choice for choice, _ in self.values)

    @property
    def sampling(self) -> Sampling:
        """Greedy, constrained to the choices, long enough to tell them apart."""
        longest = max(len(c) for c in self.choices)
        return Sampling(temperature=0.0, max_tokens=min(2, longest), choice=self.choices, logprobs=PROBE_LOGPROBS)

    def value(self, choice: str) -> float:
        return dict(self.values)[choice]


VERDICT_PROBE = Probe("VERDICT", (("CORRECT", 1.0), ("INCORRECT", 0.0)))
"""A review's verdict; its score is P(CORRECT)."""

RATING_PROBE = Probe("RATING", tuple((str(i), i / 10) for i in range(11)))
"""A rating on 0-10; its score is the expected rating as a share of 10."""


@dataclass(frozen=True, slots=True)
class ProbeReading:
    """The choice the engine wrote and its expected value in [0, 1]."""

    choice: str
    score: float


def text_before(text: str, probe: Probe) -> str:
    """`text` up to its first `label` (a model may have started writing one), stripped."""
    cut = text.find(probe.label)
    return (text if cut < 0 else text[:cut]).rstrip()


def probe_prompt(prompt: Prompt, text: str, probe: Probe) -> Prompt:
    """`prompt` with `text` (if any) and the probe's label as the start of the assistant's reply."""
    before = text_before(text, probe)
    lead = f"{before}\n" if before else ""
    prefix = f"{prompt.assistant_prefix}{lead}{probe.label}: "
    return Prompt(messages=prompt.messages, system=prompt.system, assistant_prefix=prefix)


def read_probe(completion: Completion, probe: Probe) -> ProbeReading:
    """The probe's choice (the one the generated text begins) and its expected value."""
    written = completion.text.strip()
    matches = [c for c in probe.choices if c.startswith(written)] if written else []
    choice = min(matches, key=len) if matches else probe.choices[0]
    weights: dict[str, float] = {}
    first = completion.logprobs[0] if completion.logprobs else None
    for top in first.top if first is not None else ():
        piece = top.token.strip()
        options = [c for c in probe.choices if piece and c.startswith(piece)]
        if options:
            best = min(options, key=len)
            weights[best] = weights.get(best, 0.0) + math.exp(top.logprob)
    total = sum(weights.values())
    if total <= 0.0:
        return ProbeReading(choice, probe.value(choice))
    score = sum(w * probe.value(c) for c, w in weights.items()) / total
    return ProbeReading(choice, round(score, 3))


async def probe_batch(
    run: Run[Any], phase: str, prompts: Sequence[Prompt], texts: Sequence[str], probe: Probe
) -> list[ProbeReading]:
    """One probe per (prompt, text) pair, all in one step of the run, in order."""
    if not prompts:
        return []
    asks = [probe_prompt(p, t, probe) for p, t in zip(prompts, texts, strict=True)]
    completions = await run.generate(phase, asks, probe.sampling)
    return [read_probe(c, probe) for c in completions]
