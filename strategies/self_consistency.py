"""`self_consistency`: sample k solutions, keep the answer most of them reach (Wang et al., 2022),
and stop sampling once that answer is settled (Adaptive-Consistency, Aggarwal et al., 2023).

1) sample in waves: `wave_size` solutions per wave, each wave one request (n = wave_size, so the
   prompt is prefilled once and the other waves hit the prefix cache; wave j is seeded seed + j).
   After each wave the vote over the samples so far is checked (`kernels.stop_rule`): sampling
   stops once the leader cannot be overtaken by the samples left, or once the Beta posterior
   gives P(leader's answer is the likelier one) >= `stop_confidence`. With
   `stop_when_settled=False` all k samples are one request (n = k), as before;
2) vote: each answer is extracted and normalized by the kernels (`Answer: 4`, `4` and `4.0`
   are one key), and the consensus kernel's majority picks the answer; its confidence is the
   vote share. When no sample states an answer, the first non-empty one is returned with
   confidence 0 (noted as a fallback).

`metadata.details` records `votes`, `waves` (run), `samples_drawn`, `stopped_early` and
`stop_rule` (`cannot-be-overtaken`, `beta`, or None).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> sc = get_strategy("self_consistency", samples=16)
    >>> solution = asyncio.run(sc.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.details["samples_drawn"], solution.metadata.details["stop_rule"]
    ('42', 4, 'beta')
"""

from __future__ import annotations

from pydantic import Field

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.sampling import SampledConfig
from strategies.blocks.voting import vote_on
from strategies.blocks.waves import WaveConfig, sample_in_waves, waves_of
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class SelfConsistencyConfig(SampledConfig, WaveConfig):
    """How many samples are drawn, in which waves (temperature and seed: `SampledConfig`)."""

    samples: int = Field(5, ge=1, le=256, description="Solutions sampled (k) at most: the budget.")


class SelfConsistency(Strategy[SelfConsistencyConfig]):
    name = "self_consistency"
    description = (
        "Self-consistency: samples in waves (one request each) until the majority answer is settled, "
        "then a majority vote on normalized answers."
    )
    calls = (
        "1 call per wave, 1 request each (n = wave_size), at most ceil(samples / wave_size); "
        "stop_when_settled=False: 1 request (n = samples); default 1 or 2 requests for 5 samples"
    )
    config_class = SelfConsistencyConfig

    async def solve(self, run: Run[SelfConsistencyConfig]) -> tuple[Solution, str]:
        cfg = self.config
        prompt = solve_prompt(run.query, system=run.system)

        async def draw(j: int, slots: list[int]) -> list[Solution]:
            sampling = cfg.sampling(n=len(slots), seed=None if cfg.seed is None else cfg.seed + j)
            return await run.solutions("sampling", [prompt], sampling, agent_ids=[f"sampling-{j}"])

        # 1) sample: waves of one request each, until the vote is settled (or all k in one request)
        size = cfg.wave_size if cfg.stop_when_settled else cfg.samples
        drawn = await sample_in_waves(run, waves_of(cfg.samples, size), draw, confidence=cfg.stop_confidence)
        # 2) vote on the normalized answers
        return vote_on(run, drawn.solutions)
