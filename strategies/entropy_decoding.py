"""`entropy_decoding`: entropix-style sampling, adapted per token to the entropy and
varentropy of the model's next-token distribution, inside the engine's sampler.

The request carries its settings in `Sampling.extra` (`"entropy_decoding"`: a dict of
`kernels.EntropixParams` fields); the engine's logits processor (`engine.logits`) adapts
that request's row of logits at every step, batched with any other requests. The request
itself samples at temperature 1 with no top-k/top-p, so the adapted logits are sampled as
they are.

Implemented adaptations (`kernels.entropix_adjust`; H = entropy, V = varentropy, in bits):
- low H, low V (the model is sure): argmax, by masking every other token;
- high H, low V (uniformly unsure): temperature x 1.3, capped at 1.5;
- H not high, high V (a few strong forks): temperature x 1.2 (cap 1.5), top-k x 1.5 (>= 5);
- high H, high V (lost): temperature x 1.5 (cap 2.0), top-p - 0.2 (>= 0.5);
- otherwise: the base temperature, top-k and top-p.
Not implemented: entropix's clarifying-question token insertion (high H, low V) and the
attention-entropy terms that scale its adjustments (vLLM does not expose attention scores).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> entropy = get_strategy("entropy_decoding", temperature=0.6)
    >>> solution = asyncio.run(entropy.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'entropy_decoding')
"""

from __future__ import annotations

from pydantic import Field, model_validator

from engine import Sampling
from kernels import EntropixParams
from strategies.blocks.prompts import solve_prompt
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

EXTRA_ARG = "entropy_decoding"
"""The `Sampling.extra` key the engine's logits processor reads (`engine.logits.EXTRA_ARG`)."""


class EntropyDecodingConfig(StrategyConfig):
    """Base sampling and the entropy/varentropy thresholds of the adaptations."""

    temperature: float = Field(default=0.666, gt=0.0, le=2.0, description="Base temperature.")
    top_p: float = Field(default=0.9, gt=0.0, le=1.0, description="Base nucleus mass.")
    top_k: int = Field(default=27, ge=0, description="Base top-k cut-off (0 disables it).")
    low_entropy: float = Field(default=0.1, ge=0.0, description="Entropy (bits) below which it is low.")
    high_entropy: float = Field(default=3.0, ge=0.0, description="Entropy (bits) above which it is high.")
    low_varentropy: float = Field(default=0.1, ge=0.0, description="Varentropy (bits^2) below which it is low.")
    high_varentropy: float = Field(default=5.0, ge=0.0, description="Varentropy (bits^2) above which it is high.")
    seed: int | None = Field(default=None, description="Sampling seed (None: unseeded).")

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> EntropyDecodingConfig:
        if self.low_entropy > self.high_entropy:
            raise ValueError("low_entropy must be <= high_entropy")
        if self.low_varentropy > self.high_varentropy:
            raise ValueError("low_varentropy must be <= high_varentropy")
        return self

    def params(self) -> EntropixParams:
        """The settings the engine's logits processor applies."""
        names = EntropixParams.__dataclass_fields__
        return EntropixParams(**{k: v for k, v in self.model_dump().items() if k in names})


def entropy_sampling(config: EntropyDecodingConfig) -> Sampling:
    """The sampling of an entropy-decoded request: temperature 1, the processor does the rest."""
    return config.sampling(1.0, top_p=1.0, top_k=0, extra=((EXTRA_ARG, config.params().as_dict()),))


class EntropyDecoding(Strategy[EntropyDecodingConfig]):
    name = "entropy_decoding"
    description = (
        "Entropix-style decoding: per-token temperature/top-k/top-p from the entropy "
        "and varentropy of the next-token distribution, in the engine's sampler."
    )
    calls = "1 call, 1 request"
    config_class = EntropyDecodingConfig

    async def solve(self, run: Run[EntropyDecodingConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        sampling = entropy_sampling(self.config)
        prompt = solve_prompt(query, system=system)
        [solution] = await run.solutions("generate", [prompt], sampling, agent_ids=["agent-0"])
        run.details["entropix"] = self.config.params().as_dict()
        return solution, "only"
