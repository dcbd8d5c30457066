"""Fan out: one batched `generate` that returns candidate `Solution`s with extracted answers.

Every sampling strategy starts here (MARS exploration, self-consistency, best-of-n, diverse
sampling, MoA candidates): k prompts or k temperatures become one engine step.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient, Sampling
    >>> from strategies.common.prompts import solve_prompt
    >>> client = ScriptedClient(lambda p, s: f"Answer: {4 if s.temperature < 1 else 5}")
    >>> sols = asyncio.run(sample_solutions(client, [solve_prompt("2+2?")] * 2,
    ...     [Sampling(temperature=0.3), Sampling(temperature=1.2)], tag="explore"))
    >>> [s.answer_key for s in sols]
    ['4', '5']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from pydantic import Field

from engine import Completion, ModelClient, Prompt, Sampling
from engine.client import SamplingArg
from kernels import extract_answer, normalize_answer
from kernels.extract import AnswerKind
from strategies.base import StrategyConfig
from strategies.solution import Solution


def solution_from(
    completion: Completion,
    *,
    agent_id: str = "",
    phase: str = "",
    method: str = "sample",
    kind: AnswerKind = "auto",
) -> Solution:
    """A `Solution` from one completion, its answer extracted and normalized by the kernels."""
    extraction = extract_answer(completion.text, kind=kind)
    return Solution(
        agent_id=agent_id,
        reasoning=completion.text,
        answer=extraction.answer,
        answer_key=normalize_answer(extraction.answer) if extraction.answer else "",
        answer_rule=str(extraction.rule),
        temperature=completion.temperature,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        phase=phase,
        method=method,
    )


async def sample_solutions(
    client: ModelClient,
    prompts: Sequence[Prompt],
    samplings: SamplingArg,
    *,
    tag: str,
    agent_ids: Sequence[str] | None = None,
    method: str = "sample",
    kind: AnswerKind = "auto",
) -> list[Solution]:
    """Generate every prompt in one call and turn each completion into a `Solution`.

    With `n` > 1 samples per request, agent ids repeat per sample (`agent-0/1`, ...).
    """
    completions = await client.generate(prompts, samplings, tag=tag)
    ids = _agent_ids(completions, agent_ids)
    return [
        solution_from(c, agent_id=a, phase=tag, method=method, kind=kind) for c, a in zip(completions, ids, strict=True)
    ]


def _agent_ids(completions: Sequence[Completion], agent_ids: Sequence[str] | None) -> list[str]:
    samples = Counter(c.request_id for c in completions)
    out = []
    request = -1
    for c in completions:
        request += c.sample_index == 0
        base = agent_ids[request] if agent_ids is not None else f"agent-{request}"
        out.append(base if samples[c.request_id] == 1 else f"{base}/{c.sample_index}")
    return out


def temperatures_between(low: float, high: float, count: int) -> list[float]:
    """`count` temperatures evenly spaced over [low, high]: `temperatures_between(0.3, 1.5, 5)`."""
    if count == 1:
        return [low]
    step = (high - low) / (count - 1)
    return [round(low + i * step, 6) for i in range(count)]


def samplings_at(temperatures: Sequence[float], base: Sampling) -> list[Sampling]:
    """One sampling per temperature, otherwise equal to `base`."""
    return [base.with_(temperature=t) for t in temperatures]


def seeded(base: Sampling, count: int) -> list[Sampling]:
    """`count` copies of `base`, the i-th seeded `base.seed + i` (all unseeded if `base.seed` is
    None), so equal prompts in one batch still sample different texts reproducibly."""
    if base.seed is None:
        return [base] * count
    return [base.with_(seed=base.seed + i) for i in range(count)]


class _SamplingFields(Protocol):
    temperature: float
    max_tokens: int
    seed: int | None


def sampling_of(config: _SamplingFields) -> Sampling:
    """The one-sample `Sampling` of a config with temperature, max_tokens and seed fields.

    >>> sampling_of(SampledConfig(temperature=0.5, max_tokens=64)).max_tokens
    64
    """
    return Sampling(temperature=config.temperature, max_tokens=config.max_tokens, seed=config.seed)


class SampledConfig(StrategyConfig):
    """Config fields of strategies that sample solutions at one temperature (mixed into theirs).

    >>> s = SampledConfig(temperature=0.5, max_tokens=64).sampling(n=3)
    >>> s.temperature, s.max_tokens, s.n
    (0.5, 64, 3)
    """

    temperature: float = Field(
        1.0,
        gt=0.0,
        le=2.0,
        description="Sampling temperature of solutions, in (0, 2] (samples of one prompt must differ).",
    )
    seed: int | None = Field(None, description="Sampling seed (None: unseeded).")

    def sampling(self, n: int = 1) -> Sampling:
        """`n` samples at the configured temperature, seed and `max_tokens`."""
        return Sampling(temperature=self.temperature, max_tokens=self.max_tokens, n=n, seed=self.seed)
