"""`plain`: one completion straight from the model; the baseline every strategy is compared to.

Example:
    >>> plain = get_optimizer("plain", temperature=0.0)   # doctest: +SKIP
"""

from __future__ import annotations

from pydantic import Field

from engine import ModelClient, Sampling
from strategies.base import StrategyConfig, register
from strategies.common.prompts import solve_prompt
from strategies.common.sampling import sample_solutions
from strategies.events import EventCallback
from strategies.solution import Solution
from strategies.tracking import TrackedClient


class PlainConfig(StrategyConfig):
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 is greedy decoding.")
    seed: int | None = Field(None, description="Sampling seed (for temperature > 0).")


@register(
    "plain",
    description="One completion from the model, no optimization (the baseline).",
    calls="1 call, 1 request",
    config=PlainConfig,
)
class Plain:
    def __init__(self, config: PlainConfig) -> None:
        self.config = config

    async def optimize(
        self,
        query: str,
        client: ModelClient,
        *,
        system: str | None = None,
        on_event: EventCallback | None = None,
    ) -> Solution:
        tracked = TrackedClient(client)
        sampling = Sampling(
            temperature=self.config.temperature, max_tokens=self.config.max_tokens, seed=self.config.seed
        )
        [solution] = await sample_solutions(tracked, [solve_prompt(query, system=system)], sampling, tag="generate")
        return tracked.finish(solution, strategy="plain", selection_rule="only")
