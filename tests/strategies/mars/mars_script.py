"""A scripted model for MARS logic tests: it answers each request by the step its prompt is for.

`MarsScript` routes a prompt to one responder per step (solve, verify, aggregate, improve,
approach); each responder is a `fn(prompt, sampling) -> str` a test can replace. Exploration
answers name their agent (found from the temperature), so tests can read authorship back from
the verification prompts. Imported by the MARS tests as `mars_script`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import Prompt, Sampling, ScriptedClient
from strategies.blocks.aggregate import MOE_PROMPT, RSA_PROMPT
from strategies.mars import MarsConfig
from strategies.mars.prompts import APPROACH_PROMPT, IMPROVE_PROMPT

Responder = Callable[[Prompt, Sampling], str]

CORRECT = "I recomputed every step.\nVERDICT: CORRECT\nSCORE: 0.9"
INCORRECT = "The sum is wrong.\nVERDICT: INCORRECT\nSCORE: 0.1"

_MARKERS = {
    "improve": IMPROVE_PROMPT.split("\n")[-1],
    "approach": APPROACH_PROMPT.split("\n")[-1],
    "aggregate_rsa": RSA_PROMPT.split("\n")[-1],
    "aggregate_moe": MOE_PROMPT.split("\n")[-1],
}
_VERIFIER_RE = re.compile(r"You are (\S+), giving independent review (\d+) of (\d+)")
_AUTHOR_RE = re.compile(r"written by (agent-\d+)")


def phase_of(prompt: Prompt) -> str:
    """Which MARS step a prompt belongs to: solve, verify, approach, improve or aggregate."""
    text = prompt.messages[-1].content
    if _VERIFIER_RE.search(text):
        return "verify"
    if text.endswith(_MARKERS["approach"]):
        return "approach"
    if text.endswith(_MARKERS["improve"]):
        return "improve"
    if text.endswith(_MARKERS["aggregate_rsa"]) or text.endswith(_MARKERS["aggregate_moe"]):
        return "aggregate"
    return "solve"


def reviewer_of(prompt: Prompt) -> tuple[str, int, int]:
    """(verifier id, pass number, passes) named at the end of a verification prompt."""
    match = _VERIFIER_RE.search(prompt.messages[-1].content)
    assert match, prompt.messages[-1].content
    return match[1], int(match[2]), int(match[3])


def author_in(prompt: Prompt) -> str | None:
    """The agent named inside the solution text of a prompt (exploration answers name theirs)."""
    match = _AUTHOR_RE.search(prompt.messages[-1].content)
    return match[1] if match else None


def agent_answer(config: MarsConfig, answer: str = "4") -> Responder:
    """Exploration answers that name their agent (`config`'s temperatures must be distinct)."""
    agents = dict(zip(config.agent_temperatures, config.agent_ids, strict=True))

    def solve(prompt: Prompt, sampling: Sampling) -> str:
        return f"This is written by {agents[sampling.temperature]}. Answer: {answer}"

    return solve


@dataclass
class MarsScript:
    """A responder for `ScriptedClient` that answers each MARS step with its own function."""

    solve: Responder = field(default_factory=lambda: agent_answer(MarsConfig()))
    verify: Responder = lambda p, s: CORRECT  # noqa: E731
    aggregate: Responder = lambda p, s: "Merged the candidates. Answer: 4"  # noqa: E731
    improve: Responder = lambda p, s: "Fixed the slip. Answer: 4"  # noqa: E731
    approach: Responder = lambda p, s: "Add the two numbers."  # noqa: E731

    def __call__(self, prompt: Prompt, sampling: Sampling) -> str:
        return getattr(self, phase_of(prompt))(prompt, sampling)

    def client(self) -> ScriptedClient:
        return ScriptedClient(self)


EAGER = {"lazy_reviews": False, "early_termination": False, "verdict": "text", "skip_when_settled": False}
"""Every review pass of a round in one call, no stop on agreement, verdicts read from the review
text: the call layout the flow, verification and selection tests pin (lazy reviews, early
termination and engine verdicts have tests of their own)."""


def eager(**fields: Any) -> MarsConfig:
    """`MarsConfig(**fields)` with the eager layout."""
    return MarsConfig(**EAGER, **fields)


def eager_lightweight(**fields: Any) -> MarsConfig:
    """`MarsConfig.lightweight(**fields)` with the eager layout."""
    return MarsConfig.lightweight(**EAGER, **fields)
