"""Waves: sample a budget in rounds and stop once the vote over the answers so far is settled.

A strategy that votes over k samples can stop early (Adaptive-Consistency, Aggarwal et al.,
2023): draw the budget in waves, each wave one engine call, and after each wave ask the stopping
rules of `kernels.stopping` whether the samples left could still change the leader. Waves of one
prompt hit the prefix cache, so a wave costs its decode only. `WaveConfig` holds the fields,
`waves_of` cuts the budget, `sample_in_waves` runs the loop on a strategy's own `draw`.

Example:
    >>> waves_of(10, 4)
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from kernels import DEFAULT_STOP_CONFIDENCE, StopRule, stop_rule
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution


class WaveConfig(StrategyConfig):
    """Config fields of strategies that sample in waves and stop once the vote is settled."""

    stop_when_settled: bool = Field(
        default=True,
        description="Sample in waves of `wave_size` and stop once the vote is settled (the leader cannot "
        "be overtaken, or the Beta rule reaches `stop_confidence`); False: every sample at once.",
    )
    wave_size: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Samples per wave (one engine call) when stop_when_settled. 4 is the fewest agreeing "
        "votes that pass the Beta rule at 0.95 (31/32).",
    )
    stop_confidence: float = Field(
        default=DEFAULT_STOP_CONFIDENCE,
        gt=0.5,
        lt=1.0,
        description="Beta rule: stop once P(the leading answer is likelier than the runner-up) under "
        "Beta(leader + 1, runner-up + 1) reaches this (Adaptive-Consistency uses 0.95).",
    )


def waves_of(total: int, size: int, *, spread: bool = False) -> list[list[int]]:
    """The budget's sample slots `0..total-1` cut into waves of `size` (the last may be smaller).

    In order, or with `spread`, strided so every wave spans the slots (`total` 8, `size` 4:
    [0, 2, 4, 6], [1, 3, 5, 7]).

    >>> waves_of(10, 4), waves_of(8, 4, spread=True)
    ([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], [[0, 2, 4, 6], [1, 3, 5, 7]])
    """
    count = -(-total // size)
    order = [i for j in range(count) for i in range(j, total, count)] if spread else list(range(total))
    return [order[k : k + size] for k in range(0, total, size)]


@dataclass(frozen=True, slots=True)
class Drawn:
    """The samples a wave loop drew: their budget slots (ascending) and solutions, in that order."""

    slots: list[int]
    solutions: list[Solution]


WaveDraw = Callable[[int, list[int]], Awaitable[list[Solution]]]
"""`draw(j, slots)`: draw wave j, the samples of those budget slots, in one engine call."""


async def sample_in_waves(
    run: Run[Any], waves: Sequence[list[int]], draw: WaveDraw, *, confidence: float = DEFAULT_STOP_CONFIDENCE
) -> Drawn:
    """Draw `waves` in order; after each one, stop if the vote over the answers so far is
    settled for the samples left (`kernels.stop_rule`). Records `waves`, `samples_drawn`,
    `stopped_early` and `stop_rule` in the run's details."""
    total = sum(len(w) for w in waves)
    drawn: dict[int, Solution] = {}
    rule: StopRule | None = None
    done = 0
    for j, wave in enumerate(waves):
        drawn.update(zip(wave, await draw(j, wave), strict=True))
        done = j + 1
        left = total - len(drawn)
        if left and (rule := stop_rule([s.answer_key for s in drawn.values()], left, confidence=confidence)):
            break
    run.details.update(
        {"waves": done, "samples_drawn": len(drawn), "stopped_early": rule is not None, "stop_rule": rule}
    )
    slots = sorted(drawn)
    return Drawn(slots, [drawn[i] for i in slots])
